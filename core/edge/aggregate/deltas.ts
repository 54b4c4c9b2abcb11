/**
 * The isolate side of aggregation: what changed in a registry since the last report, computed by
 * comparing two snapshots. Nothing is tracked while metrics are used — `inc()` and `observe()`
 * stay exactly as fast as without aggregation; the cost is one snapshot and one pass over it per
 * report, at most once per flush interval.
 *
 * Per sample kind:
 * - counter-like (counters; classic histogram `_bucket`, `_sum`, `_count`; summary `_sum`,
 *   `_count`): the increment since the previous snapshot. A value that went down is a reset (the
 *   metric was `reset()`, or a native histogram hit its bucket limit): the increment is then the
 *   whole new value. For a histogram or summary the whole label set resets together.
 * - gauge-like (gauges, untyped, info, stateset, gauge histograms): the value, with the time this
 *   isolate first saw it — the aggregator keeps the latest across isolates.
 * - native histograms: bucket increments (see sparse-histogram.ts).
 * - summary quantiles, `_created` samples and custom-bucket native histograms do not add up
 *   across isolates: they are left out and counted.
 *
 * Unchanged samples are left out, except in a full report, which lists every sample the isolate
 * holds so the aggregator knows they are still alive.
 */

import type { MetricFamily } from "../../exposition/model.ts";
import type { Labels, MetricType } from "../../wire/types.ts";
import { isEmptySparse, sparseFromWire, subtractSparse, type SparseHistogram } from "./sparse-histogram.ts";
import { toWireNumber, type FamilyReport, type NativeReport, type SeriesReport } from "./report.ts";

interface Base {
  gen: number;
  /** Float samples: the last value seen. */
  v: number;
  /** Gauge-like: when the value was first seen (isolate clock, ms). */
  t: number;
  /** Native histograms: the last snapshot and its start (reset) time. */
  h?: SparseHistogram;
  start?: number;
}

type Kind = "sum" | "last";

/** How a sample of a family aggregates, or undefined when it does not. */
export function sampleKind(type: MetricType, family: string, sample: string): Kind | undefined {
  if (sample !== family && sample.endsWith("_created")) return undefined;
  switch (type) {
    case "counter":
      return "sum";
    case "histogram":
      return sample === `${family}_bucket` || sample === `${family}_sum` || sample === `${family}_count` ? "sum" : undefined;
    case "summary":
      return sample === `${family}_sum` || sample === `${family}_count` ? "sum" : undefined;
    default:
      return "last";
  }
}

const keyCache = new WeakMap<Labels, string>();

function labelsKey(labels: Labels): string {
  let k = keyCache.get(labels);
  if (k === undefined) {
    k = JSON.stringify(labels);
    if (Object.isFrozen(labels)) keyCache.set(labels, k);
  }
  return k;
}

/** A histogram's or summary's label set: its labels without `le`. */
function groupKey(labels: Labels): string {
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === "le") return JSON.stringify([...labels.slice(0, i), ...labels.slice(i + 2)]);
  }
  return labelsKey(labels);
}

