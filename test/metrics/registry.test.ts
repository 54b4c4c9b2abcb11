import { describe, expect, it } from "vitest";
import { LabelError, MetricError } from "../../core/errors.ts";
import { Counter } from "../../core/metrics/counter.ts";
import { Gauge } from "../../core/metrics/gauge.ts";
import { Histogram } from "../../core/metrics/histogram.ts";
import { Registry } from "../../core/metrics/registry.ts";
import { Summary } from "../../core/metrics/summary.ts";
import { FakeClock } from "./fake-clock.ts";

describe("Registry", () => {
  it("register via option or register(); get; families sorted by name", () => {
    const registry = new Registry();
    const b = new Gauge({ name: "b_gauge", help: "b", registry });
    const a = new Counter({ name: "a_total", help: "a" });
    registry.register(a);
    a.inc(2);
    b.set(3);
    expect(registry.get("a_total")).toBe(a);
    expect(registry.get("nope")).toBeUndefined();
    expect(registry.getAll().map((m) => m.name)).toEqual(["a_total", "b_gauge"]);
    expect(registry.collect()).toEqual([
      { name: "a_total", type: "counter", help: "a", samples: [{ name: "a_total", labels: [], value: 2 }] },
      { name: "b_gauge", type: "gauge", help: "b", samples: [{ name: "b_gauge", labels: [], value: 3 }] },
    ]);
  });

  it("registering a name twice is a MetricError (same metric or another)", () => {
    const registry = new Registry();
    const c = new Counter({ name: "x_total", help: "x", registry });
    for (const f of [() => registry.register(c), () => new Gauge({ name: "x_total", help: "other", registry })]) {
      let e: unknown;
      try {
        f();
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(MetricError);
      expect([(e as MetricError).rule, (e as MetricError).metric]).toEqual(["duplicate-registration", "x_total"]);
    }
    expect(registry.getAll()).toHaveLength(1);
  });

  it("refuses a metric whose series names clash with a registered one's (x_count vs histogram x)", () => {
    const registry = new Registry();
    new Histogram({ name: "latency", help: "h", registry });
    for (const make of [
      () => new Counter({ name: "latency_count", help: "c", registry }),
      () => new Gauge({ name: "latency_bucket", help: "g", registry }),
    ]) {
      expect(make).toThrow(MetricError);
    }
    const c = new Counter({ name: "rpc_sum", help: "c", registry });
    expect(() => new Summary({ name: "rpc", help: "s", registry })).toThrow(/collide/);
    registry.unregister(c);
    new Summary({ name: "rpc", help: "s", registry });
    expect(registry.getAll().map((m) => m.name)).toEqual(["latency", "rpc"]);
  });

  it("unregister by name or metric, clear", () => {
    const registry = new Registry();
    const c = new Counter({ name: "x_total", help: "x", registry });
    new Gauge({ name: "g", help: "g", registry });
    const other = new Counter({ name: "x_total", help: "not the registered one" });
    expect(registry.unregister(other)).toBe(false);
    expect(registry.unregister(c)).toBe(true);
    expect(registry.unregister("x_total")).toBe(false);
    expect(registry.unregister("g")).toBe(true);
    new Gauge({ name: "x_total", help: "free again", registry });
    registry.clear();
    expect(registry.collect()).toEqual([]);
    expect(registry.getAll()).toEqual([]);
  });

  it("families without samples (labelled metrics never used) are left out", () => {
    const registry = new Registry();
    const c = new Counter({ name: "x_total", help: "x", labelNames: ["k"] as const, registry });
    expect(registry.collect()).toEqual([]);
    c.labels({ k: "v" });
    expect(registry.collect()).toHaveLength(1);
  });

  it("default labels: added in sorted position, the series' own label wins, arrays reused", () => {
    const registry = new Registry({ defaultLabels: { service: "billing", az: "eu-1", k: "default" } });
    const c = new Counter({ name: "x_total", help: "x", labelNames: ["k", "z"] as const, registry });
    c.labels({ k: "mine", z: "1" }).inc();
    const h = new Histogram({ name: "h", help: "h", buckets: [1], registry });
    h.observe(0.5);
    const first = registry.collect();
    expect(first[1].samples[0].labels).toEqual(["az", "eu-1", "k", "mine", "service", "billing", "z", "1"]);
    expect(first[0].samples.map((s) => s.labels)).toEqual([
      ["az", "eu-1", "k", "default", "service", "billing", "le", "1"],
      ["az", "eu-1", "k", "default", "service", "billing", "le", "+Inf"],
      ["az", "eu-1", "k", "default", "service", "billing"],
      ["az", "eu-1", "k", "default", "service", "billing"],
    ]);
    const second = registry.collect();
    expect(second[1].samples[0].labels).toBe(first[1].samples[0].labels);
    expect(second[0].samples[0].labels).toBe(first[0].samples[0].labels);
    registry.setDefaultLabels({ service: "search" });
    const third = registry.collect();
    expect(third[1].samples[0].labels).toEqual(["k", "mine", "service", "search", "z", "1"]);
    expect(third[0].samples[2].labels).toEqual(["service", "search"]);
    expect(registry.defaultLabels).toEqual(["service", "search"]);
  });

  it("holds custom collectors too", () => {
    const registry = new Registry();
    registry.register({
      name: "build_info",
      type: "gauge",
      collect: () => ({ name: "build_info", type: "gauge", help: "Build.", samples: [{ name: "build_info", labels: ["version", "1.2.3"], value: 1 }] }),
    });
    expect(registry.collect()).toEqual([{ name: "build_info", type: "gauge", help: "Build.", samples: [{ name: "build_info", labels: ["version", "1.2.3"], value: 1 }] }]);
    expect(() => new Gauge({ name: "build_info", help: "dup", registry })).toThrow(MetricError);
  });

  it("refuses invalid or reserved default label names", () => {
    for (const d of [{ "bad-name": "x" }, { le: "1" }, { quantile: "0.5" }, { __name__: "x" }] as Record<string, string>[]) {
      expect(() => new Registry({ defaultLabels: d })).toThrow(LabelError);
    }
    expect(() => new Registry({ defaultLabels: { a: 1 as unknown as string } })).toThrow(LabelError);
  });

  it("collect is a snapshot: later updates do not change an earlier result", () => {
    const registry = new Registry();
    const c = new Counter({ name: "x_total", help: "x", registry });
    const h = new Histogram({ name: "h", help: "h", buckets: [1], native: true, registry, clock: new FakeClock() });
    const s = new Summary({ name: "s", help: "s", percentiles: [0.5], registry, clock: new FakeClock() });
    c.inc();
    h.observe(0.5);
    s.observe(2);
    const snap = registry.collect();
    const before = JSON.stringify(snap);
    c.inc(10);
    h.observe(5);
    s.observe(100);
    expect(JSON.stringify(snap)).toBe(before);
    expect(registry.collect().map((f) => f.name)).toEqual(["h", "s", "x_total"]);
  });

  it("10,000 series collect in well under a second (O(series))", () => {
    const registry = new Registry();
    const c = new Counter({ name: "x_total", help: "x", labelNames: ["i"] as const, registry });
    for (let i = 0; i < 10_000; i++) c.labels({ i }).inc(i);
    const t0 = performance.now();
    const families = registry.collect();
    const ms = performance.now() - t0;
    expect(families[0].samples).toHaveLength(10_000);
    // Sorted by label value, bytewise, as client_golang orders them: "0", "1", "10", "100", …
    expect(families[0].samples.slice(0, 4).map((x) => x.labels[1])).toEqual(["0", "1", "10", "100"]);
    expect(families[0].samples[9_999]).toEqual({ name: "x_total", labels: ["i", "9999"], value: 9_999 });
    expect(ms).toBeLessThan(1000);
  });
});
