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
 * The cache entry also tells duplicates apart within one call without a per-call Map: it records
 * the call (`seen`) and where its series went in that call's output (an index: no object pinned). Keyed by the source array; an array used
 * with several sample names or external label sets chains one entry per combination.
 */
interface FrozenSeriesEntry {
  readonly name: string;
  readonly externalKey: string;
  readonly labels: string[];
  /** The familiesToSeries call that last used this entry, and the index of its series then. */
  seen: number;
  index: number;
  next: FrozenSeriesEntry | undefined;
}

const MAX_ENTRIES_PER_ARRAY = 8;
const frozenSeries = new WeakMap<readonly string[], FrozenSeriesEntry>();
/**
 * The line label arrays of the last call by sample position, and their entries: a registry
 * snapshotted again hands out the same arrays in the same order, so the steady state finds its
 * entry with one identity compare (no WeakMap lookup, no isFrozen call). Trimmed to the last
 * call's length so that it pins no older arrays.
 */
const linesAt: (readonly string[] | undefined)[] = [];
const entriesAt: FrozenSeriesEntry[] = [];
/** Numbers familiesToSeries calls (wraps after 2^53: never in practice). */
let callCount = 0;

function frozenEntry(name: string, labels: readonly string[], external: readonly string[], externalKey: string): FrozenSeriesEntry {
  const first = frozenSeries.get(labels);
  let chain = 0;
  for (let e = first; e !== undefined; e = e.next) {
    if (e.name === name && e.externalKey === externalKey) return e;
    chain++;
  }
  const entry: FrozenSeriesEntry = {
    name,
    externalKey,
    labels: Object.freeze(seriesLabels(name, labels, external)) as string[],
    seen: 0,
    index: 0,
    // A few combinations per array is the norm; past that (external labels that change every
    // call, say) the older ones go, so the chain stays short.
    next: chain < MAX_ENTRIES_PER_ARRAY ? first : undefined,
  };
  frozenSeries.set(labels, entry);
  return entry;
}

/** A series being built; it is also the returned `Series` (arrays created only when needed). */
interface SeriesBuilder {
  labels: string[];
  samples?: Sample[];
  histograms?: NativeHistogram[];
  exemplars?: Exemplar[];
}

/**
 * Series and samples are built with constructors, not object literals: V8 tracks literal
 * allocation sites and "pretenures" one whose objects it finds alive at a young-generation GC —
 * and a 10,000-series result is alive while it is built — after which every allocation from it
 * goes to the old generation and a flush costs several times more (measured: 12–22 ms instead
 * of ~2 ms for 10,000 series). Constructor calls have no allocation site to pretenure.
 */
class BuiltSeries implements SeriesBuilder {
  samples?: Sample[];
  histograms?: NativeHistogram[];
  exemplars?: Exemplar[];
  constructor(readonly labels: string[]) {}
}

class BuiltSample implements Sample {
  constructor(
    readonly value: number,
    readonly timestamp: number,
  ) {}
}

/**
 * `[sample]` without an array literal (a pretenurable allocation site, see above) and without
 * `Array.of` (a slow builtin here: 10× the literal).
 */
function oneSample(sample: Sample): Sample[] {
  const samples = new Array<Sample>(1);
  samples[0] = sample;
  return samples;
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
  const call = ++callCount;
  const byKey = new Map<string, SeriesBuilder>();
  const out: SeriesBuilder[] = [];
  let duplicates = 0;
  const metadata: MetricMetadata[] = [];
  const seenFamilies = new Set<string>();

  let position = 0;
  /** Set by {@link builder} when it created the series (with `first` as its only sample). */
  let fresh = false;
  /**
   * The series of a sample name and its line labels, created on first use in this call; a new
   * one is built in one literal with `first` as its sample (adding `samples` afterwards changes
   * the object's shape, and `[]` then push would reserve 17 slots).
   */
  const builder = (name: string, lineLabels: readonly string[], first: Sample | undefined): SeriesBuilder => {
    fresh = false;
    const at = position++;
    let entry: FrozenSeriesEntry | undefined;
    if (linesAt[at] === lineLabels) {
      entry = entriesAt[at];
      if (entry.name !== name || entry.externalKey !== externalKey) entry = undefined;
    }
    if (entry === undefined && Object.isFrozen(lineLabels)) {
      entry = frozenEntry(name, lineLabels, external, externalKey);
      linesAt[at] = lineLabels;
      entriesAt[at] = entry;
    }
    if (entry !== undefined) {
      // Cached frozen label sets are unique per content: matched by identity, no Map.
      if (entry.seen === call) return out[entry.index];
      const b = new BuiltSeries(entry.labels);
      if (first !== undefined) b.samples = oneSample(first);
      fresh = true;
      entry.seen = call;
      entry.index = out.length;
      out.push(b);
      return b;
    }
    const labels = seriesLabels(name, lineLabels, external);
    const key = JSON.stringify(labels);
    let b = byKey.get(key);
    if (b === undefined) {
      b = new BuiltSeries(labels);
      if (first !== undefined) b.samples = oneSample(first);
      fresh = true;
      byKey.set(key, b);
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
      const ts = s.timestamp ?? now;
      const start = created?.get(createdKey(s.labels));
      const sample: Sample = start === undefined || !Number.isSafeInteger(start) ? new BuiltSample(s.value, ts) : { value: s.value, timestamp: ts, startTimestamp: start };
      const b = builder(s.name, s.labels, sample);
      if (!fresh) {
        const samples = b.samples;
        if (samples === undefined) b.samples = oneSample(sample);
        else if (samples[samples.length - 1].timestamp >= ts) {
          duplicates++; // duplicate or out of order within the page
          continue;
        } else samples.push(sample);
      }
      addExemplar(b, s, ts);
    }
    for (const h of f.nativeHistograms ?? []) {
      const b = builder(f.name, h.labels, undefined);
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

  if (linesAt.length > position) {
    linesAt.length = position;
    entriesAt.length = position;
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
