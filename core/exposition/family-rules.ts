/**
 * Which sample names belong to which family. A family `x` of a given type owns the samples named
 * `x` and `x` plus the suffixes its type defines (OpenMetrics 1.0 "Metric types"; text 0.0.4 uses
 * the same suffixes for histograms and summaries and usually names a counter family with its
 * `_total`, which the exact-name rule covers).
 */

import type { FamilyType } from "./model.ts";

const SUFFIXES: Readonly<Record<FamilyType, readonly string[]>> = {
  counter: ["_total", "_created"],
  histogram: ["_bucket", "_sum", "_count", "_created"],
  gaugehistogram: ["_bucket", "_gsum", "_gcount"],
  summary: ["_sum", "_count", "_created"],
  info: ["_info"],
  gauge: [],
  stateset: [],
  unknown: [],
};

/** Every suffix some type defines, longest first is not needed: no suffix ends another. */
export const ALL_SUFFIXES: readonly string[] = ["_total", "_created", "_bucket", "_sum", "_count", "_gsum", "_gcount", "_info"];

/** True when a family of `type` owns samples named with `suffix` appended to its name. */
export function typeHasSuffix(type: FamilyType, suffix: string): boolean {
  return SUFFIXES[type].includes(suffix);
}

/** Text 0.0.4 `# TYPE` words (`untyped` is what OpenMetrics calls `unknown`). */
export const TEXT_TYPES: ReadonlyMap<string, FamilyType> = new Map<string, FamilyType>([
  ["counter", "counter"],
  ["gauge", "gauge"],
  ["histogram", "histogram"],
  ["summary", "summary"],
  ["untyped", "unknown"],
]);

/** OpenMetrics 1.0 `# TYPE` words. */
export const OPENMETRICS_TYPES: ReadonlyMap<string, FamilyType> = new Map<string, FamilyType>([
  ["counter", "counter"],
  ["gauge", "gauge"],
  ["histogram", "histogram"],
  ["gaugehistogram", "gaugehistogram"],
  ["summary", "summary"],
  ["info", "info"],
  ["stateset", "stateset"],
  ["unknown", "unknown"],
]);
