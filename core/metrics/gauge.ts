/**
 * Gauge: a value that goes up and down, or is set; `setToCurrentTime` for "last success"
 * timestamps, `startTimer` for durations measured with the clock's monotonic source.
 */

import type { ExpositionSample } from "../exposition/model.ts";
import type { Labels } from "../wire/types.ts";
import type { Clock } from "./clock.ts";
import { checkNumber, Metric, MetricChild, type MetricOptions } from "./metric.ts";
import { snapshotSample } from "./snapshot-sample.ts";

/** Options of {@link Gauge}. */
export type GaugeOptions<N extends string> = MetricOptions<N>;

/** The gauge of one label set. */
export class GaugeChild extends MetricChild {
  private value = 0;

  constructor(
    labels: Labels,
    private readonly metric: string,
    private readonly clock: Clock,
  ) {
    super(labels);
  }

  /** Add `value` (default 1; may be negative). */
  inc(value = 1): void {
    checkNumber(this.metric, "gauge increment", value);
    this.value += value;
  }

  /** Subtract `value` (default 1). */
  dec(value = 1): void {
    checkNumber(this.metric, "gauge decrement", value);
    this.value -= value;
  }

  /** Set the value (any number, NaN included: a gauge may legitimately report NaN). */
  set(value: number): void {
    if (typeof value !== "number") checkNumber(this.metric, "gauge value", value);
    this.value = value;
  }

  /**
   * Set to the current time in seconds since the epoch (the clock's wall time).
   *
   * @example
   * lastSuccess.setToCurrentTime();
   */
  setToCurrentTime(): void {
    this.value = this.clock.now() / 1000;
  }

  /**
   * Start a timer; the returned function sets the gauge to the seconds elapsed and returns them.
   *
   * @example
   * const end = duration.startTimer();
   * await runBackup();
   * end();
   */
  startTimer(): () => number {
    const start = this.clock.monotonic();
    return () => {
      const seconds = (this.clock.monotonic() - start) / 1000;
      this.value = seconds;
      return seconds;
    };
  }

  /** The current value. */
  get(): number {
    return this.value;
  }

  /** @internal */
  toSample(name: string, defaults: Labels): ExpositionSample {
    return snapshotSample(name, this.labelsWith(defaults), this.value);
  }
}

/**
 * A gauge, optionally with typed label names.
 *
 * @example
 * const done = new Gauge({ name: "db_backup_last_completion_timestamp_seconds",
 *                          help: "Last successful DB backup.", registry });
 * done.setToCurrentTime();
 */
export class Gauge<const N extends string = never> extends Metric<N, GaugeChild> {
  readonly type = "gauge" as const;

  constructor(options: GaugeOptions<N>) {
    super(options, []);
    this.registerWith(options.registry);
  }

  protected newChild(labels: Labels): GaugeChild {
    return new GaugeChild(labels, this.name, this.clock);
  }

  protected collectChild(child: GaugeChild, defaults: Labels, samples: ExpositionSample[]): void {
    samples.push(child.toSample(this.name, defaults));
  }

  /** {@link GaugeChild.inc} on a gauge without label names. */
  inc(value = 1): void {
    this.unlabelled().inc(value);
  }

  /** {@link GaugeChild.dec} on a gauge without label names. */
  dec(value = 1): void {
    this.unlabelled().dec(value);
  }

  /** {@link GaugeChild.set} on a gauge without label names. */
  set(value: number): void {
    this.unlabelled().set(value);
  }

  /** {@link GaugeChild.setToCurrentTime} on a gauge without label names. */
  setToCurrentTime(): void {
    this.unlabelled().setToCurrentTime();
  }

  /** {@link GaugeChild.startTimer} on a gauge without label names. */
  startTimer(): () => number {
    return this.unlabelled().startTimer();
  }

  /** Value of a gauge without label names. */
  get(): number {
    return this.unlabelled().get();
  }
}
