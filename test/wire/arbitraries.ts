// fast-check generators for promwire series: the open-ended inputs the codec must handle.
import fc from "fast-check";
import { compareUtf8 } from "../../core/wire/label-rules.ts";
import type { Exemplar, MetricMetadata, NativeHistogram, Sample, Series } from "../../core/wire/types.ts";

const FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
const REST = `${FIRST}0123456789`;
export const labelName = fc
  .tuple(fc.constantFrom(...FIRST), fc.string({ unit: fc.constantFrom(...REST), maxLength: 12 }))
  .map(([a, b]) => a + b)
  .filter((n) => n !== "__name__");
export const metricName = fc
  .tuple(fc.constantFrom(...`${FIRST}:`), fc.string({ unit: fc.constantFrom(...`${REST}:`), maxLength: 20 }))
  .map(([a, b]) => a + b);

/** Label values: unicode (incl. astral planes), empty, and occasionally 64 KiB. */
export const labelValue = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "grapheme", maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constant("") },
  { weight: 1, arbitrary: fc.constantFrom("x".repeat(65536), "ü".repeat(40000), "😀".repeat(20000)) },
);

export const timestamp = fc.oneof(
  fc.integer({ min: -2_000_000_000_000, max: 4_000_000_000_000 }),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -1, 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 31, 2 ** 32, -(2 ** 32), 1_700_000_000_000),
  // Where a varint takes one more byte (7-bit groups), and the writer's fast paths switch.
  fc.constantFrom(...[28, 32, 35, 42, 49].flatMap((b) => [2 ** b - 1, 2 ** b])),
);

export const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, Number.MAX_VALUE, Number.MIN_VALUE));

export const sortedLabels = (withName: boolean): fc.Arbitrary<string[]> =>
  fc
    .tuple(
      fc.uniqueArray(fc.tuple(labelName, labelValue), { selector: ([n]) => n, maxLength: 6 }),
      metricName,
    )
    .map(([pairs, name]) => {
      const all = withName ? [...pairs, ["__name__", name] as [string, string]] : pairs;
      all.sort((a, b) => compareUtf8(a[0], b[0]));
      return all.flat();
    });

const increasing = (min: number, max: number): fc.Arbitrary<number[]> =>
  fc.uniqueArray(timestamp, { maxLength: max, minLength: min }).map((ts) => ts.sort((a, b) => a - b));

export const samples: fc.Arbitrary<Sample[]> = increasing(0, 5).chain((ts) =>
  fc.tuple(...ts.map((t) => fc.record({ value, timestamp: fc.constant(t), startTimestamp: fc.option(timestamp, { nil: undefined }) }))).map(
    (xs) => xs.map((x) => (x.startTimestamp === undefined || x.startTimestamp === 0 ? { value: x.value, timestamp: x.timestamp } : x)),
  ),
);

const spansFor = (n: number): fc.Arbitrary<{ offset: number; length: number }[]> =>
  fc
    .array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 3 })
    .map((offsets) => {
      if (n === 0) return [];
      const spans = [];
      let left = n;
      for (let i = 0; i < offsets.length && left > 0; i++) {
        const len = i === offsets.length - 1 ? left : Math.max(1, Math.ceil(left / 2));
        spans.push({ offset: offsets[i], length: len });
        left -= len;
      }
      return spans;
    });

export const histogram = (ts: number): fc.Arbitrary<NativeHistogram> =>
  fc
    .record({
      float: fc.boolean(),
      neg: fc.integer({ min: 0, max: 5 }),
      pos: fc.integer({ min: 0, max: 8 }),
      schema: fc.integer({ min: -4, max: 8 }),
      resetHint: fc.constantFrom("unknown", "yes", "no", "gauge" as const),
      sum: value,
      zeroThreshold: fc.constantFrom(0, 2 ** -128, 1e-10),
    })
    .chain((h) =>
      fc.record({
        base: fc.constant(h),
        negSpans: spansFor(h.neg),
        posSpans: spansFor(h.pos),
        negInts: fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: h.neg, maxLength: h.neg }),
        posInts: fc.array(fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.constantFrom(2 ** 40, -(2 ** 45))), { minLength: h.pos, maxLength: h.pos }),
        negF: fc.array(fc.double({ min: 0, noNaN: true }), { minLength: h.neg, maxLength: h.neg }),
        posF: fc.array(fc.double({ min: 0, noNaN: true }), { minLength: h.pos, maxLength: h.pos }),
        count: fc.nat(),
        countF: fc.double({ min: 0, noNaN: true }),
        zero: fc.nat({ max: 1000 }),
        start: fc.option(timestamp, { nil: undefined }),
      }),
    )
    .map(({ base, negSpans, posSpans, negInts, posInts, negF, posF, count, countF, zero, start }) => ({
      timestamp: ts,
      float: base.float || undefined,
      count: base.float ? countF : count,
      sum: base.sum,
      schema: base.schema,
      zeroThreshold: base.zeroThreshold,
      zeroCount: zero,
      negativeSpans: negSpans,
      positiveSpans: posSpans,
      ...(base.float ? { negativeCounts: negF, positiveCounts: posF } : { negativeDeltas: negInts, positiveDeltas: posInts }),
      resetHint: base.resetHint,
      ...(start ? { startTimestamp: start } : {}),
    }));

export const exemplar: fc.Arbitrary<Exemplar> = fc.record({
  labels: sortedLabels(false),
  value,
  timestamp: fc.option(timestamp, { nil: undefined }),
}).map((e) => (e.timestamp === undefined ? { labels: e.labels, value: e.value } : e));

export const series: fc.Arbitrary<Series> = fc
  .record({
    labels: sortedLabels(true),
    samples,
    histTs: increasing(0, 2),
    exemplars: fc.array(exemplar, { maxLength: 2 }),
  })
  .chain((s) =>
    fc.tuple(...s.histTs.map((t) => histogram(t))).map((histograms) => ({
      labels: s.labels,
      samples: s.samples,
      histograms,
      exemplars: s.exemplars,
    })),
  );

export const metadataFor = (list: readonly Series[]): fc.Arbitrary<MetricMetadata[]> => {
  const names = [...new Set(list.map((s) => s.labels[s.labels.indexOf("__name__") + 1]))];
  return fc.tuple(
    ...names.map((name) =>
      fc.record({
        metricFamilyName: fc.constant(name),
        type: fc.constantFrom("unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset" as const),
        help: fc.option(fc.string({ unit: "grapheme", maxLength: 30 }), { nil: undefined }),
        unit: fc.option(fc.constantFrom("seconds", "bytes", ""), { nil: undefined }),
      }),
    ),
  );
};
