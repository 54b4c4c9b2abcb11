/**
 * A registry holds metrics by family name and snapshots them all at once. The snapshot is the
 * shared exposition model (no text in between), so pushing a registry costs O(series).
 */

import { LabelError, MetricError } from "../errors.ts";
import type { ExpositionSample, FamilyType, MetricFamily } from "../exposition/model.ts";
import { labelsFromRecord } from "../wire/label-rules.ts";
import type { Labels } from "../wire/types.ts";
import { checkLabelName, mergeLabels } from "./labels.ts";
import type { Collector, SeriesLimited } from "./metric.ts";

/** The family in which a registry reports its metrics' cardinality-guard overflows. */
export const SERIES_OVERFLOW_METRIC = "promwire_series_overflow_total";

/** Options of {@link Registry}. */
export interface RegistryOptions {
  /**
   * Labels added to every series collected from this registry, unless the series already has a
   * label of that name (its own value wins). Names follow label-name rules; `le` and `quantile`
   * are refused because histograms and summaries set them.
   */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /**
   * Cardinality guard for every metric registered here that has no `maxSeries` of its own: past
   * this many label sets, new ones share one overflow series (label values `__overflow__`). With
   * a cap in force, `collect()` adds the counter `promwire_series_overflow_total{metric="…"}`
   * (one series per capped metric: `labels()` calls sent to overflow). Default: unlimited.
   */
  readonly maxSeriesPerMetric?: number;
}

/**
 * A set of metrics with unique names.
 *
 * @example
 * const registry = new Registry({ defaultLabels: { service: "billing" } });
 * const rows = new Counter({ name: "rows_copied_total", help: "Rows copied.", registry });
 * rows.inc(10);
 * registry.collect(); // [{ name: "rows_copied_total", type: "counter", samples: [...] }]
 */
export class Registry {
  /** Sorted by name, as client_golang's Gather orders families. */
  private metrics: Collector[] = [];
  private readonly byName = new Map<string, Collector>();
  /** Every sample name a registered metric produces → that metric. */
  private readonly bySampleName = new Map<string, Collector>();
  private defaults: Labels;
  /** The registry-wide cardinality cap (see {@link RegistryOptions.maxSeriesPerMetric}). */
  readonly maxSeriesPerMetric: number | undefined;

  constructor(options: RegistryOptions = {}) {
    this.defaults = this.checkDefaults(options.defaultLabels ?? {});
    const cap = options.maxSeriesPerMetric;
    if (cap !== undefined && cap !== Infinity && (!Number.isSafeInteger(cap) || cap < 1)) {
      throw new MetricError("option-invalid", "(registry)", `maxSeriesPerMetric must be a positive integer, got ${String(cap)}`);
    }
    this.maxSeriesPerMetric = cap === Infinity ? undefined : cap;
  }

