/**
 * Native histograms as absolute bucket counts, for arithmetic: the difference of two snapshots
 * of one isolate's histogram (what it reports), and the sum of many isolates' differences (what
 * the aggregator keeps). The wire form (spans and deltas) is only for sending.
 *
 * Two histograms add only at a common schema and zero threshold, as Prometheus adds them
 * (`FloatHistogram.Add`): the finer one is coarsened to the coarser schema — bucket k at schema
 * s lies inside bucket ⌈k / 2^(s−t)⌉ at schema t, so coarsening is exact — and buckets that
 * overlap the wider zero bucket move into it.
 */

import { makeSpansAndDeltas, nativeBucketUpperBound } from "../../metrics/native-histogram.ts";
import type { BucketSpan, NativeHistogram } from "../../wire/types.ts";

/** A native histogram with absolute counts per bucket key (the sign of the side is the map). */
export interface SparseHistogram {
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  count: number;
  sum: number;
  readonly positive: Map<number, number>;
  readonly negative: Map<number, number>;
}

/** Lowest and highest exponential schema (remote write 2.0: −4…8; −53 is custom buckets, not aggregated). */
export const SCHEMA_MIN = -4;
export const SCHEMA_MAX = 8;

/** An empty histogram at a schema and zero threshold. */
export function emptySparse(schema: number, zeroThreshold: number): SparseHistogram {
  return { schema, zeroThreshold, zeroCount: 0, count: 0, sum: 0, positive: new Map(), negative: new Map() };
}

/** A deep copy. */
export function cloneSparse(h: SparseHistogram): SparseHistogram {
  return { ...h, positive: new Map(h.positive), negative: new Map(h.negative) };
}

function readSide(spans: readonly BucketSpan[] | undefined, deltas: readonly number[] | undefined, counts: readonly number[] | undefined, into: Map<number, number>): void {
  if (spans === undefined) return;
  let key = 0;
  let i = 0;
  let running = 0;
  for (let s = 0; s < spans.length; s++) {
    key += spans[s].offset;
    for (let j = 0; j < spans[s].length; j++, i++, key++) {
      const c = counts !== undefined ? (counts[i] ?? 0) : (running += deltas?.[i] ?? 0);
      if (c !== 0) into.set(key, c);
    }
  }
}

/**
 * The absolute-count form of a wire histogram (integer or float), or undefined for custom
 * buckets (schema −53), which have no exponential keys to merge by.
 *
 * @example const h = sparseFromWire(snapshot.histogram);
 */
export function sparseFromWire(w: NativeHistogram): SparseHistogram | undefined {
  if (!Number.isInteger(w.schema) || w.schema < SCHEMA_MIN || w.schema > SCHEMA_MAX) return undefined;
  const h = emptySparse(w.schema, w.zeroThreshold);
  h.zeroCount = w.zeroCount;
  h.count = w.count;
  h.sum = w.sum;
  readSide(w.positiveSpans, w.positiveDeltas, w.float === true ? (w.positiveCounts ?? []) : undefined, h.positive);
  readSide(w.negativeSpans, w.negativeDeltas, w.float === true ? (w.negativeCounts ?? []) : undefined, h.negative);
  return h;
}

/**
 * The wire form at `timestamp`: an integer histogram when every count is an integer (what
 * client libraries send), else a float one. As client_golang does, a histogram with a zero
 * threshold of 0 and no bucket at all gets one empty positive span so that it still reads as native.
 */
export function sparseToWire(h: SparseHistogram, timestamp: number): NativeHistogram {
  const pos = makeSpansAndDeltas(h.positive);
  const neg = makeSpansAndDeltas(h.negative);
  let positiveSpans = pos.spans;
  if (h.zeroThreshold === 0 && h.zeroCount === 0 && pos.spans.length === 0 && neg.spans.length === 0) positiveSpans = [{ offset: 0, length: 0 }];
  const integral = Number.isInteger(h.count) && Number.isInteger(h.zeroCount) && allIntegers(h.positive) && allIntegers(h.negative);
  const base = { timestamp, count: h.count, sum: h.sum, schema: h.schema, zeroThreshold: h.zeroThreshold, zeroCount: h.zeroCount, negativeSpans: neg.spans, positiveSpans };
  if (integral) return { ...base, negativeDeltas: neg.deltas, positiveDeltas: pos.deltas };
  return { ...base, float: true, negativeCounts: runningSums(neg.deltas), positiveCounts: runningSums(pos.deltas) };
}

function allIntegers(m: Map<number, number>): boolean {
  for (const c of m.values()) if (!Number.isInteger(c)) return false;
  return true;
}

