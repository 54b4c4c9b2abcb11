/**
 * Metadata lookups shared by the encoders: the enum numbers both protocol versions use, and
 * matching a series to its family's metadata by metric name.
 */

import { EncodeError } from "../errors.ts";
import type { MetricMetadata, MetricType, SeriesMetadata } from "./types.ts";

/** Enum numbers of `MetricMetadata.MetricType` (v1) and `Metadata.MetricType` (v2): identical. */
export const METRIC_TYPE_NUMBER: Readonly<Record<MetricType, number>> = {
  unknown: 0,
  counter: 1,
  gauge: 2,
  histogram: 3,
  gaugehistogram: 4,
  summary: 5,
  info: 6,
  stateset: 7,
};

export const METRIC_TYPE_BY_NUMBER: readonly MetricType[] = [
  "unknown",
  "counter",
  "gauge",
  "histogram",
  "gaugehistogram",
  "summary",
  "info",
  "stateset",
];

export function metricTypeNumber(type: MetricType, family: string): number {
  const n = METRIC_TYPE_NUMBER[type];
  if (n === undefined) throw new EncodeError("metadata-invalid", family, `unknown metric type ${JSON.stringify(type)}`);
  return n;
}

/**
 * Suffixes a sample name adds to its family name (exposition formats): a series
 * `http_request_duration_seconds_bucket` belongs to family `http_request_duration_seconds`.
 */
const FAMILY_SUFFIXES = ["_total", "_bucket", "_count", "_sum", "_created", "_gcount", "_gsum", "_info"];

/** Finds a series' family metadata by metric name, exact name first, then without a suffix. */
export class MetadataIndex {
  private readonly byName = new Map<string, SeriesMetadata>();

  constructor(list: readonly MetricMetadata[]) {
    for (const m of list) if (!this.byName.has(m.metricFamilyName)) this.byName.set(m.metricFamilyName, m);
  }

  get size(): number {
    return this.byName.size;
  }

  lookup(metricName: string): SeriesMetadata | undefined {
    const exact = this.byName.get(metricName);
    if (exact !== undefined) return exact;
    for (const suffix of FAMILY_SUFFIXES) {
      if (metricName.endsWith(suffix)) {
        const m = this.byName.get(metricName.slice(0, -suffix.length));
        if (m !== undefined) return m;
      }
    }
    return undefined;
  }
}
