/**
 * The exposition data model shared by the parser, the serializers, the metric types' snapshots
 * and the conversion to remote-write series. It is flat, like the exposition formats themselves:
 * a family holds the sample lines as written (`x_bucket{le="1"}`, `x_sum`, `x_count`, …), which is
 * also what Prometheus stores when it scrapes the page. Native histograms, which the text formats
 * cannot express, ride beside the samples.
 */

import type { Exemplar, Labels, MetricType, NativeHistogram } from "../wire/types.ts";

/** A family's type. `unknown` covers text 0.0.4's `untyped` and families without a TYPE line. */
export type FamilyType = MetricType;

/** One sample line. */
export interface ExpositionSample {
  /** Full sample name including any suffix: `http_requests_total`, `latency_seconds_bucket`. */
  readonly name: string;
  /** Flat `[name, value, …]` labels without `__name__`, in the order written (serializers keep it). */
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds since the epoch, when the line carries a timestamp. */
  readonly timestamp?: number;
  /** OpenMetrics exemplar (`# {trace_id="…"} 0.5 1.7e9`). */
  readonly exemplar?: Exemplar;
}

/** A native histogram of a family, with its labels (no `__name__`). */
export interface ExpositionNativeHistogram {
  readonly labels: Labels;
  readonly histogram: NativeHistogram;
  readonly exemplars?: readonly Exemplar[];
}

/** One metric family: its metadata and its samples. */
export interface MetricFamily {
  /**
   * Family name as the format names it: in OpenMetrics a counter family `requests` has samples
   * `requests_total`/`requests_created`; in text 0.0.4 the TYPE line usually names `requests_total`.
   */
  readonly name: string;
  readonly type: FamilyType;
  readonly help?: string;
  readonly unit?: string;
  readonly samples: readonly ExpositionSample[];
  readonly nativeHistograms?: readonly ExpositionNativeHistogram[];
}