function runningSums(deltas: readonly number[]): number[] {
  let c = 0;
  return deltas.map((d) => (c += d));
}

/** Coarsen to a lower schema, in place (bucket k → ⌈k / 2^(schema − to)⌉). */
export function coarsen(h: SparseHistogram, to: number): void {
  if (to >= h.schema) return;
  const div = 2 ** (h.schema - to);
  for (const side of [h.positive, h.negative]) {
    const old = [...side];
    side.clear();
    for (const [k, c] of old) {
      const nk = Math.ceil(k / div);
      side.set(nk, (side.get(nk) ?? 0) + c);
    }
  }
  h.schema = to;
}

/**
 * Widen the zero bucket to at least `threshold`, in place: every bucket whose lower bound lies
 * below the threshold moves into it, and a bucket the threshold falls inside raises the
 * threshold to its upper bound (as Prometheus reconciles zero buckets). Returns the threshold.
 */
export function widenZero(h: SparseHistogram, threshold: number): number {
  let t = Math.max(threshold, h.zeroThreshold);
  const keys = [...new Set([...h.positive.keys(), ...h.negative.keys()])].sort((a, b) => a - b);
  for (const k of keys) {
    if (!(nativeBucketUpperBound(k - 1, h.schema) < t)) break;
    t = Math.max(t, nativeBucketUpperBound(k, h.schema));
    for (const side of [h.positive, h.negative]) {
      const c = side.get(k);
      if (c !== undefined) {
        h.zeroCount += c;
        side.delete(k);
      }
    }
  }
  h.zeroThreshold = t;
  return t;
}

/** Bring two histograms to a common schema (the coarser) and zero threshold (the wider), in place. */
export function reconcile(a: SparseHistogram, b: SparseHistogram): void {
  const schema = Math.min(a.schema, b.schema);
  coarsen(a, schema);
  coarsen(b, schema);
  if (a.zeroThreshold === b.zeroThreshold) return;
  const t = widenZero(b, widenZero(a, Math.max(a.zeroThreshold, b.zeroThreshold)));
  widenZero(a, t);
}

/** Add `delta` into `into` (reconciling both first; `delta` may be changed by that). */
export function addSparse(into: SparseHistogram, delta: SparseHistogram): void {
  reconcile(into, delta);
  into.zeroCount += delta.zeroCount;
  into.count += delta.count;
  into.sum += delta.sum;
  for (const [side, from] of [
    [into.positive, delta.positive],
    [into.negative, delta.negative],
  ] as const) {
    for (const [k, c] of from) {
      const n = (side.get(k) ?? 0) + c;
      if (n === 0) side.delete(k);
      else side.set(k, n);
    }
  }
}

/**
 * What was observed between two snapshots of one histogram, `prev` then `cur`; undefined when
 * `cur` is not a continuation of `prev` (a reset: the count or a bucket went down, or the schema
 * went up or the zero threshold down — only a reset restores them). `prev` is not changed.
 */
export function subtractSparse(cur: SparseHistogram, prev: SparseHistogram): SparseHistogram | undefined {
  if (cur.schema > prev.schema || cur.zeroThreshold < prev.zeroThreshold || cur.count < prev.count) return undefined;
  const p = cloneSparse(prev);
  coarsen(p, cur.schema);
  if (p.zeroThreshold !== cur.zeroThreshold && widenZero(p, cur.zeroThreshold) !== cur.zeroThreshold) return undefined;
  const d = emptySparse(cur.schema, cur.zeroThreshold);
  d.zeroCount = cur.zeroCount - p.zeroCount;
  d.count = cur.count - p.count;
  d.sum = cur.sum - p.sum;
  if (d.zeroCount < 0) return undefined;
  for (const [side, c, q] of [
    [d.positive, cur.positive, p.positive],
    [d.negative, cur.negative, p.negative],
  ] as const) {
    for (const [k, n] of c) {
      const x = n - (q.get(k) ?? 0);
      if (x < 0) return undefined;
      if (x !== 0) side.set(k, x);
    }
    for (const k of q.keys()) if (!c.has(k)) return undefined; // a populated bucket emptied
  }
  return d;
}

/**
 * True when nothing was observed (the difference of two equal snapshots). The sum is not looked
 * at: once a NaN was observed it stays NaN, and NaN − NaN is NaN with nothing new.
 */
export function isEmptySparse(h: SparseHistogram): boolean {
  return h.count === 0 && h.zeroCount === 0 && h.positive.size === 0 && h.negative.size === 0;
}
