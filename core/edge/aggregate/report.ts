/**
 * What an isolate sends to the metrics aggregator: JSON, one batch per request, holding one or
 * more reports. A report is what changed in the isolate's registry since its previous report
 * (counter-like samples as increments, gauges as their value and when it was set, native
 * histograms as bucket increments), numbered per isolate and aggregator object so that a report
 * delivered twice is applied once.
 *
 * JSON has no NaN or infinities: such numbers travel as the strings "NaN", "+Inf", "-Inf".
 */

import type { MetricType } from "../../wire/types.ts";

/** Version of the batch format (`v`). */
export const REPORT_FORMAT_VERSION = 1;

/** Path the aggregator takes reports on. */
export const REPORT_PATH = "/report";

/** A number as JSON carries it. */
export type WireNumber = number | "NaN" | "+Inf" | "-Inf";

/** A native histogram's increments: absolute bucket counts, keys and counts flattened `[k, c, k, c, …]`. */
export interface NativeReport {
  /** Schema (−4…8). */
  readonly s: number;
  /** Zero threshold. */
  readonly z: number;
  /** Zero-bucket count. */
  readonly zc: number;
  /** Observation count. */
  readonly c: number;
  readonly sum: WireNumber;
  /** Positive buckets. */
  readonly p?: readonly number[];
  /** Negative buckets. */
  readonly q?: readonly number[];
}

/** One sample line's change: its name and labels (flat, without `__name__`) and one of `d`, `g`/`t`, `h`. */
export interface SeriesReport {
  readonly n: string;
  readonly l: readonly string[];
  /** Counter-like (counters, classic histogram buckets, `_sum`, `_count`): the increment. */
  readonly d?: WireNumber;
  /** Gauge-like: the value … */
  readonly g?: WireNumber;
  /** … and when the isolate saw it set, ms: the latest time wins across isolates. */
  readonly t?: number;
  /** Native histogram: the increments. */
  readonly h?: NativeReport;
}

/** A family's changes. */
export interface FamilyReport {
  readonly name: string;
  readonly type: MetricType;
  readonly help?: string;
  readonly unit?: string;
  readonly series: readonly SeriesReport[];
}

/** One report: a sequence number (per isolate and aggregator object, from 1) and the families. */
export interface Report {
  readonly seq: number;
  /** The isolate's clock when it took the snapshot, ms. */
  readonly time: number;
  readonly families: readonly FamilyReport[];
}

/** A request body. */
export interface ReportBatch {
  readonly v: typeof REPORT_FORMAT_VERSION;
  /** The isolate's random id. */
  readonly isolate: string;
  /** Which aggregator object (0-based) out of `shards` this batch is for. */
  readonly shard: number;
  readonly shards: number;
  /** In increasing `seq` order. */
  readonly reports: readonly Report[];
}

/** The aggregator's answer to a batch it applied. */
export interface ReportAck {
  /** The highest sequence number of this isolate the object has applied (reports up to it can be dropped). */
  readonly acked: number;
  /** Reports of the batch applied now. */
  readonly applied: number;
  /** Reports of the batch already applied before (a retry after a lost answer). */
  readonly duplicates: number;
}

/** A number for JSON. */
export function toWireNumber(v: number): WireNumber {
  if (Number.isFinite(v)) return v;
  return Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf";
}

/** A number from JSON, or undefined when it is neither a number nor one of the three strings. */
export function fromWireNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  return v === "NaN" ? NaN : v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : undefined;
}

/**
 * Which of `shards` aggregator objects holds a family: FNV-1a (32 bit) of its name, modulo
 * `shards`. Stable across isolates, deployments and runtimes.
 *
 * @example shardOf("http_requests_total", 4) // 0…3, the same everywhere
 */
export function shardOf(family: string, shards: number): number {
  if (shards <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < family.length; i++) {
    h ^= family.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}
