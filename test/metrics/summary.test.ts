import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LabelError, MetricError } from "../../core/errors.ts";
import { QuantileStream } from "../../core/metrics/quantile-stream.ts";
import { DEFAULT_PERCENTILES, Summary } from "../../core/metrics/summary.ts";
import { FakeClock } from "./fake-clock.ts";

/** Whether `v` can sit at a rank within εn of ⌈qn⌉ in `data` (ties give a range of ranks). */
function withinRankError(data: readonly number[], q: number, v: number, eps: number): boolean {
  const n = data.length;
  const r = Math.max(1, Math.ceil(q * n));
  let below = 0;
  let atOrBelow = 0;
  for (const x of data) {
    if (x < v) below++;
    if (x <= v) atOrBelow++;
  }
  if (atOrBelow === below) return false; // not one of the observed values
  const lo = below + 1;
  const hi = atOrBelow;
  return hi >= r - eps * n && lo <= r + eps * n;
}

describe("QuantileStream (CKMS uniform invariant)", () => {
  it("exact on small inputs, NaN when empty", () => {
    const s = new QuantileStream(0.01);
    expect(s.query(0.5)).toBeNaN();
    for (const v of [5, 1, 4, 2, 3]) s.insert(v);
    expect([0, 0.2, 0.5, 0.8, 1].map((q) => s.query(q))).toEqual([1, 1, 3, 4, 5]);
    s.reset();
    expect(s.count).toBe(0);
    expect(s.query(0.9)).toBeNaN();
  });

  it("property: every quantile is within ε·n ranks, for any order of inputs and ε", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 20 })), { minLength: 1, maxLength: 3000 }),
        fc.constantFrom(0.001, 0.01, 0.05, 0.1),
        fc.integer({ min: 1, max: 600 }),
        (data, eps, bufferSize) => {
          const s = new QuantileStream(eps, bufferSize);
          for (const v of data) s.insert(v);
          for (const q of [0, 0.01, 0.1, 0.25, 0.5, 0.9, 0.99, 0.999, 1]) {
            const v = s.query(q);
            expect(withinRankError(data, q, v, eps), `q=${q} v=${v} n=${data.length} eps=${eps}`).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("memory stays far below n for large streams", () => {
    const s = new QuantileStream(0.01);
    const data: number[] = [];
    let x = 12345;
    for (let i = 0; i < 200_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      data.push(x / 2147483648);
      s.insert(x / 2147483648);
    }
    s.flush();
    expect(s.size).toBeLessThan(2_000);
    for (const q of [0.5, 0.9, 0.99]) expect(withinRankError(data, q, s.query(q), 0.01)).toBe(true);
  });
});

