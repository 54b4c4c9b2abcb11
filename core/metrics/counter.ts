/**
 * Counter: a value that only goes up (and restarts from zero with the process). Exemplars attach
 * a trace to the latest increment, as OpenMetrics allows on `_total` samples.
 */

import { MetricError } from "../errors.ts";
import type { ExpositionSample } from "../exposition/model.ts";
import type { Exemplar, Labels } from "../wire/types.ts";
import type { Clock } from "./clock.ts";
import { makeExemplar, type ExemplarLabels } from "./exemplar.ts";
import { checkNumber, Metric, MetricChild, type MetricOptions } from "./metric.ts";
import { snapshotSample } from "./snapshot-sample.ts";

/** Options of {@link Counter}. */
export type CounterOptions<N extends string> = MetricOptions<N>;

/** The counter of one label set. */
export class CounterChild extends MetricChild {
  private value = 0;
  private exemplar: Exemplar | undefined;

  constructor(
    labels: Labels,
    private readonly metric: string,
    private readonly clock: Clock,
  ) {
    super(labels);
  }

  /**
   * Add `value` (default 1; must not be negative). With `exemplarLabels`, the increment becomes
   * the counter's exemplar (throws {@link LabelError} past 128 characters of labels).
   *
   * @example
   * requests.labels({ route: "/login" }).inc(1, { trace_id: "4bf92f3577b34da6" });
   */
  inc(value = 1, exemplarLabels?: ExemplarLabels): void {
    checkNumber(this.metric, "counter increment", value);
    if (value < 0) throw new MetricError("value-invalid", this.metric, `counters only go up; got increment ${value}`);
    const exemplar = exemplarLabels === undefined ? undefined : makeExemplar(this.metric, exemplarLabels, value, this.clock.now());
    this.value += value;
    if (exemplar !== undefined) this.exemplar = exemplar;
  }

  /** The current value. */
  get(): number {
    return this.value;
  }

  /** The latest exemplar, if any. */
  getExemplar(): Exemplar | undefined {
    return this.exemplar;
  }

  /** @internal */
  toSample(name: string, defaults: Labels): ExpositionSample {
    const labels = this.labelsWith(defaults);
    return snapshotSample(name, labels, this.value, this.exemplar);
  }
}

/**
 * A counter, optionally with typed label names.
 *
 * @example
 * const rows = new Counter({ name: "rows_copied_total", help: "Rows copied.",
 *                            labelNames: ["table"] as const, registry });
 * rows.labels({ table: "users" }).inc(42);
 * const runs = new Counter({ name: "runs_total", help: "Runs." });
 * runs.inc();
 */
export class Counter<const N extends string = never> extends Metric<N, CounterChild> {
  readonly type = "counter" as const;

  constructor(options: CounterOptions<N>) {
    super(options, [], "_total");
    this.registerWith(options.registry);
  }

  protected newChild(labels: Labels): CounterChild {
    return new CounterChild(labels, this.name, this.clock);
  }

  protected collectChild(child: CounterChild, defaults: Labels, samples: ExpositionSample[]): void {
    samples.push(child.toSample(this.name, defaults));
  }

  /**
   * Increment a counter that has no label names (see {@link CounterChild.inc}).
   *
   * @example
   * runs.inc();
   */
  inc(value = 1, exemplarLabels?: ExemplarLabels): void {
    this.unlabelled().inc(value, exemplarLabels);
  }

  /** Value of a counter without label names. */
  get(): number {
    return this.unlabelled().get();
  }
}
