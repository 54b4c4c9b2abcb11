// Cardinality guard: a cap on label sets per metric; past it, new label sets share one overflow
// series and are counted in promwire_series_overflow_total.
import { describe, expect, it } from "vitest";
import { MetricError } from "../../core/errors.ts";
import { Counter, Gauge, Histogram, OVERFLOW_LABEL_VALUE, Registry, SERIES_OVERFLOW_METRIC } from "../../core/metrics/index.ts";
import { familiesToSeries } from "../../core/exposition/to-series.ts";

describe("cardinality guard", () => {
  it("cap 1,000: 100,000 distinct label values leave ≤ 1,001 series and the overflow count is exact", () => {
    const registry = new Registry();
    const c = new Counter({ name: "req_total", help: "Requests.", labelNames: ["user"] as const, registry, maxSeries: 1_000 });
    for (let i = 0; i < 100_000; i++) c.labels({ user: `u${i}` }).inc();
    const families = registry.collect();
    const family = families.find((f) => f.name === "req_total")!;
    expect(family.samples.length).toBeLessThanOrEqual(1_001);
    expect(family.samples).toHaveLength(1_001);
    expect(c.childCount).toBe(1_001);
    expect(c.overflowCount).toBe(99_000);
    const overflow = family.samples.find((s) => s.labels[1] === OVERFLOW_LABEL_VALUE)!;
    expect(overflow.labels).toEqual(["user", "__overflow__"]);
    expect(overflow.value).toBe(99_000);
    // Nothing lost in total: every increment landed in its own series or in the overflow one.
    expect(family.samples.reduce((a, s) => a + s.value, 0)).toBe(100_000);
    const counted = families.find((f) => f.name === SERIES_OVERFLOW_METRIC)!;
    expect(counted.type).toBe("counter");
    expect(counted.samples).toEqual([{ name: SERIES_OVERFLOW_METRIC, labels: ["metric", "req_total"], value: 99_000 }]);
    // The remote-write payload is bounded too: 1,001 series of req_total + 1 overflow counter.
    expect(familiesToSeries(families, { timestamp: 1 }).series).toHaveLength(1_002);
  });

  it("counts every labels() call that overflowed (repeats included) and keeps existing label sets working", () => {
    const g = new Gauge({ name: "g", help: "g", labelNames: ["a", "b"] as const, maxSeries: 2 });
    g.labels({ a: "1", b: "x" }).set(1);
    g.labels({ a: "2", b: "x" }).set(2);
    g.labels({ a: "3", b: "x" }).set(3);
    g.labels({ a: "3", b: "x" }).set(4);
    g.labels({ a: "1", b: "x" }).inc(); // existing: not counted
    expect(g.overflowCount).toBe(2);
    const f = g.collect();
    expect(f.samples.map((s) => [s.labels, s.value])).toEqual([
      [["a", "1", "b", "x"], 2],
      [["a", "2", "b", "x"], 2],
      [["a", "__overflow__", "b", "__overflow__"], 4],
    ]);
    // Using the overflow label set directly is not an overflow.
    g.labels({ a: "__overflow__", b: "__overflow__" }).set(5);
    expect(g.overflowCount).toBe(2);
    // remove() frees room.
    expect(g.remove({ a: "2", b: "x" })).toBe(true);
    g.labels({ a: "9", b: "y" }).set(9);
    expect(g.overflowCount).toBe(2);
    expect(g.childCount).toBe(3);
  });

  it("registry-wide default cap, per-metric cap wins, histograms overflow as one label set", () => {
    const registry = new Registry({ maxSeriesPerMetric: 3, defaultLabels: { service: "api" } });
    const h = new Histogram({ name: "lat_seconds", help: "h", labelNames: ["route"] as const, buckets: [0.1, 1], registry });
    const own = new Counter({ name: "own_total", help: "c", labelNames: ["k"] as const, registry, maxSeries: 10 });
    const free = new Counter({ name: "free_total", help: "c", registry });
    for (let i = 0; i < 50; i++) {
      h.labels({ route: `/r${i}` }).observe(0.5);
      own.labels({ k: String(i) }).inc();
    }
    free.inc();
    expect(h.maxSeries).toBe(3);
    expect(own.maxSeries).toBe(10);
    expect(h.childCount).toBe(4);
    expect(h.overflowCount).toBe(47);
    expect(own.overflowCount).toBe(40);
    const families = registry.collect();
    const hist = families.find((f) => f.name === "lat_seconds")!;
    const overflowCount = hist.samples.find((s) => s.name === "lat_seconds_count" && s.labels.includes("__overflow__"))!;
    expect(overflowCount.value).toBe(47);
    const counted = families.find((f) => f.name === SERIES_OVERFLOW_METRIC)!;
    expect(counted.samples.map((s) => [s.labels, s.value])).toEqual([
      [["metric", "free_total", "service", "api"], 0],
      [["metric", "lat_seconds", "service", "api"], 47],
      [["metric", "own_total", "service", "api"], 40],
    ]);
    // Families stay sorted by name.
    const names = families.map((f) => f.name);
    expect(names).toEqual([...names].sort());
  });

  it("no cap, no overflow family (existing snapshots unchanged); invalid caps are refused", () => {
    const registry = new Registry();
    new Counter({ name: "a_total", help: "a", registry }).inc();
    expect(registry.collect().map((f) => f.name)).toEqual(["a_total"]);
    expect(() => new Counter({ name: "b_total", help: "b", maxSeries: 0 })).toThrow(MetricError);
    expect(() => new Registry({ maxSeriesPerMetric: 1.5 })).toThrow(MetricError);
  });

  it("100,000 overflowing label sets keep memory flat (nothing is cached per overflowed set)", () => {
    const c = new Counter({ name: "mem_total", help: "m", labelNames: ["id"] as const, maxSeries: 1_000 });
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) c.labels({ id: `${i}-${"x".repeat(40)}` }).inc();
    const ms = performance.now() - t0;
    expect(c.childCount).toBe(1_001);
    console.log(`cardinality guard: 100,000 labels() calls (99,000 overflowing) in ${ms.toFixed(1)} ms`);
  });
});