function sameNumber(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

function nativeReport(h: SparseHistogram): NativeReport {
  const flat = (m: Map<number, number>): number[] => {
    const out: number[] = [];
    for (const k of [...m.keys()].sort((x, y) => x - y)) out.push(k, m.get(k) as number);
    return out;
  };
  const r: { -readonly [K in keyof NativeReport]: NativeReport[K] } = { s: h.schema, z: h.zeroThreshold, zc: h.zeroCount, c: h.count, sum: toWireNumber(h.sum) };
  if (h.positive.size > 0) r.p = flat(h.positive);
  if (h.negative.size > 0) r.q = flat(h.negative);
  return r;
}

/**
 * Snapshot-to-snapshot differences of one registry.
 *
 * @example
 * const tracker = new DeltaTracker();
 * const report = tracker.take(registry.collect(), Date.now(), false); // families with changes
 */
export class DeltaTracker {
  private readonly base = new Map<string, Base>();
  private gen = 0;
  /** Samples left out because they do not aggregate (summary quantiles, `_created`, custom buckets). */
  skipped = 0;

  /** Series the tracker remembers. */
  get size(): number {
    return this.base.size;
  }

  /**
   * What changed since the previous call (everything, the first time), as report families; the
   * snapshot becomes the new baseline. `full`: list unchanged samples too.
   */
  take(families: readonly MetricFamily[], now: number, full: boolean): FamilyReport[] {
    const gen = ++this.gen;
    const out: FamilyReport[] = [];
    for (const f of families) {
      const series: SeriesReport[] = [];
      const grouped = f.type === "histogram" || f.type === "summary";
      const natives = new Map<string, SparseHistogram | undefined>();
      const resets = new Set<string>();
      if (grouped) this.findResets(f, natives, resets);
      for (const s of f.samples) {
        const kind = sampleKind(f.type, f.name, s.name);
        if (kind === undefined) {
          this.skipped++;
          continue;
        }
        const key = `${s.name}\u0000${labelsKey(s.labels)}`;
        const b = this.base.get(key);
        if (kind === "sum") {
          const reset = b === undefined || (grouped ? resets.has(groupKey(s.labels)) : s.value < b.v);
          const d = reset ? s.value : s.value - b.v;
          const changed = reset || (d !== 0 && !(Number.isNaN(s.value) && Number.isNaN(b.v)));
          if (changed || full) series.push({ n: s.name, l: s.labels, d: toWireNumber(d) });
          this.remember(key, b, gen, s.value, 0);
        } else {
          const same = b !== undefined && sameNumber(b.v, s.value);
          const t = same ? b.t : now;
          if (!same || full) series.push({ n: s.name, l: s.labels, g: toWireNumber(s.value), t });
          this.remember(key, b, gen, s.value, t);
        }
      }
      for (const nh of f.nativeHistograms ?? []) {
        const key = `\u0001${labelsKey(nh.labels)}`;
        const cur = sparseFromWire(nh.histogram);
        if (cur === undefined) {
          this.skipped++;
          continue;
        }
        const b = this.base.get(key);
        const d = resets.has(groupKey(nh.labels)) ? undefined : natives.get(key);
        const delta = d ?? cur;
        if (d === undefined || !isEmptySparse(d) || full) series.push({ n: f.name, l: nh.labels, h: nativeReport(delta) });
        const e = this.remember(key, b, gen, 0, 0);
        e.h = cur;
        e.start = nh.histogram.startTimestamp;
      }
      if (series.length > 0) out.push({ name: f.name, type: f.type, ...(f.help === undefined ? {} : { help: f.help }), ...(f.unit === undefined ? {} : { unit: f.unit }), series });
    }
    for (const [k, b] of this.base) if (b.gen !== gen) this.base.delete(k); // gone from the registry
    return out;
  }

  /**
   * A histogram's or summary's label sets that were reset since the last snapshot (its count or
   * a bucket went down, or its native form restarted), and each native histogram's increments.
   */
  private findResets(f: MetricFamily, natives: Map<string, SparseHistogram | undefined>, resets: Set<string>): void {
    for (const s of f.samples) {
      if (s.name !== `${f.name}_count` && s.name !== `${f.name}_bucket`) continue;
      const b = this.base.get(`${s.name}\u0000${labelsKey(s.labels)}`);
      if (b !== undefined && s.value < b.v) resets.add(groupKey(s.labels));
    }
    for (const nh of f.nativeHistograms ?? []) {
      const key = `\u0001${labelsKey(nh.labels)}`;
      const b = this.base.get(key);
      const cur = sparseFromWire(nh.histogram);
      if (b?.h === undefined || cur === undefined) continue;
      const d = b.start === nh.histogram.startTimestamp ? subtractSparse(cur, b.h) : undefined;
      if (d === undefined) resets.add(groupKey(nh.labels));
      natives.set(key, d);
    }
  }

  private remember(key: string, b: Base | undefined, gen: number, v: number, t: number): Base {
    if (b === undefined) {
      const e: Base = { gen, v, t };
      this.base.set(key, e);
      return e;
    }
    b.gen = gen;
    b.v = v;
    b.t = t;
    return b;
  }
}
