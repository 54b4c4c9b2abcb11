import { describe, expect, it } from "vitest";
import { LabelError, MetricError } from "../../core/errors.ts";
import { Counter } from "../../core/metrics/counter.ts";
import { Gauge } from "../../core/metrics/gauge.ts";
import { FakeClock } from "./fake-clock.ts";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("Counter", () => {
  it("inc adds 1 by default, or the given amount; get reads it", () => {
    const c = new Counter({ name: "runs_total", help: "Runs." });
    expect(c.get()).toBe(0);
    c.inc();
    c.inc(2.5);
    c.inc(0);
    expect(c.get()).toBe(3.5);
    expect(c.collect()).toEqual({
      name: "runs_total",
      type: "counter",
      help: "Runs.",
      samples: [{ name: "runs_total", labels: [], value: 3.5 }],
    });
  });

  it("refuses negative and NaN increments with a MetricError naming the metric, leaving the value alone", () => {
    const c = new Counter({ name: "runs_total", help: "Runs." });
    c.inc(1);
    for (const bad of [-1, Number.NaN]) {
      const e = thrown(() => c.inc(bad));
      expect(e).toBeInstanceOf(MetricError);
      expect((e as MetricError)._tag).toBe("MetricError");
      expect((e as MetricError).rule).toBe("value-invalid");
      expect((e as MetricError).metric).toBe("runs_total");
    }
    expect(c.get()).toBe(1);
    c.inc(Infinity);
    expect(c.get()).toBe(Infinity);
  });

  it("labels: children are cached per label set, sorted by name in the snapshot, numbers stringified", () => {
    const c = new Counter({ name: "http_requests_total", help: "Requests.", labelNames: ["route", "code"] as const });
    const a = c.labels({ route: "/a", code: 200 });
    expect(c.labels({ code: "200", route: "/a" })).toBe(a);
    a.inc();
    c.labels({ route: "/b", code: "500" }).inc(3);
    expect(c.childCount).toBe(2);
    const f = c.collect();
    expect(f.samples).toEqual([
      { name: "http_requests_total", labels: ["code", "200", "route", "/a"], value: 1 },
      { name: "http_requests_total", labels: ["code", "500", "route", "/b"], value: 3 },
    ]);
  });

  it("snapshot order is client_golang's: by label values in label-name order, not creation order", () => {
    const c = new Counter({ name: "x_total", help: "x", labelNames: ["b", "a"] as const });
    c.labels({ b: "1", a: "z" });
    c.labels({ b: "2", a: "a" });
    c.labels({ b: "0", a: "a" });
    c.labels({ b: "\u{1F600}", a: "a" }); // above U+FFFF: sorts after U+E000 in UTF-8 byte order
    c.labels({ b: "\uE000", a: "a" });
    const order = () => c.collect().samples.map((s) => s.labels.join(","));
    expect(order()).toEqual(["a,a,b,0", "a,a,b,2", "a,a,b,\uE000", "a,a,b,\u{1F600}", "a,z,b,1"]);
    c.remove({ a: "a", b: "0" });
    c.labels({ a: "0", b: "9" });
    expect(order()).toEqual(["a,0,b,9", "a,a,b,2", "a,a,b,\uE000", "a,a,b,\u{1F600}", "a,z,b,1"]);
  });

  it("label values cannot collide through a separator", () => {
    const c = new Counter({ name: "x_total", help: "x", labelNames: ["a", "b"] as const });
    c.labels({ a: "1:x", b: "" }).inc();
    c.labels({ a: "1", b: ":x" }).inc(5);
    expect(c.childCount).toBe(2);
  });

  it("a wrong label set is a LabelError naming metric and label", () => {
    const c = new Counter({ name: "http_requests_total", help: "Requests.", labelNames: ["route"] as const });
    const missing = thrown(() => c.labels({} as { route: string })) as LabelError;
    expect(missing).toBeInstanceOf(LabelError);
    expect([missing.rule, missing.metric, missing.label]).toEqual(["label-missing", "http_requests_total", "route"]);
    expect(missing.message).toContain("http_requests_total");
    expect(missing.message).toContain("route");
    const extra = thrown(() => c.labels({ route: "/", method: "GET" } as { route: string })) as LabelError;
    expect([extra.rule, extra.label]).toEqual(["label-unexpected", "method"]);
    const badType = thrown(() => c.labels({ route: true } as unknown as { route: string })) as LabelError;
    expect([badType.rule, badType.label]).toEqual(["label-value-invalid", "route"]);
    const lone = thrown(() => c.labels({ route: "\ud800" })) as LabelError;
    expect([lone.rule, lone.label]).toEqual(["label-value-invalid", "route"]);
    // inc() on a labelled counter without labels() names the first label.
    const direct = thrown(() => c.inc()) as LabelError;
    expect([direct.rule, direct.metric, direct.label]).toEqual(["label-missing", "http_requests_total", "route"]);
    expect(c.childCount).toBe(0);
  });

  it("remove and reset", () => {
    const c = new Counter({ name: "x_total", help: "x", labelNames: ["k"] as const });
    const a = c.labels({ k: "a" });
    a.inc(5);
    c.labels({ k: "b" }).inc(1);
    expect(c.remove({ k: "a" })).toBe(true);
    expect(c.remove({ k: "a" })).toBe(false);
    expect(c.collect().samples.map((s) => s.labels[1])).toEqual(["b"]);
    expect(c.labels({ k: "a" })).not.toBe(a);
    expect(c.labels({ k: "a" }).get()).toBe(0);
    c.reset();
    expect(c.collect().samples).toEqual([]);
    const u = new Counter({ name: "u_total", help: "u" });
    u.inc(4);
    u.reset();
    expect(u.collect().samples).toEqual([{ name: "u_total", labels: [], value: 0 }]);
  });

  it("exemplars: latest increment, timestamped by the clock, sorted frozen labels", () => {
    const clock = new FakeClock();
    const c = new Counter({ name: "x_total", help: "x", clock });
    c.inc(1, { trace_id: "abc", span_id: "def" });
    clock.advance(1000);
    c.inc(2, { trace_id: "xyz" });
    c.inc(1); // no exemplar: the previous one stays
    const s = c.collect().samples[0];
    expect(s.value).toBe(4);
    expect(s.exemplar).toEqual({ labels: ["trace_id", "xyz"], value: 2, timestamp: clock.wall });
    expect(Object.isFrozen(s.exemplar)).toBe(true);
    expect(Object.isFrozen(s.exemplar!.labels)).toBe(true);
  });

  it("snapshots reuse the same frozen label arrays for the same child", () => {
    const c = new Counter({ name: "x_total", help: "x", labelNames: ["k"] as const });
    c.labels({ k: "a" }).inc();
    const first = c.collect().samples[0].labels;
    c.labels({ k: "a" }).inc();
    const second = c.collect().samples[0].labels;
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => (first as string[]).push("x")).toThrow(TypeError);
  });

  it("validates names, label names and unit at construction", () => {
    const bad = [
      () => new Counter({ name: "1abc", help: "x" }),
      () => new Counter({ name: "a-b", help: "x" }),
      () => new Counter({ name: "", help: "x" }),
    ];
    for (const f of bad) expect((thrown(f) as MetricError).rule).toBe("name-invalid");
    expect((thrown(() => new Counter({ name: "ok_total", help: 3 as unknown as string })) as MetricError).rule).toBe("help-invalid");
    const cases: [readonly string[], string, string][] = [
      [["a-b"], "label-name-invalid", "a-b"],
      [["__x"], "label-name-reserved", "__x"],
      [["a", "a"], "label-name-duplicate", "a"],
    ];
    for (const [labelNames, rule, label] of cases) {
      const e = thrown(() => new Counter({ name: "ok_total", help: "x", labelNames })) as LabelError;
      expect([e.rule, e.metric, e.label]).toEqual([rule, "ok_total", label]);
    }
    expect(new Counter({ name: "job:rows:rate5m", help: "recording-rule style names are legal" }).name).toBe("job:rows:rate5m");
    expect(new Counter({ name: "bytes_sent_bytes_total", help: "x", unit: "bytes" }).collect().unit).toBe("bytes");
    expect((thrown(() => new Counter({ name: "sent_total", help: "x", unit: "bytes" })) as MetricError).rule).toBe("unit-invalid");
  });
});

