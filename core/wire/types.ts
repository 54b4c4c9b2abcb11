/**
 * promwire's compact series representation: what the encoders take and the decoders return.
 * Labels are a flat array so that a series costs one array, not one object per label.
 */

/**
 * Label names and values, flattened: `[name0, value0, name1, value1, …]`, sorted by name in
 * byte (UTF-8) order and including `__name__`. Pairs with an empty value are skipped on encode,
 * as Prometheus treats an empty label as absent. Use {@link labelsFromRecord} to build one.
 */
export type Labels = readonly string[];

/** One float sample. */
export interface Sample {
  /** The value; ignored when `stale` is set. */
  readonly value: number;
  /** Milliseconds since the epoch, a safe integer (may be negative). */
  readonly timestamp: number;
  /**
   * A Prometheus stale marker: encoded as the exact NaN bit pattern `0x7ff0000000000002`,
   * which a plain JavaScript NaN cannot be trusted to keep.
   */
  readonly stale?: boolean;
  /** Start (created) timestamp in ms. Remote write 2.0 only (`Sample.start_timestamp`). */
  readonly startTimestamp?: number;
}

/** An exemplar attached to a series' samples. */
export interface Exemplar {
  /** Flat, sorted labels (often `trace_id`); may be empty. */
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds since the epoch; 0 or absent means unset. */
  readonly timestamp?: number;
}

/** A span of consecutive native-histogram buckets. */
export interface BucketSpan {
  /** Gap to the previous span, or the index of the first bucket for the first span. */
  readonly offset: number;
  /** Number of consecutive buckets. */
  readonly length: number;
}

/** How a receiver should treat counter resets for a native histogram sample. */
export type ResetHint = "unknown" | "yes" | "no" | "gauge";

/**
 * A native (sparse, exponential-bucket) histogram sample, integer or float, mirroring the
 * remote-write `Histogram` message. Integer histograms carry bucket *deltas*; float histograms
 * carry absolute bucket *counts*.
 */
export interface NativeHistogram {
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** `true` for a float histogram (`count_float`, `*_counts`); otherwise integer. */
  readonly float?: boolean;
  /** Total observation count (an integer for integer histograms). */
  readonly count: number;
  readonly sum: number;
  /** -4..8 for exponential buckets, -53 for custom buckets. */
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly negativeSpans?: readonly BucketSpan[];
  /** Integer histograms: delta of each bucket to the previous one. */
  readonly negativeDeltas?: readonly number[];
  /** Float histograms: absolute count of each bucket. */
  readonly negativeCounts?: readonly number[];
  readonly positiveSpans?: readonly BucketSpan[];
  readonly positiveDeltas?: readonly number[];
  readonly positiveCounts?: readonly number[];
  readonly resetHint?: ResetHint;
  /** Upper bounds of custom buckets (schema -53). */
  readonly customValues?: readonly number[];
  /** Start (created) timestamp in ms. Remote write 2.0 only. */
  readonly startTimestamp?: number;
}

/** The Prometheus metric types, as remote write names them. */
export type MetricType =
  | "unknown"
  | "counter"
  | "gauge"
  | "histogram"
  | "gaugehistogram"
  | "summary"
  | "info"
  | "stateset";

/** Type, help and unit of one series (remote write 2.0 carries these per series). */
export interface SeriesMetadata {
  readonly type: MetricType;
  readonly help?: string;
  readonly unit?: string;
}

/** Metadata of one metric family (remote write 1.0 `MetricMetadata`). */
export interface MetricMetadata extends SeriesMetadata {
  /** The family name, e.g. `http_requests` or `http_requests_total`. */
  readonly metricFamilyName: string;
}

/** One time series with its samples, native histograms and exemplars. */
export interface Series {
  readonly labels: Labels;
  /** Float samples in increasing timestamp order. */
  readonly samples?: readonly Sample[];
  /** Native histogram samples in increasing timestamp order. */
  readonly histograms?: readonly NativeHistogram[];
  readonly exemplars?: readonly Exemplar[];
  /**
   * This series' own metadata. Takes precedence over the `metadata` list passed to the encoder;
   * in remote write 1.0 it is emitted as a `MetricMetadata` entry for the series' metric name.
   */
  readonly metadata?: SeriesMetadata;
}

/** Remote write protocol version. */
export type ProtocolVersion = "v1" | "v2";

/** A decoded remote-write request. */
export interface DecodedWriteRequest {
  readonly version: ProtocolVersion;
  readonly series: Series[];
  /** v1: the request's `metadata` list. v2: empty (metadata sits on each series). */
  readonly metadata: MetricMetadata[];
  /** v2 only: the request's symbol table, as sent. */
  readonly symbols?: string[];
}

/** Canonical Content-Type of each protocol version (remote write spec; no space in v2's). */
export const CONTENT_TYPE = {
  v1: "application/x-protobuf",
  v2: "application/x-protobuf;proto=io.prometheus.write.v2.Request",
} as const satisfies Record<ProtocolVersion, string>;

/** Value of `X-Prometheus-Remote-Write-Version` for each protocol version. */
export const PROTOCOL_HEADER_VERSION = {
  v1: "0.1.0",
  v2: "2.0.0",
} as const satisfies Record<ProtocolVersion, string>;
