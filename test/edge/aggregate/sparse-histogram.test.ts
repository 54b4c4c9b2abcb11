// Native-histogram arithmetic for aggregation (core/edge/aggregate/sparse-histogram.ts), checked
// against observing the same values directly: merged at the coarser schema and the wider zero
// bucket, two isolates' histograms equal one histogram that saw everything.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addSparse, coarsen, emptySparse, sparseFromWire, sparseToWire, subtractSparse, widenZero, type SparseHistogram } from "../../../core/edge/aggregate/sparse-histogram.ts";
import { DEFAULT_NATIVE_ZERO_THRESHOLD, NativeBuckets, nativeBucketUpperBound } from "../../../core/metrics/native-histogram.ts";

/** Values whose sums are exact in floating point: multiples of 1/64 up to ±2^20, and a few tiny ones. */
const value = fc.oneof(
  fc.integer({ min: -(2 ** 26), max: 2 ** 26 }).map((n) => n / 64),
  fc.constantFrom(0, 2 ** -130, -(2 ** -129), 2 ** -100, 1, 2, 0.5),
);
const schema = fc.integer({ min: -4, max: 8 });
/** Zero thresholds that are a bucket boundary at every schema: 0, the default, 2^(16k). */
const threshold = fc.constantFrom(0, DEFAULT_NATIVE_ZERO_THRESHOLD, 2 ** -16, 1, 2 ** 16);

function observe(values: readonly number[], s: number, zt: number): SparseHistogram {
  const b = new NativeBuckets(s, zt);
  let sum = 0;
  for (const v of values) {
    b.observe(v);
    sum += v;
  }
  return sparseFromWire(b.toNativeHistogram(values.length, sum, 0))!;
}

/** Everything but the sum, which depends on the order of addition when tiny and large values mix. */
const plain = (h: SparseHistogram) => ({
  schema: h.schema,
  zeroThreshold: h.zeroThreshold,
  zeroCount: h.zeroCount,
  count: h.count,
  positive: [...h.positive].sort((a, b) => a[0] - b[0]),
  negative: [...h.negative].sort((a, b) => a[0] - b[0]),
});

describe("sparse histograms", () => {
  it("merging two histograms equals observing both sets at the coarser schema and the wider zero bucket", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), fc.array(value, { maxLength: 60 }), schema, schema, threshold, threshold, (a, b, sa, sb, za, zb) => {
        const merged = observe(a, sa, za);
        addSparse(merged, observe(b, sb, zb));
        const direct = observe([...a, ...b], Math.min(sa, sb), Math.max(za, zb));
        expect(plain(merged)).toEqual(plain(direct));
        expect(Math.abs(merged.sum - direct.sum)).toBeLessThanOrEqual(2 ** -40 * (1 + [...a, ...b].reduce((n, v) => n + Math.abs(v), 0)));
      }),
      { numRuns: 300 },
    );
  });

  it("coarsening by steps equals coarsening at once, and equals observing at the coarse schema", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 80 }), schema, schema, (vs, s1, s2) => {
        const [hi, lo] = s1 >= s2 ? [s1, s2] : [s2, s1];
        const stepwise = observe(vs, hi, 0);
        for (let s = hi - 1; s >= lo; s--) coarsen(stepwise, s);
        const once = observe(vs, hi, 0);
        coarsen(once, lo);
        expect(plain(stepwise)).toEqual(plain(once));
        expect(plain(once)).toEqual(plain(observe(vs, lo, 0)));
      }),
      { numRuns: 300 },
    );
  });

  it("a later snapshot minus an earlier one is what was observed in between, even across the bucket limit (schema halved, zero bucket widened)", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 40 }), fc.array(value, { maxLength: 40 }), schema, fc.constantFrom("none", "halve", "widen"), (first, then, s, limit) => {
        const b = new NativeBuckets(s, DEFAULT_NATIVE_ZERO_THRESHOLD);
        let sum = 0;
        for (const v of first) (b.observe(v), (sum += v));
        const before = sparseFromWire(b.toNativeHistogram(first.length, sum, 0))!;
        if (limit === "halve") b.doubleBucketWidth();
        if (limit === "widen") b.widenZeroBucket(Infinity);
        let sum2 = sum;
        for (const v of then) (b.observe(v), (sum2 += v));
        const after = sparseFromWire(b.toNativeHistogram(first.length + then.length, sum2, 0))!;
        const d = subtractSparse(after, before);
        expect(d).toBeDefined();
        const back = structuredClone(before);
        addSparse(back, d!);
        expect(plain(back)).toEqual(plain(after));
      }),
      { numRuns: 300 },
    );
  });

  it("a reset (fewer observations, or a bucket that went down) is no difference: undefined", () => {
    const a = observe([1, 2, 3], 3, 0);
    expect(subtractSparse(observe([1, 2], 3, 0), a)).toBeUndefined();
    expect(subtractSparse(observe([1, 1, 5], 3, 0), a)).toBeUndefined(); // same count, bucket of 2 emptied
    expect(subtractSparse(observe([1, 2, 3, 4], 4, 0), a)).toBeUndefined(); // a finer schema only after a reset
  });

  it("a zero threshold inside a bucket widens to that bucket's upper bound (as Prometheus reconciles)", () => {
    const h = observe([3, 5, 100], 0, 0); // schema 0: buckets (2,4], (4,8], (64,128]
    expect(widenZero(h, 5)).toBe(8);
    expect(plain(h)).toMatchObject({ zeroThreshold: 8, zeroCount: 2, positive: [[7, 1]] });
    expect(nativeBucketUpperBound(7, 0)).toBe(128);
  });

  it("wire round trip: integer counts as an integer histogram, fractional ones as a float histogram", () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 60 }), schema, (vs, s) => {
        const h = observe(vs, s, DEFAULT_NATIVE_ZERO_THRESHOLD);
        const w = sparseToWire(h, 123);
        expect(w.float).toBeUndefined();
        expect(plain(sparseFromWire(w)!)).toEqual(plain(h));
        const f = emptySparse(s, 0);
        f.count = 1.5;
        f.positive.set(3, 0.5);
        f.positive.set(9, 1);
        const fw = sparseToWire(f, 0);
        expect(fw.float).toBe(true);
        expect(plain(sparseFromWire(fw)!)).toEqual(plain(f));
      }),
      { numRuns: 100 },
    );
  });
});
