/**
 * Histogram: classic cumulative buckets (`_bucket{le}`, `_sum`, `_count`), native exponential
 * buckets (see native-histogram.ts), or both at once, as client_golang's HistogramOpts allows.
 * Exemplars: the latest one per classic bucket, and up to `maxExemplars` for the native form.
 */

import { MetricError } from "../errors.ts";
import type { ExpositionNativeHistogram, ExpositionSample } from "../exposition/model.ts";
import type { Exemplar, Labels } from "../wire/types.ts";
import type { Clock } from "./clock.ts";
import { makeExemplar, type ExemplarLabels } from "./exemplar.ts";
import { formatGoFloat } from "../exposition/format-float.ts";
import { withExtraLabel } from "./labels.ts";
import { Metric, MetricChild, type MetricOptions } from "./metric.ts";
import { NativeExemplars } from "./native-exemplars.ts";
import {
  DEFAULT_NATIVE_ZERO_THRESHOLD,
  NATIVE_SCHEMA_MAX,
  NATIVE_SCHEMA_MIN,
  NativeBuckets,
  pickNativeSchema,
} from "./native-histogram.ts";
import { snapshotSample } from "./snapshot-sample.ts";

/** client_golang's and prom-client's default buckets, tailored to request latencies in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Native-histogram settings, named after client_golang's `NativeHistogram…` options. */
export interface NativeHistogramOptions {
  /**
   * Largest acceptable growth factor from one bucket to the next (> 1); the schema is the
   * largest n in [-4, 8] with 2^(2^-n) ≤ factor. Default 1.1 (schema 3: 8 buckets per power of 2).
   */
  readonly bucketFactor?: number;
  /** Set the schema directly (-4…8) instead of `bucketFactor`. */
  readonly schema?: number;
  /**
   * Observations with |v| ≤ this go to the zero bucket. Default 2^-128; a negative value means a
   * zero bucket for exact zeros only (client_golang's `NativeHistogramZeroThresholdZero`).
   */
  readonly zeroThreshold?: number;
  /** Limit on populated buckets (0 = none, the default). Past it the strategy below applies. */
  readonly maxBuckets?: number;
  /** Past the limit, reset the whole histogram if the last reset is at least this long ago. */
  readonly minResetDurationSeconds?: number;
  /** Past the limit, widen the zero bucket, but not beyond this threshold (default 0: never). */
  readonly maxZeroThreshold?: number;
  /** Exemplars kept for the native form (default 10; negative: none). */
  readonly maxExemplars?: number;
  /**
   * Once `maxExemplars` are kept, an exemplar older than this is replaced first (default 300 s;
   * negative: always replace the oldest).
   */
  readonly exemplarTTLSeconds?: number;
}

/** Options of {@link Histogram}. */
export interface HistogramOptions<N extends string> extends MetricOptions<N> {
  /**
   * Classic bucket upper bounds, strictly increasing (+Inf is implicit). Default
   * {@link DEFAULT_BUCKETS} without `native`, none (just +Inf) with it.
   */
  readonly buckets?: readonly number[];
  /** Also (or only) keep a native histogram: `true` for defaults, or settings. */
  readonly native?: boolean | NativeHistogramOptions;
}

interface NativeConfig {
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly maxBuckets: number;
  readonly minResetMs: number;
  readonly maxZeroThreshold: number;
  readonly maxExemplars: number;
  readonly exemplarTTLMs: number;
}

/** Shared, immutable per-metric settings the children read. */
interface HistogramShape {
  readonly metric: string;
  readonly bounds: readonly number[];
  readonly le: readonly string[];
  readonly native: NativeConfig | undefined;
  readonly clock: Clock;
}

/** The histogram of one label set. */
export class HistogramChild extends MetricChild {
  private counts: number[];
  private count = 0;
  private sum = 0;
  private exemplars: (Exemplar | undefined)[];
  private readonly sparse: NativeBuckets | undefined;
  private readonly nativeExemplars: NativeExemplars | undefined;
  /** Creation or last reset (ms): the start timestamp. */
  private lastReset: number;
  /** When a reset scheduled by the bucket-limit strategy is due (ms). */
  private resetAt: number | undefined;
  private bucketLabelsFor: Labels | undefined;
  private bucketLabels: Labels[] = [];

  constructor(
    labels: Labels,
    private readonly shape: HistogramShape,
  ) {
    super(labels);
    this.counts = new Array<number>(shape.bounds.length + 1).fill(0);
    this.exemplars = new Array<Exemplar | undefined>(shape.bounds.length + 1).fill(undefined);
    const n = shape.native;
    this.sparse = n === undefined ? undefined : new NativeBuckets(n.schema, n.zeroThreshold);
    this.nativeExemplars = n === undefined || n.maxExemplars <= 0 ? undefined : new NativeExemplars(n.maxExemplars, n.exemplarTTLMs);
    this.lastReset = shape.clock.now();
  }

