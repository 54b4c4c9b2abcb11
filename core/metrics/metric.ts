/**
 * What every metric type shares: name/help/unit checks, typed label sets, the cache of children
 * (one per label set, created on first use), `remove`/`reset`, and the snapshot into the shared
 * exposition model. Each type adds its child class and how a child becomes samples.
 */

import { LabelError, MetricError } from "../errors.ts";
import type { ExpositionNativeHistogram, ExpositionSample, FamilyType, MetricFamily } from "../exposition/model.ts";
import { compareUtf8, isLegacyMetricName, isWellFormed } from "../wire/label-rules.ts";
import type { Labels } from "../wire/types.ts";
import { systemClock, type Clock } from "./clock.ts";
import { LabelSchema, mergeLabels, type LabelValues } from "./labels.ts";
import type { Registry } from "./registry.ts";

/** Options every metric type takes. */
export interface MetricOptions<N extends string> {
  /** Metric name, legacy syntax `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  readonly name: string;
  /** One line of help text (HELP). */
  readonly help: string;
  /** OpenMetrics unit; the name must end in `_<unit>` (counters: before `_total`). */
  readonly unit?: string;
  /** Label names, e.g. `["route", "method"] as const`; their values are given with `labels()`. */
  readonly labelNames?: readonly N[];
  /** Register the metric in this registry at construction. */
  readonly registry?: Registry;
  /** Time source (default {@link systemClock}); tests pass a fake one. */
  readonly clock?: Clock;
  /**
   * Cardinality guard: the most label sets (children) this metric keeps. Past it, a new label set
   * goes to one overflow child whose label values are all {@link OVERFLOW_LABEL_VALUE}, and every
   * such `labels()` call is counted ({@link Metric.overflowCount}, and
   * `promwire_series_overflow_total{metric="…"}` in the registry's snapshot). The overflow child
   * is the one extra label set, so at most `maxSeries + 1` exist. Default: the registry's
   * `maxSeriesPerMetric` when registered in one, else unlimited.
   */
  readonly maxSeries?: number;
}

/** The value every label of an overflow child carries (see `MetricOptions.maxSeries`). */
export const OVERFLOW_LABEL_VALUE = "__overflow__";

/** What the registry reads from a metric with a cardinality guard. */
export interface SeriesLimited {
  /** The cap on label sets, or undefined when unlimited. */
  readonly maxSeries: number | undefined;
  /** `labels()` calls sent to the overflow child so far. */
  readonly overflowCount: number;
  /** Set the cap unless the metric was given its own (the registry's `maxSeriesPerMetric`). */
  applyDefaultMaxSeries(limit: number | undefined): void;
}

/**
 * Per-label-set state; each metric type extends it with its values. What `labels()` returns.
 *
 * @example
 * const child = requests.labels({ route: "/login" }); // a CounterChild
 * child.labels; // ["route", "/login"], frozen
 */
export abstract class MetricChild {
  private mergedFor: Labels | undefined;
  private merged: Labels;

  constructor(
    /** This child's labels: frozen, sorted by name, without `__name__`. */
    readonly labels: Labels,
  ) {
    this.merged = labels;
  }

  /**
   * Own labels merged with a registry's default labels; the same frozen array is returned for
   * the same defaults, so encoders can cache per array.
   */
  labelsWith(defaults: Labels): Labels {
    if (defaults.length === 0) return this.labels;
    if (this.mergedFor !== defaults) {
      this.merged = mergeLabels(this.labels, defaults);
      this.mergedFor = defaults;
    }
    return this.merged;
  }
}

/**
 * Something a {@link Registry} can hold and snapshot: every metric type, or a custom collector.
 *
 * @example
 * registry.register({ name: "build_info", type: "gauge",
 *   collect: () => ({ name: "build_info", type: "gauge", help: "Build.",
 *                     samples: [{ name: "build_info", labels: ["version", "1.2.3"], value: 1 }] }) });
 */
export interface Collector {
  readonly name: string;
  /** The family type; with it the registry also refuses sample-name clashes (`x_count` vs histogram `x`). */
  readonly type?: FamilyType;
  /** Snapshot as one family; `defaultLabels` (flat, sorted) are added to every series lacking them. */
  collect(defaultLabels?: Labels): MetricFamily;
}

