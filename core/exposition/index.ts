/**
 * Exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0, parsed into and serialized from
 * the shared {@link MetricFamily} model, and converted to remote-write series.
 */

export type { ExpositionNativeHistogram, ExpositionSample, FamilyType, MetricFamily } from "./model.ts";
export { detectFormat, parseExposition, parseOpenMetrics, parseText } from "./parse.ts";
export type { CheckOptions, ExpositionFormat, ExpositionInput, LenientParseResult, ParseOptions } from "./parse.ts";
export { serializeExposition, serializeOpenMetrics, serializeText } from "./serialize.ts";
export type { SerializeOptions } from "./serialize.ts";
export { formatOpenMetricsFloat, formatTextFloat } from "./format-float.ts";
export { familiesToSeries } from "./to-series.ts";
export type { ToSeriesOptions, ToSeriesResult } from "./to-series.ts";
export { ParseError } from "../errors.ts";
export type { ParseRule } from "../errors.ts";