describe("Gauge", () => {
  it("inc, dec, set, get", () => {
    const g = new Gauge({ name: "queue_depth", help: "Jobs waiting." });
    g.inc();
    g.inc(5);
    g.dec();
    g.dec(2);
    expect(g.get()).toBe(3);
    g.set(-7.5);
    expect(g.get()).toBe(-7.5);
    g.set(Number.NaN);
    expect(g.get()).toBeNaN();
    expect(() => g.inc(Number.NaN)).toThrow(MetricError);
    expect(g.collect()).toMatchObject({ name: "queue_depth", type: "gauge", help: "Jobs waiting." });
  });

  it("setToCurrentTime uses the clock's wall time in seconds", () => {
    const clock = new FakeClock(1_700_000_123_456);
    const g = new Gauge({ name: "last_success_timestamp_seconds", help: "x", clock });
    g.setToCurrentTime();
    expect(g.get()).toBe(1_700_000_123.456);
  });

  it("startTimer sets the elapsed monotonic seconds and returns them", () => {
    const clock = new FakeClock();
    const g = new Gauge({ name: "job_duration_seconds", help: "x", labelNames: ["job"] as const, clock });
    const end = g.labels({ job: "backup" }).startTimer();
    clock.mono += 1234;
    clock.wall -= 50_000; // a wall-clock step back must not matter
    expect(end()).toBe(1.234);
    expect(g.labels({ job: "backup" }).get()).toBe(1.234);
    const end2 = new Gauge({ name: "g2", help: "x", clock });
    const stop = end2.startTimer();
    clock.mono += 500;
    stop();
    expect(end2.get()).toBe(0.5);
  });
});
