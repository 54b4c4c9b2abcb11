/**
 * Summary: count, sum, and quantiles over a sliding time window, as client_golang and prom-client
 * do it: `ageBuckets` streams each receive every observation; every `maxAgeSeconds / ageBuckets`
 * the oldest is cleared and becomes the newest, and quantiles are read from the stream that has
 * been filling longest, so they cover between (1 − 1/ageBuckets)·maxAge and maxAge of history.
 * Each stream is a {@link QuantileStream} with a guaranteed rank error.
 */

import { MetricError } from "../errors.ts";
import type { ExpositionSample } from "../exposition/model.ts";
import type { Labels } from "../wire/types.ts";
import type { Clock } from "./clock.ts";
import { formatGoFloat } from "../exposition/format-float.ts";
import { withExtraLabel } from "./labels.ts";
import { Metric, MetricChild, type MetricOptions } from "./metric.ts";
import { QuantileStream } from "./quantile-stream.ts";
import { snapshotSample } from "./snapshot-sample.ts";

/** prom-client's default percentiles. */
export const DEFAULT_PERCENTILES: readonly number[] = [0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999];

/** Options of {@link Summary}. */
export interface SummaryOptions<N extends string> extends MetricOptions<N> {
  /** Quantiles to report, each in [0, 1]. Default {@link DEFAULT_PERCENTILES}. */
  readonly percentiles?: readonly number[];
  /** Length of the sliding window in seconds. Default 600 (client_golang's `DefMaxAge`). */
  readonly maxAgeSeconds?: number;
  /** Number of streams the window rotates through. Default 5 (client_golang's `DefAgeBuckets`). */
  readonly ageBuckets?: number;
  /** Allowed rank error as a fraction of the observations in the window. Default 0.001. */
  readonly rankError?: number;
}

interface SummaryShape {
  readonly metric: string;
  readonly percentiles: readonly number[];
  readonly quantileLabels: readonly string[];
  readonly streamMs: number;
  readonly maxAgeMs: number;
  readonly ageBuckets: number;
  readonly rankError: number;
  readonly clock: Clock;
}

/** The summary of one label set. */
export class SummaryChild extends MetricChild {
  private readonly streams: QuantileStream[];
  private head = 0;
  private headExpires: number;
  private count = 0;
  private sum = 0;
  private quantileLabelsFor: Labels | undefined;
  private quantileLabels: Labels[] = [];

  constructor(
    labels: Labels,
    private readonly shape: SummaryShape,
  ) {
    super(labels);
    this.streams = Array.from({ length: shape.ageBuckets }, () => new QuantileStream(shape.rankError));
    this.headExpires = shape.clock.now() + shape.streamMs;
  }

  /**
   * Record one observation (NaN is refused: it has no rank).
   *
   * @example
   * payload.labels({ route: "/upload" }).observe(5120);
   */
  observe(value: number): void {
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new MetricError("value-invalid", this.shape.metric, `summary observations must be numbers, got ${String(value)}`);
    }
    this.rotate(this.shape.clock.now());
    for (const s of this.streams) s.insert(value);
    this.count++;
    this.sum += value;
  }

  /**
   * Start a timer; the returned function observes the seconds elapsed and returns them.
   *
   * @example
   * const end = jobDuration.startTimer();
   * await work();
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

  /** All-time count and sum, and the current window's quantiles (NaN when the window is empty). */
  get(): { readonly count: number; readonly sum: number; readonly quantiles: readonly number[] } {
    this.rotate(this.shape.clock.now());
    const head = this.streams[this.head];
    return { count: this.count, sum: this.sum, quantiles: this.shape.percentiles.map((q) => head.query(q)) };
  }

  /** @internal */
  collectInto(name: string, defaults: Labels, samples: ExpositionSample[]): void {
    this.rotate(this.shape.clock.now());
    const labels = this.labelsWith(defaults);
    if (this.quantileLabelsFor !== labels) {
      this.quantileLabels = this.shape.quantileLabels.map((q) => withExtraLabel(labels, "quantile", q));
      this.quantileLabelsFor = labels;
    }
    const head = this.streams[this.head];
    const ps = this.shape.percentiles;
    for (let i = 0; i < ps.length; i++) samples.push(snapshotSample(name, this.quantileLabels[i], head.query(ps[i])));
    samples.push(snapshotSample(`${name}_sum`, labels, this.sum));
    samples.push(snapshotSample(`${name}_count`, labels, this.count));
  }

  /** Clear the head stream for every stream period that has ended (client_golang's maybeRotateStreams). */
  private rotate(now: number): void {
    if (now < this.headExpires) return;
    const { streamMs, maxAgeMs } = this.shape;
    if (now - this.headExpires >= maxAgeMs) {
      // Idle for a whole window: everything in every stream is older than maxAge.
      for (const s of this.streams) s.reset();
      this.head = 0;
      this.headExpires = now + streamMs;
      return;
    }
    while (now >= this.headExpires) {
      this.streams[this.head].reset();
      this.head = (this.head + 1) % this.streams.length;
      this.headExpires += streamMs;
    }
  }
}

