import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Histogram } from "../../core/metrics/histogram.ts";
import { NATIVE_BOUNDS_SCHEMA_8 } from "../../core/metrics/native-bounds.ts";
import {
  frexp,
  makeSpansAndDeltas,
  nativeBucketKey,
  nativeBucketUpperBound,
  NativeBuckets,
  pickNativeSchema,
} from "../../core/metrics/native-histogram.ts";
import type { BucketSpan, NativeHistogram } from "../../core/wire/types.ts";
import goBounds from "./fixtures/go-native-bounds.json" with { type: "json" };
import { FakeClock } from "./fake-clock.ts";

/** Expand spans + deltas back into key → count (the inverse of makeSpansAndDeltas). */
function expand(spans: readonly BucketSpan[] | undefined, deltas: readonly number[] | undefined): Map<number, number> {
  const out = new Map<number, number>();
  let key = 0;
  let count = 0;
  let j = 0;
  for (const s of spans ?? []) {
    key += s.offset; // the first span's offset is the first key; later ones are gaps
    for (let i = 0; i < s.length; i++) {
      count += (deltas ?? [])[j++];
      if (count !== 0) out.set(key, count);
      key++;
    }
  }
  return out;
}

function onlyNative(h: Histogram): NativeHistogram {
  const f = h.collect();
  expect(f.nativeHistograms).toHaveLength(1);
  return f.nativeHistograms![0].histogram;
}

