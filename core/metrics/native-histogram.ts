/**
 * Native (sparse, exponential) histogram buckets, following client_golang's
 * `prometheus/histogram.go` step by step so the same observations give the same buckets:
 * bucket keys from `math.Frexp` and the boundary table, a zero bucket of configurable width,
 * spans that absorb gaps of up to two empty buckets, integer deltas, and the bucket-limit
 * strategy (widen the zero bucket, then halve the resolution one schema step per observation).
 *
 * Bucket key k at schema s covers (2^((k−1)/2^s), 2^(k/2^s)]: key 0 ends at 1, and with schema 3
 * there are 8 buckets per power of two.
 */

import type { BucketSpan, NativeHistogram } from "../wire/types.ts";
import { NATIVE_BOUNDS_SCHEMA_8 } from "./native-bounds.ts";

/** Highest resolution: 256 buckets per power of two. */
export const NATIVE_SCHEMA_MAX = 8;
/** Lowest resolution: a factor 2^16 from one bucket to the next. */
export const NATIVE_SCHEMA_MIN = -4;
/**
 * client_golang's `DefNativeHistogramZeroThreshold`: 2^-128, a bucket boundary at every schema.
 */
export const DEFAULT_NATIVE_ZERO_THRESHOLD = 2 ** -128;

// Built on first use, not at import: a bundle that uses no native histogram (a Worker counting
// requests) then drops the table (a top-level call would be kept as a possible side effect).
let boundsRows: readonly (readonly number[])[] | undefined;
function bounds(): readonly (readonly number[])[] {
  return (boundsRows ??= boundsBySchema());
}

function boundsBySchema(): readonly (readonly number[])[] {
  const rows: number[][] = [];
  for (let s = 0; s <= NATIVE_SCHEMA_MAX; s++) {
    const step = 1 << (NATIVE_SCHEMA_MAX - s);
    const row: number[] = [];
    for (let j = 0; j < NATIVE_BOUNDS_SCHEMA_8.length; j += step) row.push(NATIVE_BOUNDS_SCHEMA_8[j]);
    rows.push(row);
  }
  return rows;
}

let scratchView: DataView | undefined;

/**
 * Go's `math.Frexp` for a positive finite number: `[frac, exp]` with `x = frac · 2^exp` and
 * frac in [0.5, 1).
 *
 * @example
 * frexp(3) // [0.75, 2]
 */
export function frexp(x: number): [number, number] {
  const scratch = (scratchView ??= new DataView(new ArrayBuffer(8)));
  scratch.setFloat64(0, x);
  let hi = scratch.getUint32(0);
  let shift = 0;
  if ((hi & 0x7ff00000) === 0) {
    // Subnormal: scale into the normal range first.
    scratch.setFloat64(0, x * 2 ** 64);
    hi = scratch.getUint32(0);
    shift = 64;
  }
  const exp = ((hi >>> 20) & 0x7ff) - 1022 - shift;
  scratch.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return [scratch.getFloat64(0), exp];
}