  /**
   * Record one observation. NaN is accepted as client_golang does (classic +Inf bucket, sum
   * becomes NaN, no native bucket). With `exemplarLabels` the observation becomes the exemplar of
   * its classic bucket (and of the native histogram).
   *
   * @example
   * latency.labels({ route: "/login" }).observe(0.042, { trace_id: "4bf92f3577b34da6" });
   */
  observe(value: number, exemplarLabels?: ExemplarLabels): void {
    if (typeof value !== "number") throw new MetricError("value-invalid", this.shape.metric, `observations must be numbers, got ${typeof value}`);
    const now = this.shape.clock.now();
    const exemplar = exemplarLabels === undefined ? undefined : makeExemplar(this.shape.metric, exemplarLabels, value, now);
    this.maybeScheduledReset(now);
    const bucket = this.findBucket(value);
    this.record(value, bucket);
    const cfg = this.shape.native;
    const sparse = this.sparse;
    if (cfg !== undefined && sparse !== undefined && !Number.isNaN(value) && cfg.maxBuckets > 0 && sparse.bucketCount > cfg.maxBuckets) {
      this.limitBuckets(cfg, sparse, value, bucket, now);
    }
    if (exemplar !== undefined) {
      this.exemplars[bucket] = exemplar;
      if (!Number.isNaN(value)) this.nativeExemplars?.add(exemplar);
    }
  }

  /**
   * Start a timer; the returned function observes the seconds elapsed and returns them.
   *
   * @example
   * const end = latency.startTimer();
   * await handle();
   * end();
   */
  startTimer(): () => number {
    const start = this.shape.clock.monotonic();
    return () => {
      const seconds = (this.shape.clock.monotonic() - start) / 1000;
      this.observe(seconds);
      return seconds;
    };
  }

  /** Observation count and sum so far. */
  get(): { readonly count: number; readonly sum: number } {
    return { count: this.count, sum: this.sum };
  }

  /** Current native schema and zero threshold (they change under the bucket limit), if native. */
  nativeState(): { readonly schema: number; readonly zeroThreshold: number; readonly buckets: number } | undefined {
    const s = this.sparse;
    return s === undefined ? undefined : { schema: s.schema, zeroThreshold: s.zeroThreshold, buckets: s.bucketCount };
  }

  /** @internal */
  collectInto(name: string, defaults: Labels, samples: ExpositionSample[], natives: ExpositionNativeHistogram[]): void {
    const now = this.shape.clock.now();
    this.maybeScheduledReset(now);
    const labels = this.labelsWith(defaults);
    if (this.bucketLabelsFor !== labels) {
      this.bucketLabels = this.shape.le.map((le) => withExtraLabel(labels, "le", le));
      this.bucketLabelsFor = labels;
    }
    const bucketName = `${name}_bucket`;
    let cumulative = 0;
    const n = this.counts.length;
    for (let i = 0; i < n; i++) {
      cumulative += this.counts[i];
      const e = this.exemplars[i];
      const l = this.bucketLabels[i];
      samples.push(snapshotSample(bucketName, l, cumulative, e));
    }
    samples.push(snapshotSample(`${name}_sum`, labels, this.sum));
    samples.push(snapshotSample(`${name}_count`, labels, this.count));
    if (this.sparse !== undefined) {
      const histogram = this.sparse.toNativeHistogram(this.count, this.sum, now, this.lastReset);
      const ex = this.nativeExemplars?.exemplars ?? [];
      natives.push(ex.length > 0 ? { labels, histogram, exemplars: Object.freeze(ex.slice()) } : { labels, histogram });
    }
  }

  private findBucket(v: number): number {
    const b = this.shape.bounds;
    const n = b.length;
    if (n === 0 || v <= b[0]) return 0;
    if (!(v <= b[n - 1])) return n; // above the last bound, or NaN: the +Inf bucket
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private record(v: number, bucket: number): void {
    this.counts[bucket]++;
    this.count++;
    this.sum += v;
    this.sparse?.observe(v);
  }

  /** client_golang's `limitBuckets`: reset, else widen the zero bucket, else halve the resolution. */
  private limitBuckets(cfg: NativeConfig, sparse: NativeBuckets, v: number, bucket: number, now: number): void {
    if (cfg.minResetMs > 0 && this.resetAt === undefined && now - this.lastReset >= cfg.minResetMs) {
      this.resetAll();
      this.record(v, bucket); // keep the observation that hit the limit
      this.lastReset = now;
      return;
    }
    if (cfg.minResetMs > 0 && this.resetAt === undefined) this.resetAt = this.lastReset + cfg.minResetMs;
    if (sparse.widenZeroBucket(cfg.maxZeroThreshold)) return;
    sparse.doubleBucketWidth();
  }

  /** A reset scheduled by the limit strategy happens when it is due (client_golang uses a timer). */
  private maybeScheduledReset(now: number): void {
    if (this.resetAt !== undefined && now >= this.resetAt) {
      this.resetAll();
      this.lastReset = this.resetAt;
      this.resetAt = undefined;
    }
  }

  private resetAll(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.sparse?.reset();
  }
}

/**
 * A histogram, optionally with typed label names; classic, native, or both.
 *
 * @example
 * const latency = new Histogram({ name: "http_request_duration_seconds", help: "Latency.",
 *                                 labelNames: ["route"] as const, buckets: [0.1, 0.5, 1],
 *                                 native: { bucketFactor: 1.1, maxBuckets: 160 }, registry });
 * latency.labels({ route: "/login" }).observe(0.23);
 */
export class Histogram<const N extends string = never> extends Metric<N, HistogramChild> {
  readonly type = "histogram" as const;
  private readonly shape: HistogramShape;