/**
 * Base of Counter, Gauge, Histogram and Summary: label handling, children, snapshots.
 *
 * @example
 * const m: Metric<"route", CounterChild> = new Counter({ name: "x_total", help: "x", labelNames: ["route"] });
 */
export abstract class Metric<N extends string, C extends MetricChild> implements Collector, SeriesLimited {
  abstract readonly type: FamilyType;
  readonly name: string;
  readonly help: string;
  readonly unit: string | undefined;
  readonly labelNames: readonly N[];
  protected readonly clock: Clock;
  private readonly schema: LabelSchema<N>;
  private readonly children = new Map<string, C>();
  /** Children sorted by label values; rebuilt only after the set of children changed. */
  private ordered: C[] | undefined;
  private limit: number | undefined;
  private readonly ownLimit: boolean;
  /** Map key of the overflow label set (computed once the metric has label names). */
  private readonly overflowKey: string;
  private overflowed = 0;

  protected constructor(options: MetricOptions<N>, reservedLabels: readonly string[], unitSuffixStrip = "") {
    const name = options?.name;
    if (typeof name !== "string" || !isLegacyMetricName(name)) {
      throw new MetricError("name-invalid", String(name), "metric names must match [a-zA-Z_:][a-zA-Z0-9_:]*");
    }
    if (typeof options.help !== "string" || !isWellFormed(options.help)) {
      throw new MetricError("help-invalid", name, "help must be a well-formed string");
    }
    if (options.unit !== undefined && options.unit !== "") {
      const unit = options.unit;
      const base = unitSuffixStrip && name.endsWith(unitSuffixStrip) ? name.slice(0, -unitSuffixStrip.length) : name;
      if (!/^[0-9a-zA-Z_]+$/.test(unit)) {
        throw new MetricError("unit-invalid", name, `unit ${JSON.stringify(unit)} must be made of [a-zA-Z0-9_]`);
      }
      if (!base.endsWith(`_${unit}`)) {
        throw new MetricError("unit-invalid", name, `OpenMetrics requires the name to end in _${unit}${unitSuffixStrip}`);
      }
    }
    this.name = name;
    this.help = options.help;
    this.unit = options.unit === "" ? undefined : options.unit;
    this.schema = new LabelSchema<N>(name, options.labelNames ?? [], reservedLabels);
    this.labelNames = this.schema.names;
    this.clock = options.clock ?? systemClock;
    this.ownLimit = options.maxSeries !== undefined;
    this.limit = checkMaxSeries(name, options.maxSeries);
    this.overflowKey = this.schema.key(this.labelNames.map(() => OVERFLOW_LABEL_VALUE));
  }

  /** The cap on label sets (see `MetricOptions.maxSeries`), or undefined when unlimited. */
  get maxSeries(): number | undefined {
    return this.limit;
  }

  /**
   * How many `labels()` calls the cardinality guard sent to the overflow child (each call for a
   * label set that found no room counts once; the overflow label set itself is never counted).
   */
  get overflowCount(): number {
    return this.overflowed;
  }

  /** Used by {@link Registry.register}: the registry's default cap, unless this metric has its own. */
  applyDefaultMaxSeries(limit: number | undefined): void {
    if (!this.ownLimit) this.limit = checkMaxSeries(this.name, limit);
  }

  /** Called by subclasses once they are fully constructed (registration may collect at once). */
  protected registerWith(registry: Registry | undefined): void {
    registry?.register(this);
  }

  /** A fresh child for a new label set. */
  protected abstract newChild(labels: Labels): C;

  /** Append one child's samples (and native histograms) to a snapshot. */
  protected abstract collectChild(
    child: C,
    defaults: Labels,
    samples: ExpositionSample[],
    natives: ExpositionNativeHistogram[],
  ): void;