  /**
   * Add a metric. Throws {@link MetricError} (`duplicate-registration`) when a metric of that
   * name is already registered.
   *
   * @example
   * registry.register(new Gauge({ name: "queue_depth", help: "Jobs waiting." }));
   */
  register(metric: Collector): void {
    const existing = this.byName.get(metric.name);
    if (existing !== undefined) {
      throw new MetricError(
        "duplicate-registration",
        metric.name,
        existing === metric ? "this metric is already registered" : "another metric with this name is already registered",
      );
    }
    const names = sampleNames(metric.name, metric.type);
    for (const n of names) {
      const other = this.bySampleName.get(n);
      if (other !== undefined) {
        throw new MetricError(
          "duplicate-registration",
          metric.name,
          `its series ${JSON.stringify(n)} would collide with those of the registered metric ${JSON.stringify(other.name)}`,
        );
      }
    }
    if (this.maxSeriesPerMetric !== undefined && isSeriesLimited(metric)) metric.applyDefaultMaxSeries(this.maxSeriesPerMetric);
    for (const n of names) this.bySampleName.set(n, metric);
    this.byName.set(metric.name, metric);
    let lo = 0;
    let hi = this.metrics.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.metrics[mid].name < metric.name) lo = mid + 1;
      else hi = mid;
    }
    this.metrics.splice(lo, 0, metric);
  }

  /**
   * Remove a metric, by name or by the metric itself. Returns whether it was registered.
   *
   * @example
   * registry.unregister("queue_depth");
   */
  unregister(metric: string | Collector): boolean {
    const name = typeof metric === "string" ? metric : metric.name;
    const found = this.byName.get(name);
    if (found === undefined || (typeof metric !== "string" && found !== metric)) return false;
    this.byName.delete(name);
    for (const n of sampleNames(found.name, found.type)) this.bySampleName.delete(n);
    this.metrics = this.metrics.filter((m) => m !== found);
    return true;
  }

  /**
   * The metric registered under `name`.
   *
   * @example
   * const rows = registry.get("rows_copied_total");
   */
  get(name: string): Collector | undefined {
    return this.byName.get(name);
  }

  /**
   * Remove every metric.
   *
   * @example
   * registry.clear();
   */
  clear(): void {
    this.metrics = [];
    this.byName.clear();
    this.bySampleName.clear();
  }

  /**
   * Registered metrics, sorted by name.
   *
   * @example
   * registry.getAll().map((m) => m.name);
   */
  getAll(): readonly Collector[] {
    return this.metrics.slice();
  }

  /**
   * Replace the default labels (same rules as the constructor option).
   *
   * @example
   * registry.setDefaultLabels({ instance: "batch-7" });
   */
  setDefaultLabels(labels: Readonly<Record<string, string>>): void {
    this.defaults = this.checkDefaults(labels);
  }

  /** The default labels, flat and sorted. */
  get defaultLabels(): Labels {
    return this.defaults;
  }

  /**
   * Snapshot every metric: families sorted by name, each with its samples (and native
   * histograms); families without any sample (a labelled metric no child of which was used yet)
   * are left out, as client_golang's Gather does. O(series), no text formatting.
   *
   * @example
   * const families = registry.collect();
   */
  collect(): MetricFamily[] {
    const out: MetricFamily[] = [];
    let overflow: ExpositionSample[] | undefined;
    for (const m of this.metrics) {
      const f = m.collect(this.defaults);
      if (f.samples.length > 0 || (f.nativeHistograms?.length ?? 0) > 0) out.push(f);
      if (isSeriesLimited(m) && m.maxSeries !== undefined) {
        (overflow ??= []).push({ name: SERIES_OVERFLOW_METRIC, labels: mergeLabels(["metric", m.name], this.defaults), value: m.overflowCount });
      }
    }
    if (overflow !== undefined && !this.byName.has(SERIES_OVERFLOW_METRIC)) {
      const family: MetricFamily = {
        name: SERIES_OVERFLOW_METRIC,
        type: "counter",
        help: "Label-set lookups the cardinality guard sent to the overflow series, per metric.",
        samples: overflow,
      };
      let at = 0;
      while (at < out.length && out[at].name < SERIES_OVERFLOW_METRIC) at++;
      out.splice(at, 0, family);
    }
    return out;
  }

  private checkDefaults(record: Readonly<Record<string, string>>): Labels {
    for (const [name, value] of Object.entries(record)) {
      checkLabelName("(default labels)", name, ["le", "quantile"]);
      if (typeof value !== "string") {
        throw new LabelError("label-value-invalid", "(default labels)", name, "default label values must be strings");
      }
    }
    return Object.freeze(labelsFromRecord(record));
  }
}

function isSeriesLimited(c: Collector): c is Collector & SeriesLimited {
  return typeof (c as Partial<SeriesLimited>).applyDefaultMaxSeries === "function";
}

/** The sample (series) names a family of this type produces. */
function sampleNames(name: string, type: FamilyType | undefined): string[] {
  if (type === "histogram" || type === "gaugehistogram") return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (type === "summary") return [name, `${name}_sum`, `${name}_count`];
  return [name];
}