  constructor(options: HistogramOptions<N>) {
    super(options, ["le"]);
    const native = options.native === undefined || options.native === false ? undefined : nativeConfig(this.name, options.native === true ? {} : options.native);
    const bounds = checkBuckets(this.name, options.buckets ?? (native === undefined ? DEFAULT_BUCKETS : []));
    this.shape = Object.freeze({
      metric: this.name,
      bounds,
      le: Object.freeze([...bounds.map(formatGoFloat), "+Inf"]),
      native,
      clock: this.clock,
    });
    this.registerWith(options.registry);
  }

  /** Classic bucket upper bounds in use (without the implicit +Inf). */
  get buckets(): readonly number[] {
    return this.shape.bounds;
  }

  protected newChild(labels: Labels): HistogramChild {
    return new HistogramChild(labels, this.shape);
  }

  protected collectChild(child: HistogramChild, defaults: Labels, samples: ExpositionSample[], natives: ExpositionNativeHistogram[]): void {
    child.collectInto(this.name, defaults, samples, natives);
  }

  /** {@link HistogramChild.observe} on a histogram without label names. */
  observe(value: number, exemplarLabels?: ExemplarLabels): void {
    this.unlabelled().observe(value, exemplarLabels);
  }

  /** {@link HistogramChild.startTimer} on a histogram without label names. */
  startTimer(): () => number {
    return this.unlabelled().startTimer();
  }

  /** Count and sum of a histogram without label names. */
  get(): { readonly count: number; readonly sum: number } {
    return this.unlabelled().get();
  }
}

function checkBuckets(metric: string, buckets: readonly number[]): readonly number[] {
  if (!Array.isArray(buckets)) throw new MetricError("buckets-invalid", metric, "buckets must be an array of numbers");
  const out = [...buckets];
  if (out.length > 0 && out[out.length - 1] === Infinity) out.pop(); // +Inf is implicit
  for (let i = 0; i < out.length; i++) {
    const b = out[i];
    if (typeof b !== "number" || Number.isNaN(b) || b === Infinity) {
      throw new MetricError("buckets-invalid", metric, `bucket ${i} is ${String(b)}; bounds must be numbers below +Inf`);
    }
    if (i > 0 && !(out[i - 1] < b)) {
      throw new MetricError("buckets-invalid", metric, `buckets must be strictly increasing: ${out[i - 1]} >= ${b}`);
    }
  }
  return Object.freeze(out);
}

function nativeConfig(metric: string, o: NativeHistogramOptions): NativeConfig {
  let schema: number;
  if (o.schema !== undefined) {
    if (!Number.isInteger(o.schema) || o.schema < NATIVE_SCHEMA_MIN || o.schema > NATIVE_SCHEMA_MAX) {
      throw new MetricError("option-invalid", metric, `native schema must be an integer in [${NATIVE_SCHEMA_MIN}, ${NATIVE_SCHEMA_MAX}], got ${o.schema}`);
    }
    schema = o.schema;
  } else {
    const factor = o.bucketFactor ?? 1.1;
    if (!(factor > 1) || factor === Infinity) throw new MetricError("option-invalid", metric, `native bucketFactor must be a finite number > 1, got ${factor}`);
    schema = pickNativeSchema(factor);
  }
  const zt = o.zeroThreshold;
  if (zt !== undefined && Number.isNaN(zt)) throw new MetricError("option-invalid", metric, "native zeroThreshold is NaN");
  const maxBuckets = o.maxBuckets ?? 0;
  if (!Number.isInteger(maxBuckets) || maxBuckets < 0) throw new MetricError("option-invalid", metric, `native maxBuckets must be a non-negative integer, got ${maxBuckets}`);
  const minReset = o.minResetDurationSeconds ?? 0;
  if (!(minReset >= 0)) throw new MetricError("option-invalid", metric, `native minResetDurationSeconds must be ≥ 0, got ${minReset}`);
  return Object.freeze({
    schema,
    // client_golang: 0 (unset) → default, negative → an exact-zero bucket.
    zeroThreshold: zt === undefined || zt === 0 ? DEFAULT_NATIVE_ZERO_THRESHOLD : zt < 0 ? 0 : zt,
    maxBuckets,
    minResetMs: minReset * 1000,
    maxZeroThreshold: o.maxZeroThreshold ?? 0,
    maxExemplars: o.maxExemplars === undefined || o.maxExemplars === 0 ? 10 : Math.max(0, o.maxExemplars),
    exemplarTTLMs: o.exemplarTTLSeconds === undefined || o.exemplarTTLSeconds === 0 ? 300_000 : o.exemplarTTLSeconds * 1000,
  });
}