  /**
   * The child for a label set, created on first use and cached. Throws {@link LabelError} when a
   * label is missing, unknown, or has a value that is not a string or number.
   *
   * @example
   * const rows = new Counter({ name: "rows_total", help: "Rows.", labelNames: ["table"] as const });
   * rows.labels({ table: "users" }).inc(42);
   */
  labels(values: LabelValues<N>): C {
    const vals = this.schema.values(values);
    const key = this.schema.key(vals);
    let child = this.children.get(key);
    if (child === undefined) {
      this.schema.checkValues(vals);
      if (this.limit !== undefined && key !== this.overflowKey && this.children.size - (this.children.has(this.overflowKey) ? 1 : 0) >= this.limit) {
        // Cardinality guard: no room for another label set. Nothing about it is kept (that is
        // the point), so a label set that overflowed once keeps landing here.
        this.overflowed++;
        return this.overflowChild();
      }
      child = this.newChild(this.schema.frozenLabels(vals));
      this.children.set(key, child);
      this.ordered = undefined;
    }
    return child;
  }

  private overflowChild(): C {
    let child = this.children.get(this.overflowKey);
    if (child === undefined) {
      child = this.newChild(this.schema.frozenLabels(this.labelNames.map(() => OVERFLOW_LABEL_VALUE)));
      this.children.set(this.overflowKey, child);
      this.ordered = undefined;
    }
    return child;
  }

  /**
   * Forget the child of a label set (it is no longer exported; a later `labels()` starts from
   * zero). Returns whether it existed.
   *
   * @example
   * rows.remove({ table: "users" });
   */
  remove(values: LabelValues<N>): boolean {
    const vals = this.schema.values(values);
    const removed = this.children.delete(this.schema.key(vals));
    if (removed) this.ordered = undefined;
    return removed;
  }

  /**
   * Drop every child. A metric without label names starts again from zero; one with label names
   * exports nothing until `labels()` is called again.
   *
   * @example
   * rows.reset();
   */
  reset(): void {
    this.children.clear();
    this.ordered = undefined;
  }

  /** Number of children (series groups) currently exported. */
  get childCount(): number {
    return this.children.size;
  }

  /** The child of a metric without label names (created on first use). */
  protected unlabelled(): C {
    if (this.labelNames.length > 0) {
      throw new LabelError(
        "label-missing",
        this.name,
        this.labelNames[0],
        "this metric has label names: call labels({…}) first",
      );
    }
    let child = this.children.get("");
    if (child === undefined) {
      child = this.newChild(Object.freeze([]));
      this.children.set("", child);
      this.ordered = undefined;
    }
    return child;
  }

  /**
   * Snapshot this metric as one family of the exposition model: children sorted by label values
   * as client_golang's Gather sorts them (the sort runs only after children were added or
   * removed, so a steady-state snapshot is O(series)); each child's label arrays are frozen and
   * reused between snapshots.
   *
   * @example
   * const family = rows.collect(); // { name: "rows_total", type: "counter", samples: [...] }
   */
  collect(defaultLabels: Labels = []): MetricFamily {
    if (this.labelNames.length === 0) this.unlabelled();
    const samples: ExpositionSample[] = [];
    const natives: ExpositionNativeHistogram[] = [];
    const ordered = (this.ordered ??= [...this.children.values()].sort(compareChildren));
    for (const child of ordered) this.collectChild(child, defaultLabels, samples, natives);
    const family: {
      name: string;
      type: FamilyType;
      help?: string;
      unit?: string;
      samples: ExpositionSample[];
      nativeHistograms?: ExpositionNativeHistogram[];
    } = { name: this.name, type: this.type, help: this.help, samples };
    if (this.unit !== undefined) family.unit = this.unit;
    if (natives.length > 0) family.nativeHistograms = natives;
    return family;
  }
}

function checkMaxSeries(metric: string, limit: number | undefined): number | undefined {
  if (limit === undefined || limit === Infinity) return undefined;
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new MetricError("option-invalid", metric, `maxSeries must be a positive integer, got ${String(limit)}`);
  }
  return limit;
}

/**
 * Check an increment, observation or gauge value: a number, not NaN (±Infinity is a valid
 * sample value: a gauge may read +Inf). Throws {@link MetricError}.
 */
export function checkNumber(metric: string, what: string, v: number): void {
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new MetricError("value-invalid", metric, `${what} must be a number, got ${String(v)}`);
  }
}

/** client_golang's metric order within a family: label values compared in label-name order, bytewise. */
function compareChildren(a: MetricChild, b: MetricChild): number {
  const x = a.labels;
  const y = b.labels;
  for (let i = 1; i < x.length && i < y.length; i += 2) {
    const c = compareUtf8(x[i], y[i]);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}
