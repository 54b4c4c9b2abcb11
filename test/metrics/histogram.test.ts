import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LabelError, MetricError } from "../../core/errors.ts";
import { DEFAULT_BUCKETS, Histogram } from "../../core/metrics/histogram.ts";
import { FakeClock } from "./fake-clock.ts";

const rows = (h: Histogram<string>) => h.collect().samples.map((s) => [s.name, ...s.labels, s.value]);

describe("Histogram (classic)", () => {
  it("cumulative buckets with le formatted like client_golang, then _sum and _count", () => {
    const h = new Histogram({ name: "req_seconds", help: "Latency.", buckets: [0.005, 0.5, 1, 2.5, 1e6] });
    for (const v of [0.001, 0.005, 0.3, 1, 3, 2e6]) h.observe(v);
    expect(rows(h)).toEqual([
      ["req_seconds_bucket", "le", "0.005", 2],
      ["req_seconds_bucket", "le", "0.5", 3],
      ["req_seconds_bucket", "le", "1", 4],
      ["req_seconds_bucket", "le", "2.5", 4],
      ["req_seconds_bucket", "le", "1e+06", 5],
      ["req_seconds_bucket", "le", "+Inf", 6],
      ["req_seconds_sum", 0.001 + 0.005 + 0.3 + 1 + 3 + 2e6],
      ["req_seconds_count", 6],
    ]);
    expect(h.collect().type).toBe("histogram");
    expect(h.collect().nativeHistograms).toBeUndefined();
  });

  it("defaults to client_golang's DefBuckets; a trailing +Inf bound is dropped", () => {
    expect(new Histogram({ name: "a", help: "a" }).buckets).toEqual(DEFAULT_BUCKETS);
    expect(new Histogram({ name: "a", help: "a", buckets: [1, 2, Infinity] }).buckets).toEqual([1, 2]);
    expect(new Histogram({ name: "a", help: "a", buckets: [] }).buckets).toEqual([]);
  });

  it("refuses unsorted, duplicate or NaN buckets, and `le` as a label name", () => {
    for (const buckets of [[1, 1], [2, 1], [Number.NaN], [1, Infinity, 2]]) {
      expect(() => new Histogram({ name: "a", help: "a", buckets })).toThrow(MetricError);
    }
    let e: unknown;
    try {
      new Histogram({ name: "a", help: "a", labelNames: ["le"] });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(LabelError);
    expect([(e as LabelError).rule, (e as LabelError).label]).toEqual(["label-name-reserved", "le"]);
  });

  it("labels come before le, bucket label arrays are frozen and reused", () => {
    const h = new Histogram({ name: "h", help: "h", labelNames: ["route"] as const, buckets: [1] });
    h.labels({ route: "/a" }).observe(0.5);
    const a = h.collect().samples;
    expect(a.map((s) => s.labels)).toEqual([["route", "/a", "le", "1"], ["route", "/a", "le", "+Inf"], ["route", "/a"], ["route", "/a"]]);
    h.labels({ route: "/a" }).observe(2);
    const b = h.collect().samples;
    for (let i = 0; i < a.length; i++) {
      expect(b[i].labels).toBe(a[i].labels);
      expect(Object.isFrozen(b[i].labels)).toBe(true);
    }
  });

  it("exemplars: the latest per bucket, +Inf included", () => {
    const clock = new FakeClock();
    const h = new Histogram({ name: "h", help: "h", buckets: [1], clock });
    h.observe(0.5, { trace_id: "a" });
    clock.advance(10);
    h.observe(0.7, { trace_id: "b" });
    h.observe(5, { trace_id: "c" });
    const s = h.collect().samples;
    expect(s[0].exemplar).toEqual({ labels: ["trace_id", "b"], value: 0.7, timestamp: clock.wall });
    expect(s[1].exemplar).toEqual({ labels: ["trace_id", "c"], value: 5, timestamp: clock.wall });
    expect(s[2].exemplar).toBeUndefined();
  });

  it("NaN goes to +Inf and makes the sum NaN (as in client_golang)", () => {
    const h = new Histogram({ name: "h", help: "h", buckets: [1] });
    h.observe(Number.NaN);
    expect(rows(h)).toEqual([
      ["h_bucket", "le", "1", 0],
      ["h_bucket", "le", "+Inf", 1],
      ["h_sum", Number.NaN],
      ["h_count", 1],
    ]);
    expect(() => h.observe("1" as unknown as number)).toThrow(MetricError);
  });

  it("startTimer observes monotonic seconds", () => {
    const clock = new FakeClock();
    const h = new Histogram({ name: "h", help: "h", buckets: [1, 2], clock });
    const end = h.startTimer();
    clock.mono += 1500;
    expect(end()).toBe(1.5);
    expect(rows(h)[1]).toEqual(["h_bucket", "le", "2", 1]);
    expect(h.get()).toEqual({ count: 1, sum: 1.5 });
  });

  it("classic and native together", () => {
    const h = new Histogram({ name: "h", help: "h", buckets: [1], native: true, clock: new FakeClock() });
    h.observe(0.5);
    h.observe(3);
    const f = h.collect();
    expect(f.samples.map((s) => s.value)).toEqual([1, 2, 3.5, 2]);
    expect(f.nativeHistograms?.[0]).toMatchObject({ labels: [], histogram: { count: 2, sum: 3.5, schema: 3 } });
  });

  it("native exemplars: at most maxExemplars, replaced as client_golang does; none with a negative max", () => {
    const clock = new FakeClock();
    const h = new Histogram({ name: "h", help: "h", native: { maxExemplars: 2 }, clock });
    for (const t of ["a", "b", "c"]) {
      clock.advance(1);
      h.observe(1, { trace_id: t });
    }
    // Equal values: the closest pair is (a, b) with distance 0; the newcomer sorts first (nIdx 0)
    // and replaces the older of the pair, a, in place.
    const ex = h.collect().nativeHistograms?.[0].exemplars ?? [];
    expect(ex.map((e) => e.labels[1])).toEqual(["c", "b"]);
    const none = new Histogram({ name: "h", help: "h", native: { maxExemplars: -1 }, clock });
    none.observe(1, { trace_id: "a" });
    expect(none.collect().nativeHistograms?.[0].exemplars).toBeUndefined();
    // NaN observations never become native exemplars (they have no native bucket).
    const nan = new Histogram({ name: "h", help: "h", native: true, clock });
    nan.observe(Number.NaN, { trace_id: "n" });
    expect(nan.collect().nativeHistograms?.[0].exemplars).toBeUndefined();
    expect(nan.collect().samples.find((s) => s.labels[1] === "+Inf")?.exemplar?.labels).toEqual(["trace_id", "n"]);
  });

  it("refuses bad native options", () => {
    for (const native of [{ schema: 9 }, { schema: -5 }, { schema: 1.5 }, { bucketFactor: 1 }, { bucketFactor: Number.NaN }, { maxBuckets: -1 }, { minResetDurationSeconds: -1 }, { zeroThreshold: Number.NaN }]) {
      expect(() => new Histogram({ name: "h", help: "h", native }), JSON.stringify(native)).toThrow(MetricError);
    }
  });

  it("property: count = observations, buckets cumulative and monotonic, +Inf = count, each value in its bucket", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 12, comparator: "SameValueZero" }).map((b) => b.sort((x, y) => x - y)),
        fc.array(fc.double({ noNaN: true }), { maxLength: 300 }),
        (buckets, values) => {
          const h = new Histogram({ name: "h", help: "h", buckets });
          for (const v of values) h.observe(v);
          const s = h.collect().samples;
          const bucketValues = s.filter((x) => x.name === "h_bucket").map((x) => x.value);
          expect(bucketValues).toHaveLength(buckets.length + 1);
          for (let i = 1; i < bucketValues.length; i++) expect(bucketValues[i]).toBeGreaterThanOrEqual(bucketValues[i - 1]);
          for (let i = 0; i < buckets.length; i++) expect(bucketValues[i]).toBe(values.filter((v) => v <= buckets[i]).length);
          expect(bucketValues[buckets.length]).toBe(values.length);
          expect(s.find((x) => x.name === "h_count")?.value).toBe(values.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