describe("native histogram bucket math (client_golang histogram.go)", () => {
  it("boundary table: schema 1–5 rows equal client_golang's, every entry is 2^(j/256−1) within a few ulps", () => {
    for (const s of [1, 2, 3, 4, 5] as const) {
      const row = (goBounds as unknown as Record<string, number[]>)[String(s)];
      const step = 1 << (8 - s);
      expect(NATIVE_BOUNDS_SCHEMA_8.filter((_, j) => j % step === 0)).toEqual(row);
    }
    expect(NATIVE_BOUNDS_SCHEMA_8).toHaveLength(256);
    for (let j = 0; j < 256; j++) {
      expect(Math.abs(NATIVE_BOUNDS_SCHEMA_8[j] - 2 ** (j / 256 - 1))).toBeLessThan(8 * 2 ** -53);
      if (j > 0) expect(NATIVE_BOUNDS_SCHEMA_8[j]).toBeGreaterThan(NATIVE_BOUNDS_SCHEMA_8[j - 1]);
    }
  });

  it("frexp matches Go's math.Frexp, subnormals included", () => {
    expect(frexp(1)).toEqual([0.5, 1]);
    expect(frexp(1.5)).toEqual([0.75, 1]);
    expect(frexp(3)).toEqual([0.75, 2]);
    expect(frexp(0.1)).toEqual([0.8, -3]);
    expect(frexp(Number.MAX_VALUE)).toEqual([1 - 2 ** -53, 1024]);
    expect(frexp(5e-324)).toEqual([0.5, -1073]);
    expect(frexp(3 * 2 ** -1074)).toEqual([0.75, -1072]);
  });

  it("pickSchema: largest n with 2^(2^-n) ≤ factor, clamped to [-4, 8]", () => {
    expect(pickNativeSchema(1.1)).toBe(3);
    expect(pickNativeSchema(2)).toBe(0);
    expect(pickNativeSchema(4)).toBe(-1);
    expect(pickNativeSchema(1.0001)).toBe(8);
    expect(pickNativeSchema(1e9)).toBe(-4);
    expect(pickNativeSchema(Math.SQRT2)).toBe(1);
  });

  it("keys of hand-derived observations at schema 3", () => {
    // frexp(1) = (0.5, 1): first bound ≥ 0.5 is index 0 → 0 + 0·8.
    expect(nativeBucketKey(1, 3)).toBe(0);
    // frexp(1.5) = (0.75, 1): first bound ≥ 0.75 is 0.7711… at index 5.
    expect(nativeBucketKey(1.5, 3)).toBe(5);
    // frexp(2) = (0.5, 2) → 0 + 1·8.
    expect(nativeBucketKey(2, 3)).toBe(8);
    // frexp(1e-10) = (0.8589…, -33): first bound ≥ is 0.9170… at index 7 → 7 + (-34)·8.
    expect(nativeBucketKey(1e-10, 3)).toBe(-265);
    // frexp(1e300) = (0.7463…, 997) → 5 + 996·8.
    expect(nativeBucketKey(1e300, 3)).toBe(7973);
    // MaxFloat64: frac above every bound → 8 + 1023·8; +Inf is the key after it.
    expect(nativeBucketKey(Number.MAX_VALUE, 3)).toBe(8192);
    expect(nativeBucketKey(Infinity, 3)).toBe(8193);
    expect(nativeBucketKey(-Infinity, 3)).toBe(8193);
    // Schema ≤ 0: key = exp (−1 for an exact power of two), then ⌈key / 2^-schema⌉.
    expect(nativeBucketKey(4, 0)).toBe(2);
    expect(nativeBucketKey(5, 0)).toBe(3);
    expect(nativeBucketKey(5, -1)).toBe(2);
    expect(nativeBucketKey(5e-324, 0)).toBe(-1074);
    expect(nativeBucketKey(Number.MAX_VALUE, -4)).toBe(64);
    expect(nativeBucketKey(Infinity, -4)).toBe(65);
  });

  it("upper bounds (getLe), with MaxFloat64 as the last finite bound", () => {
    expect(nativeBucketUpperBound(0, 3)).toBe(1);
    expect(nativeBucketUpperBound(8, 3)).toBe(2);
    expect(nativeBucketUpperBound(5, 3)).toBe(0.7711054127039704 * 2);
    expect(nativeBucketUpperBound(-265, 3)).toBe(0.9170040432046711 * 2 ** -33);
    expect(nativeBucketUpperBound(8192, 3)).toBe(Number.MAX_VALUE);
    expect(nativeBucketUpperBound(8193, 3)).toBe(Infinity);
    expect(nativeBucketUpperBound(64, -4)).toBe(Number.MAX_VALUE);
    expect(nativeBucketUpperBound(3, 0)).toBe(8);
    expect(nativeBucketUpperBound(-1074, 0)).toBe(5e-324);
  });

  it("property: every finite observation lies in (upper(k−1), upper(k)] of its key, at every schema", () => {
    // Normal range only: below 2^-1000 bucket bounds are subnormal and round onto each other.
    fc.assert(
      fc.property(
        fc.double({ min: 2 ** -1000, max: Number.MAX_VALUE, noNaN: true }),
        fc.integer({ min: -4, max: 8 }),
        (v, schema) => {
          const k = nativeBucketKey(v, schema);
          expect(v).toBeLessThanOrEqual(nativeBucketUpperBound(k, schema));
          expect(v).toBeGreaterThan(nativeBucketUpperBound(k - 1, schema));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("spans and deltas: gaps of ≤ 2 buckets are filled, larger gaps start a span", () => {
    const m = new Map([
      [-265, 1],
      [0, 1],
      [5, 1],
      [8, 1],
      [7973, 1],
    ]);
    expect(makeSpansAndDeltas(m)).toEqual({
      spans: [
        { offset: -265, length: 1 },
        { offset: 264, length: 1 },
        { offset: 4, length: 4 },
        { offset: 7964, length: 1 },
      ],
      deltas: [1, 0, 0, -1, 0, 1, 0],
    });
    expect(makeSpansAndDeltas(new Map())).toEqual({ spans: [], deltas: [] });
    expect(makeSpansAndDeltas(new Map([[3, 5], [4, 2], [6, 7]]))).toEqual({
      spans: [{ offset: 3, length: 4 }],
      deltas: [5, -3, -2, 7],
    });
  });

  it("property: spans/deltas expand back to the same buckets", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.integer({ min: -300, max: 300 }).map(String), fc.integer({ min: 1, max: 1000 })), (d) => {
        const m = new Map(Object.entries(d).map(([k, v]) => [Number(k), v] as [number, number]));
        const { spans, deltas } = makeSpansAndDeltas(m);
        expect(expand(spans, deltas)).toEqual(new Map([...m].sort((a, b) => a[0] - b[0])));
        expect(deltas.length).toBe(spans.reduce((n, s) => n + s.length, 0));
      }),
    );
  });
});

describe("native histogram: vectors derived by hand from client_golang's algorithm", () => {
  it("schema 3, zero threshold 2^-128: {0, 1, 1.5, 2, 1e-10, -3, 1e300}", () => {
    const clock = new FakeClock();
    const h = new Histogram({ name: "x", help: "x", native: { schema: 3 }, clock });
    for (const v of [0, 1, 1.5, 2, 1e-10, -3, 1e300]) h.observe(v);
    const n = onlyNative(h);
    expect(n).toEqual({
      timestamp: clock.wall,
      startTimestamp: clock.wall,
      count: 7,
      sum: 0 + 1 + 1.5 + 2 + 1e-10 - 3 + 1e300,
      schema: 3,
      zeroThreshold: 2 ** -128,
      zeroCount: 1,
      positiveSpans: [
        { offset: -265, length: 1 },
        { offset: 264, length: 1 },
        { offset: 4, length: 4 },
        { offset: 7964, length: 1 },
      ],
      positiveDeltas: [1, 0, 0, -1, 0, 1, 0],
      negativeSpans: [{ offset: 13, length: 1 }],
      negativeDeltas: [1],
    });
    // bucketFactor 1.1 picks the same schema.
    const h2 = new Histogram({ name: "x", help: "x", native: { bucketFactor: 1.1 }, clock });
    for (const v of [0, 1, 1.5, 2, 1e-10, -3, 1e300]) h2.observe(v);
    expect(onlyNative(h2)).toEqual(n);
    // Native only: no classic buckets but the implicit +Inf.
    expect(h.collect().samples.map((s) => [s.name, ...s.labels, s.value])).toEqual([
      ["x_bucket", "le", "+Inf", 7],
      ["x_sum", 1e300],
      ["x_count", 7],
    ]);
  });

  it("schema reduction: past maxBuckets the width doubles (k → ⌈k/2⌉), one step per observation", () => {
    const h = new Histogram({ name: "x", help: "x", native: { schema: 3, maxBuckets: 4 }, clock: new FakeClock() });
    // Keys at schema 3: 1 → 0, 1.5 → 5, 2 → 8, −3 → negative 13: four buckets, at the limit.
    for (const v of [1, 1.5, 2, -3]) h.observe(v);
    expect(h.labels({}).nativeState()).toEqual({ schema: 3, zeroThreshold: 2 ** -128, buckets: 4 });
    // 1e-10 (key −265) makes five: schema 2, keys 0, 3, 4, −132 and negative 7 — still five.
    h.observe(1e-10);
    let n = onlyNative(h);
    expect(n.schema).toBe(2);
    expect(expand(n.positiveSpans, n.positiveDeltas)).toEqual(new Map([[-132, 1], [0, 1], [3, 1], [4, 1]]));
    expect(expand(n.negativeSpans, n.negativeDeltas)).toEqual(new Map([[7, 1]]));
    // 1.5 again (key 3 at schema 2): still five buckets, so one more step: schema 1.
    h.observe(1.5);
    n = onlyNative(h);
    expect(n).toMatchObject({
      schema: 1,
      count: 6,
      zeroCount: 0,
      positiveSpans: [{ offset: -66, length: 1 }, { offset: 65, length: 3 }],
      positiveDeltas: [1, 0, -1, 3],
      negativeSpans: [{ offset: 4, length: 1 }],
      negativeDeltas: [1],
    });
    // No further reduction once under the limit.
    h.observe(1);
    expect(onlyNative(h).schema).toBe(1);
  });

  it("widening the zero bucket comes first when maxZeroThreshold allows it", () => {
    const h = new Histogram({ name: "x", help: "x", native: { schema: 3, maxBuckets: 2, maxZeroThreshold: 1 }, clock: new FakeClock() });
    h.observe(1e-10); // key −265
    h.observe(1); // key 0
    h.observe(2); // key 8 → 3 buckets: zero bucket swallows key −265, threshold = upper(−265) = 0.917…·2^−33
    let n = onlyNative(h);
    expect(n.zeroThreshold).toBe(0.9170040432046711 * 2 ** -33);
    expect(n.zeroCount).toBe(1);
    h.observe(-3); // negative 13 → 3 buckets: smallest key is 0 (upper bound 1 ≤ 1): threshold 1
    n = onlyNative(h);
    expect(n.zeroThreshold).toBe(1);
    expect(n.zeroCount).toBe(2);
    h.observe(1.5); // key 5: upper bound 1.54 > 1, so halve the resolution instead
    n = onlyNative(h);
    expect(n).toMatchObject({
      schema: 2,
      zeroThreshold: 1,
      zeroCount: 2,
      count: 5,
      positiveSpans: [{ offset: 3, length: 2 }],
      positiveDeltas: [1, 0],
      negativeSpans: [{ offset: 7, length: 1 }],
      negativeDeltas: [1],
    });
  });

  it("minResetDuration: resets when old enough, otherwise schedules a reset and reduces", () => {
    const clock = new FakeClock();
    const t0 = clock.wall;
    const h = new Histogram({ name: "x", help: "x", buckets: [1], native: { schema: 0, maxBuckets: 1, minResetDurationSeconds: 60 }, clock });
    h.observe(1); // key 0
    clock.advance(61_000);
    h.observe(4); // key 2 → 2 buckets; last reset 61 s ago → full reset, keeping this observation
    let n = onlyNative(h);
    expect(n).toMatchObject({ count: 1, sum: 4, schema: 0, positiveSpans: [{ offset: 2, length: 1 }], positiveDeltas: [1], startTimestamp: t0 + 61_000 });
    expect(h.collect().samples.find((s) => s.name === "x_bucket")?.value).toBe(0); // classic counts were reset too
    clock.advance(1_000);
    h.observe(16); // key 4 → 2 buckets, reset only 1 s ago: schedule a reset, halve: schema −1, keys 1 and 2
    n = onlyNative(h);
    expect(n).toMatchObject({ count: 2, schema: -1, positiveSpans: [{ offset: 1, length: 2 }], positiveDeltas: [1, 0] });
    clock.advance(58_000); // 59 s after the reset: not due yet
    expect(onlyNative(h).count).toBe(2);
    clock.advance(1_000); // due: everything back to the configured state
    n = onlyNative(h);
    expect(n).toMatchObject({ count: 0, sum: 0, schema: 0, zeroCount: 0, positiveSpans: [], startTimestamp: t0 + 61_000 + 60_000 });
  });

  it("zero threshold: negative means exact zeros only, and an empty histogram gets a no-op span", () => {
    const h = new Histogram({ name: "x", help: "x", native: { zeroThreshold: -1 }, clock: new FakeClock() });
    let n = onlyNative(h);
    expect(n.zeroThreshold).toBe(0);
    expect(n.positiveSpans).toEqual([{ offset: 0, length: 0 }]);
    h.observe(0);
    h.observe(1e-300); // above a zero threshold of 0: a real bucket
    n = onlyNative(h);
    expect(n.zeroCount).toBe(1);
    expect(n.positiveSpans).toEqual([{ offset: nativeBucketKey(1e-300, 3), length: 1 }]);
  });

  it("NaN counts in count and sum but in no bucket; ±Inf get their own buckets", () => {
    const h = new Histogram({ name: "x", help: "x", native: true, clock: new FakeClock() });
    h.observe(Number.NaN);
    h.observe(Infinity);
    h.observe(-Infinity);
    const n = onlyNative(h);
    expect(n.count).toBe(3);
    expect(n.sum).toBeNaN();
    expect(n.positiveSpans).toEqual([{ offset: 8193, length: 1 }]);
    expect(n.negativeSpans).toEqual([{ offset: 8193, length: 1 }]);
  });

  it("property: bucket counts + zero count = number of non-NaN observations; classic and native agree on count", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true }), fc.constant(0)), { maxLength: 200 }),
        fc.integer({ min: -4, max: 8 }),
        fc.integer({ min: 0, max: 20 }),
        (values, schema, maxBuckets) => {
          const h = new Histogram({ name: "x", help: "x", buckets: [-1, 0, 1], native: { schema, maxBuckets }, clock: new FakeClock() });
          for (const v of values) h.observe(v);
          const n = onlyNative(h);
          const pos = expand(n.positiveSpans, n.positiveDeltas);
          const neg = expand(n.negativeSpans, n.negativeDeltas);
          let total = n.zeroCount;
          for (const c of pos.values()) total += c;
          for (const c of neg.values()) total += c;
          expect(total).toBe(values.length);
          expect(n.count).toBe(values.length);
          // Every bucket count is a positive integer.
          for (const c of [...pos.values(), ...neg.values()]) expect(Number.isInteger(c) && c > 0).toBe(true);
          expect(n.schema).toBeLessThanOrEqual(schema);
          const inf = h.collect().samples.find((s) => s.name === "x_bucket" && s.labels[1] === "+Inf");
          expect(inf?.value).toBe(values.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("NativeBuckets reset restores the configured schema and threshold", () => {
    const b = new NativeBuckets(3, 2 ** -128);
    b.observe(5);
    b.doubleBucketWidth();
    expect(b.schema).toBe(2);
    b.reset();
    expect([b.schema, b.zeroThreshold, b.bucketCount, b.zeroCount]).toEqual([3, 2 ** -128, 0, 0]);
    const low = new NativeBuckets(-4, 0);
    low.observe(5);
    low.doubleBucketWidth(); // already at the lowest resolution: nothing changes
    expect(low.schema).toBe(-4);
  });
});