describe("Summary", () => {
  it("quantile lines (le-style formatting), then _sum and _count; NaN quantiles when empty", () => {
    const s = new Summary({ name: "rpc_seconds", help: "RPC latency.", percentiles: [0.9, 0.5, 0.99], clock: new FakeClock() });
    let f = s.collect();
    expect(f.type).toBe("summary");
    expect(f.samples.map((x) => [x.name, ...x.labels])).toEqual([
      ["rpc_seconds", "quantile", "0.5"],
      ["rpc_seconds", "quantile", "0.9"],
      ["rpc_seconds", "quantile", "0.99"],
      ["rpc_seconds_sum"],
      ["rpc_seconds_count"],
    ]);
    expect(f.samples.slice(0, 3).every((x) => Number.isNaN(x.value))).toBe(true);
    for (let i = 1; i <= 100; i++) s.observe(i);
    f = s.collect();
    expect(f.samples.map((x) => x.value)).toEqual([50, 90, 99, 5050, 100]);
    expect(s.get()).toEqual({ count: 100, sum: 5050, quantiles: [50, 90, 99] });
  });

  it("defaults: prom-client percentiles; `quantile` label reserved; NaN observations refused", () => {
    expect(new Summary({ name: "a", help: "a" }).percentiles).toEqual(DEFAULT_PERCENTILES);
    expect(() => new Summary({ name: "a", help: "a", labelNames: ["quantile"] })).toThrow(LabelError);
    const s = new Summary({ name: "a", help: "a" });
    expect(() => s.observe(Number.NaN)).toThrow(MetricError);
    for (const o of [{ percentiles: [1.5] }, { percentiles: [0.5, 0.5] }, { maxAgeSeconds: 0 }, { ageBuckets: 0 }, { rankError: 0 }]) {
      expect(() => new Summary({ name: "a", help: "a", ...o }), JSON.stringify(o)).toThrow(MetricError);
    }
  });

  it("sliding window: old observations leave the quantiles after maxAge; count and sum are all-time", () => {
    const clock = new FakeClock();
    const s = new Summary({ name: "w", help: "w", percentiles: [0, 1], maxAgeSeconds: 60, ageBuckets: 3, clock });
    const minMax = () => s.get().quantiles;
    for (let i = 0; i < 10; i++) s.observe(1000); // t = 0
    clock.advance(30_000);
    for (let i = 0; i < 10; i++) s.observe(1); // t = 30 s
    // Streams rotate every 20 s. t = 30 s: head is stream 1, filling since t = 0.
    expect(minMax()).toEqual([1, 1000]);
    clock.advance(15_000); // t = 45 s: head is stream 2, still filling since t = 0.
    expect(minMax()).toEqual([1, 1000]);
    clock.advance(20_000); // t = 65 s: head is stream 0, cleared at t = 20 s: the 1000s are gone.
    expect(minMax()).toEqual([1, 1]);
    clock.advance(20_000); // t = 85 s: head is stream 1, cleared at t = 40 s: empty window.
    expect(minMax().every(Number.isNaN)).toBe(true);
    expect(s.get()).toMatchObject({ count: 20, sum: 10_010 });
    s.observe(7);
    expect(minMax()).toEqual([7, 7]);
    clock.advance(10 * 60_000); // idle for many windows
    expect(minMax().every(Number.isNaN)).toBe(true);
  });

  it("the head stream covers between (1 − 1/ageBuckets)·maxAge and maxAge", () => {
    const clock = new FakeClock();
    const s = new Summary({ name: "w", help: "w", percentiles: [0], maxAgeSeconds: 100, ageBuckets: 5, clock });
    // One observation per second, value = its time in seconds; q=0 gives the oldest one kept.
    for (let t = 0; t < 500; t++) {
      s.observe(t);
      const oldest = s.get().quantiles[0];
      if (t >= 100) {
        expect(t - oldest).toBeGreaterThanOrEqual(80 - 1);
        expect(t - oldest).toBeLessThan(100);
      }
      clock.advance(1000);
    }
  });

  it("labels, startTimer, frozen quantile label arrays reused", () => {
    const clock = new FakeClock();
    const s = new Summary({ name: "job_seconds", help: "x", labelNames: ["job"] as const, percentiles: [0.5], clock });
    const end = s.labels({ job: "a" }).startTimer();
    clock.mono += 250;
    expect(end()).toBe(0.25);
    const a = s.collect().samples;
    expect(a[0].labels).toEqual(["job", "a", "quantile", "0.5"]);
    expect(a[0].value).toBe(0.25);
    const b = s.collect().samples;
    expect(b[0].labels).toBe(a[0].labels);
    expect(Object.isFrozen(a[0].labels)).toBe(true);
  });

  it("property: summary quantiles within rank error of the window's observations", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 2000 }), (data) => {
        const s = new Summary({ name: "p", help: "p", percentiles: [0.5, 0.9, 0.99], rankError: 0.01, clock: new FakeClock() });
        for (const v of data) s.observe(v);
        const { quantiles, count } = s.get();
        expect(count).toBe(data.length);
        [0.5, 0.9, 0.99].forEach((q, i) => expect(withinRankError(data, q, quantiles[i], 0.01)).toBe(true));
      }),
      { numRuns: 100 },
    );
  });
});
