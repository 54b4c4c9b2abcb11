/**
 * Exposition families → remote-write series: the series, labels and values Prometheus stores
 * when it scrapes the same page (checked end to end against Prometheus 2.42 in
 * test/e2e/scrape-vs-push.test.ts).
 *
 * What scraping does, and so what this does:
 * - every sample line is its own series named as written (`x_bucket{le}`, `x_sum`, `x_count`,
 *   summary quantiles, counters with their `_total`); `le`/`quantile` values are kept exactly as
 *   written (Prometheus 2.x does not normalise them);
 * - labels with an empty value are dropped (Prometheus treats them as absent);
 * - target labels are added unless the series already has a label of that name, even an empty
 *   one (`honor_labels: true`; for remote write, external labels behave the same way);
 * - a line without a timestamp gets the scrape time; an exemplar without one gets the time of
 *   its sample;
 * - a series repeated within the page keeps its first sample per timestamp (the later ones are
 *   refused as duplicates or out of order);
 * - OpenMetrics `_created` lines are series of their own (Prometheus 2.x). For remote write 2.0
 *   they become the `start_timestamp` of the samples they describe instead.
 */

import { compareUtf8 } from "../wire/label-rules.ts";
import type { Exemplar, MetricMetadata, NativeHistogram, ProtocolVersion, Sample, Series } from "../wire/types.ts";
import type { ExpositionSample, MetricFamily } from "./model.ts";

/** Options of {@link familiesToSeries}. */
export interface ToSeriesOptions {
  /** Labels added to every series that does not have a label of that name (e.g. `job`, `instance`). */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** Time in ms for samples without a timestamp. Default: `Date.now()` at the call. */
  readonly timestamp?: number;
  /** `"v2"` turns `_created` lines into start timestamps. Default `"v1"`. */
  readonly version?: ProtocolVersion;
}

/** Series and family metadata, ready for `encodeWriteRequest(series, { version, metadata })`. */
export interface ToSeriesResult {
  readonly series: Series[];
  readonly metadata: MetricMetadata[];
  /**
   * Sample lines refused because their series already had a sample at that time or later in the
   * page (Prometheus refuses them the same way when it scrapes). Counted, never silently lost.
   */
  readonly duplicates: number;
}

/**
 * Registry snapshots hand out frozen label arrays that stay the same object across collects.
 * For those, the full series label set (name, labels, external labels; sorted) is built once and
 * kept frozen, so the encoder's frozen-label caches apply and no label is sorted or encoded twice.
 * Keyed by the source array, then by sample name and external labels.
 */
const frozenSeriesLabels = new WeakMap<readonly string[], Map<string, string[]>>();

function cachedSeriesLabels(name: string, labels: readonly string[], external: readonly string[], externalKey: string): string[] {
  let byName = frozenSeriesLabels.get(labels);
  if (byName === undefined) {
    byName = new Map();
    frozenSeriesLabels.set(labels, byName);
  }
  const key = externalKey === "" ? name : `${name}\u0000${externalKey}`;
  let out = byName.get(key);
  if (out === undefined) {
    out = Object.freeze(seriesLabels(name, labels, external)) as string[];
    byName.set(key, out);
  }
  return out;
}

/** A series being built; it is also the returned `Series` (arrays created only when needed). */
interface SeriesBuilder {
  labels: string[];
  samples?: Sample[];
  histograms?: NativeHistogram[];
  exemplars?: Exemplar[];
}

/** Labels (no `__name__`) without `le`/`quantile`: how a `_created` line names what it describes. */
function createdKey(labels: readonly string[]): string {
  const rest: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] !== "le" && labels[i] !== "quantile") rest.push(labels[i], labels[i + 1]);
  }
  return JSON.stringify(sortPairs(rest));
}

function sortPairs(flat: readonly string[]): string[] {
  const idx: number[] = [];
  for (let i = 0; i < flat.length; i += 2) idx.push(i);
  idx.sort((a, b) => compareUtf8(flat[a], flat[b]));
  const out: string[] = [];
  for (const i of idx) out.push(flat[i], flat[i + 1]);
  return out;
}

/**
 * The full, sorted label set of a series: `__name__`, the line's labels, then the external labels
 * the line does not carry; empty values dropped.
 */
function seriesLabels(name: string, labels: readonly string[], external: readonly string[]): string[] {
  const flat: string[] = ["__name__", name];
  for (let i = 0; i < labels.length; i += 2) if (labels[i + 1] !== "") flat.push(labels[i], labels[i + 1]);
  outer: for (let j = 0; j < external.length; j += 2) {
    for (let i = 0; i < labels.length; i += 2) if (labels[i] === external[j]) continue outer;
    if (external[j + 1] !== "") flat.push(external[j], external[j + 1]);
  }
  return sortPairs(flat);
}

/**
 * Convert exposition families to remote-write series and metadata, as Prometheus would store a
 * scrape of the page.
 *
 * @example
 * const { series, metadata } = familiesToSeries(parseExposition(page), {
 *   externalLabels: { job: "batch", instance: "host-1" },
 * });
 * const body = compress(encodeWriteRequest(series, { metadata }));
 */