/** Go's `sort.SearchFloat64s`: the first index whose entry is ≥ x (row length if none). */
function searchBounds(row: readonly number[], x: number): number {
  let lo = 0;
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (row[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The bucket key of an observation at a schema, as client_golang computes it (the sign is
 * ignored; ±Inf get the key after that of ±MaxFloat64).
 *
 * @example
 * nativeBucketKey(1, 3)   // 0: the bucket (2^-1/8, 1]
 * nativeBucketKey(1.5, 3) // 5
 */
export function nativeBucketKey(v: number, schema: number): number {
  let a = Math.abs(v);
  const isInf = a === Infinity;
  if (isInf) a = Number.MAX_VALUE;
  if (a === 0) return schema > 0 ? -bounds()[schema].length : 0; // frexp(0) = (0, 0)
  const [frac, exp] = frexp(a);
  let key: number;
  if (schema > 0) {
    const row = bounds()[schema];
    key = searchBounds(row, frac) + (exp - 1) * row.length;
  } else {
    key = exp;
    if (frac === 0.5) key--;
    const offset = (1 << -schema) - 1;
    key = (key + offset) >> -schema;
  }
  return isInf ? key + 1 : key;
}

/**
 * Upper bound of bucket `key` at `schema` (client_golang's `getLe`); the last finite bucket
 * ends at `Number.MAX_VALUE` rather than overflowing to +Inf.
 *
 * @example
 * nativeBucketUpperBound(8, 3) // 2
 */
export function nativeBucketUpperBound(key: number, schema: number): number {
  if (schema < 0) {
    const exp = key * 2 ** -schema;
    if (exp === 1024) return Number.MAX_VALUE;
    return 2 ** exp;
  }
  const fracIdx = key & ((1 << schema) - 1);
  const frac = bounds()[schema][fracIdx];
  const exp = Math.floor(key / 2 ** schema) + 1;
  if (frac === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return ldexp(frac, exp);
}

/** `f · 2^e` without the intermediate 2^e overflowing (Go's `math.Ldexp`). */
function ldexp(f: number, e: number): number {
  const half = e >> 1;
  return f * 2 ** half * 2 ** (e - half);
}

/**
 * The schema client_golang picks for a bucket factor: the largest n in [-4, 8] with
 * 2^(2^-n) ≤ factor (8 when the factor is below 2^(2^-8)).
 *
 * @example
 * pickNativeSchema(1.1) // 3
 */
export function pickNativeSchema(bucketFactor: number): number {
  const floor = Math.floor(Math.log2(Math.log2(bucketFactor)));
  if (floor <= -NATIVE_SCHEMA_MAX) return NATIVE_SCHEMA_MAX;
  if (floor >= -NATIVE_SCHEMA_MIN) return NATIVE_SCHEMA_MIN;
  return 0 - floor; // not -floor: -0 is not a schema
}

/**
 * Spans and integer deltas for populated buckets (client_golang's `makeBuckets`): keys in
 * increasing order; a gap of one or two empty buckets is written as zero-count buckets inside
 * the span, a longer gap starts a new span.
 *
 * @example
 * makeSpansAndDeltas(new Map([[3, 5], [4, 2], [6, 7]]))
 * // { spans: [{ offset: 3, length: 4 }], deltas: [5, -3, -2, 7] }
 */
export function makeSpansAndDeltas(buckets: ReadonlyMap<number, number>): { spans: BucketSpan[]; deltas: number[] } {
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const spans: { offset: number; length: number }[] = [];
  const deltas: number[] = [];
  let prev = 0;
  let next = 0;
  for (let n = 0; n < keys.length; n++) {
    const k = keys[n];
    const gap = k - next;
    if (n === 0 || gap > 2) {
      spans.push({ offset: gap, length: 0 });
    } else {
      for (let j = 0; j < gap; j++) {
        spans[spans.length - 1].length++;
        deltas.push(0 - prev);
        prev = 0;
      }
    }
    const count = buckets.get(k) as number;
    spans[spans.length - 1].length++;
    deltas.push(count - prev);
    prev = count;
    next = k + 1;
  }
  return { spans, deltas };
}

/**
 * The sparse-bucket state of one native histogram: zero bucket, positive and negative buckets,
 * current schema and zero threshold (both may change under the bucket limit). {@link Histogram}
 * uses it; it is exported for tools that build native histograms themselves.
 *
 * @example
 * const b = new NativeBuckets(3, DEFAULT_NATIVE_ZERO_THRESHOLD);
 * for (const v of [0.5, 1, 2]) b.observe(v);
 * b.toNativeHistogram(3, 3.5, Date.now()); // schema 3, positive spans/deltas
 */
export class NativeBuckets {
  schema: number;
  zeroThreshold: number;
  zeroCount: number = 0;
  readonly positive: Map<number, number> = new Map();
  readonly negative: Map<number, number> = new Map();

  constructor(
    /** The configured schema, restored by {@link reset}. */
    readonly initialSchema: number,
    /** The configured zero threshold, restored by {@link reset}. */
    readonly initialZeroThreshold: number,
  ) {
    this.schema = initialSchema;
    this.zeroThreshold = initialZeroThreshold;
  }

  /** Number of populated positive and negative buckets (the zero bucket not included). */
  get bucketCount(): number {
    return this.positive.size + this.negative.size;
  }

  /** Count one observation (NaN is not counted in any bucket, as in client_golang). */
  observe(v: number): void {
    if (Number.isNaN(v)) return;
    const zt = this.zeroThreshold;
    // client_golang compares after replacing ±Inf with ±MaxFloat64; same outcome for any finite zt.
    if (v > zt) add(this.positive, nativeBucketKey(v, this.schema), 1);
    else if (v < -zt) add(this.negative, nativeBucketKey(v, this.schema), 1);
    else this.zeroCount++;
  }

  /**
   * Widen the zero bucket to swallow the bucket(s) closest to zero, unless the new threshold
   * would exceed `maxZeroThreshold` (client_golang's `maybeWidenZeroBucket`). Returns whether
   * it did.
   */
  widenZeroBucket(maxZeroThreshold: number): boolean {
    if (this.zeroThreshold >= maxZeroThreshold) return false;
    let smallest = Infinity;
    for (const k of this.positive.keys()) if (k < smallest) smallest = k;
    for (const k of this.negative.keys()) if (k < smallest) smallest = k;
    if (smallest === Infinity) return false;
    const threshold = nativeBucketUpperBound(smallest, this.schema);
    if (threshold > maxZeroThreshold) return false;
    this.zeroThreshold = threshold;
    for (const side of [this.positive, this.negative]) {
      const c = side.get(smallest);
      if (c !== undefined) {
        this.zeroCount += c;
        side.delete(smallest);
      }
    }
    return true;
  }

  /**
   * Halve the resolution: schema − 1, bucket k merges into ⌈k/2⌉ (client_golang's
   * `doubleBucketWidth`). Does nothing at schema −4.
   */
  doubleBucketWidth(): void {
    if (this.schema === NATIVE_SCHEMA_MIN) return;
    this.schema--;
    for (const side of [this.positive, this.negative]) {
      const old = [...side];
      side.clear();
      for (const [k, c] of old) add(side, Math.ceil(k / 2), c);
    }
  }

  /** Back to the configured schema and threshold, no observations. */
  reset(): void {
    this.schema = this.initialSchema;
    this.zeroThreshold = this.initialZeroThreshold;
    this.zeroCount = 0;
    this.positive.clear();
    this.negative.clear();
  }

  /**
   * The remote-write form: an integer histogram with spans and deltas. Like client_golang, a
   * histogram with a zero threshold of 0 and no observations in any bucket gets one empty
   * positive span, so that it still reads as native.
   */
  toNativeHistogram(count: number, sum: number, timestamp: number, startTimestamp?: number): NativeHistogram {
    const pos = makeSpansAndDeltas(this.positive);
    const neg = makeSpansAndDeltas(this.negative);
    let positiveSpans: BucketSpan[] = pos.spans;
    if (this.zeroThreshold === 0 && this.zeroCount === 0 && pos.spans.length === 0 && neg.spans.length === 0) {
      positiveSpans = [{ offset: 0, length: 0 }];
    }
    const h: NativeHistogram = {
      timestamp,
      count,
      sum,
      schema: this.schema,
      zeroThreshold: this.zeroThreshold,
      zeroCount: this.zeroCount,
      negativeSpans: neg.spans,
      negativeDeltas: neg.deltas,
      positiveSpans,
      positiveDeltas: pos.deltas,
      ...(startTimestamp === undefined ? {} : { startTimestamp }),
    };
    return h;
  }
}

function add(m: Map<number, number>, key: number, n: number): void {
  m.set(key, (m.get(key) ?? 0) + n);
}