/**
 * A summary, optionally with typed label names.
 *
 * @example
 * const payload = new Summary({ name: "upload_bytes", help: "Upload sizes.",
 *                               percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 300, ageBuckets: 5 });
 * payload.observe(5120);
 */
export class Summary<const N extends string = never> extends Metric<N, SummaryChild> {
  readonly type = "summary" as const;
  private readonly shape: SummaryShape;

  constructor(options: SummaryOptions<N>) {
    super(options, ["quantile"]);
    const ps = [...(options.percentiles ?? DEFAULT_PERCENTILES)].sort((a, b) => a - b);
    for (let i = 0; i < ps.length; i++) {
      if (typeof ps[i] !== "number" || !(ps[i] >= 0 && ps[i] <= 1)) {
        throw new MetricError("option-invalid", this.name, `percentiles must be numbers in [0, 1], got ${String(ps[i])}`);
      }
      if (i > 0 && ps[i] === ps[i - 1]) throw new MetricError("option-invalid", this.name, `percentile ${ps[i]} given twice`);
    }
    const maxAge = options.maxAgeSeconds ?? 600;
    const ageBuckets = options.ageBuckets ?? 5;
    const rankError = options.rankError ?? 0.001;
    if (!(maxAge > 0) || maxAge === Infinity) throw new MetricError("option-invalid", this.name, `maxAgeSeconds must be a finite number > 0, got ${maxAge}`);
    if (!Number.isInteger(ageBuckets) || ageBuckets < 1) throw new MetricError("option-invalid", this.name, `ageBuckets must be an integer ≥ 1, got ${ageBuckets}`);
    if (!(rankError > 0 && rankError < 0.5)) throw new MetricError("option-invalid", this.name, `rankError must be in (0, 0.5), got ${rankError}`);
    this.shape = Object.freeze({
      metric: this.name,
      percentiles: Object.freeze(ps),
      quantileLabels: Object.freeze(ps.map(formatGoFloat)),
      streamMs: (maxAge * 1000) / ageBuckets,
      maxAgeMs: maxAge * 1000,
      ageBuckets,
      rankError,
      clock: this.clock,
    });
    this.registerWith(options.registry);
  }

  /** The reported quantiles, ascending. */
  get percentiles(): readonly number[] {
    return this.shape.percentiles;
  }

  protected newChild(labels: Labels): SummaryChild {
    return new SummaryChild(labels, this.shape);
  }

  protected collectChild(child: SummaryChild, defaults: Labels, samples: ExpositionSample[]): void {
    child.collectInto(this.name, defaults, samples);
  }

  /** {@link SummaryChild.observe} on a summary without label names. */
  observe(value: number): void {
    this.unlabelled().observe(value);
  }

  /** {@link SummaryChild.startTimer} on a summary without label names. */
  startTimer(): () => number {
    return this.unlabelled().startTimer();
  }

  /** Count, sum and quantiles of a summary without label names. */
  get(): { readonly count: number; readonly sum: number; readonly quantiles: readonly number[] } {
    return this.unlabelled().get();
  }
}