export function familiesToSeries(families: readonly MetricFamily[], options: ToSeriesOptions = {}): ToSeriesResult {
  const now = options.timestamp ?? Date.now();
  const v2 = options.version === "v2";
  const external: string[] = [];
  for (const [k, v] of Object.entries(options.externalLabels ?? {})) external.push(k, v);
  const externalKey = external.length === 0 ? "" : external.join("\u0000");
  const byKey = new Map<string, SeriesBuilder>();
  const byFrozen = new Map<readonly string[], SeriesBuilder>();
  const out: SeriesBuilder[] = [];
  let duplicates = 0;
  const labelsOf = (name: string, labels: readonly string[]): string[] =>
    Object.isFrozen(labels) ? cachedSeriesLabels(name, labels, external, externalKey) : seriesLabels(name, labels, external);
  const metadata: MetricMetadata[] = [];
  const seenFamilies = new Set<string>();

  const builder = (labels: string[]): SeriesBuilder => {
    // Cached frozen label sets are unique per content within a snapshot: match them by identity.
    const frozen = Object.isFrozen(labels);
    let b = frozen ? byFrozen.get(labels) : byKey.get(JSON.stringify(labels));
    if (b === undefined) {
      b = { labels };
      if (frozen) byFrozen.set(labels, b);
      else byKey.set(JSON.stringify(labels), b);
      out.push(b);
    }
    return b;
  };

  for (const f of families) {
    if (!seenFamilies.has(f.name)) {
      seenFamilies.add(f.name);
      const m: { -readonly [K in keyof MetricMetadata]: MetricMetadata[K] } = { metricFamilyName: f.name, type: f.type };
      if (f.help !== undefined) m.help = f.help;
      if (f.unit !== undefined) m.unit = f.unit;
      metadata.push(m);
    }
    // Remote write 2.0: `_created` describes the other samples of the same labels.
    const createdName = `${f.name}_created`;
    let created: Map<string, number> | undefined;
    if (v2 && (f.type === "counter" || f.type === "histogram" || f.type === "summary")) {
      for (const s of f.samples) {
        if (s.name !== createdName) continue;
        created ??= new Map();
        const key = createdKey(s.labels);
        if (!created.has(key)) created.set(key, Math.trunc(s.value * 1000));
      }
    }
    for (const s of f.samples) {
      if (created !== undefined && s.name === createdName) continue;
      const b = builder(labelsOf(s.name, s.labels));
      const ts = s.timestamp ?? now;
      const samples = (b.samples ??= []);
      const last = samples.length === 0 ? undefined : samples[samples.length - 1].timestamp;
      if (last !== undefined && ts <= last) {
        duplicates++; // duplicate or out of order within the page
        continue;
      }
      const start = created?.get(createdKey(s.labels));
      samples.push(start === undefined || !Number.isSafeInteger(start) ? { value: s.value, timestamp: ts } : { value: s.value, timestamp: ts, startTimestamp: start });
      addExemplar(b, s, ts);
    }
    for (const h of f.nativeHistograms ?? []) {
      const b = builder(labelsOf(f.name, h.labels));
      const histograms = (b.histograms ??= []);
      const last = histograms.length === 0 ? undefined : histograms[histograms.length - 1].timestamp;
      if (last !== undefined && h.histogram.timestamp <= last) {
        duplicates++;
        continue;
      }
      histograms.push(h.histogram);
      for (const e of h.exemplars ?? []) (b.exemplars ??= []).push(e.timestamp === undefined ? { ...e, timestamp: h.histogram.timestamp } : e);
    }
  }

  const series: Series[] = out;
  return { series, metadata, duplicates };
}

function addExemplar(b: SeriesBuilder, s: ExpositionSample, ts: number): void {
  const e = s.exemplar;
  if (e === undefined) return;
  (b.exemplars ??= []).push(e.timestamp === undefined ? { labels: e.labels, value: e.value, timestamp: ts } : e);
}

/**
 * Remote write 1.0 has no start timestamp: turn the `startTimestamp` of v2-style series back
 * into the `<family>_created` series Prometheus 2.x stores from an OpenMetrics page (value in
 * seconds, at the sample's time, labels without `le`/`quantile`). Used when a v2 writer falls
 * back to v1, or a v1 writer is handed v2-style series, so no created timestamp is lost.
 * `familyOf` names the family of a series (its metadata), or undefined when unknown.
 */
export function createdSeriesFromStartTimestamps(
  series: readonly Series[],
  familyOf: (index: number) => MetricMetadata | undefined,
): Series[] {
  const out: Series[] = [];
  const seen = new Set<string>();
  series.forEach((s, index) => {
    const first = s.samples?.find((x) => x.startTimestamp !== undefined);
    if (first === undefined) return;
    const family = familyOf(index);
    let name = "";
    for (let i = 0; i < s.labels.length; i += 2) if (s.labels[i] === "__name__") name = s.labels[i + 1];
    const base = family?.metricFamilyName ?? name.replace(/_(total|bucket|count|sum)$/, "");
    const createdName = `${base.replace(/_total$/, "")}_created`;
    const labels: string[] = [];
    for (let i = 0; i < s.labels.length; i += 2) {
      const k = s.labels[i];
      if (k === "le" || k === "quantile") continue;
      labels.push(k, k === "__name__" ? createdName : s.labels[i + 1]);
    }
    const key = labels.join("\u0000");
    if (seen.has(key)) return;
    seen.add(key);
    const samples: Sample[] = [];
    for (const x of s.samples ?? []) {
      if (x.startTimestamp !== undefined) samples.push({ value: x.startTimestamp / 1000, timestamp: x.timestamp });
    }
    out.push({ labels: sortPairs(labels), samples });
  });
  return out;
}
