/**
 * `promwire/exposition`: Prometheus text 0.0.4 and OpenMetrics 1.0, parsed into and serialized
 * from the shared {@link MetricFamily} model, and converted to remote-write series the way a
 * Prometheus scrape stores them.
 */
export type { ExpositionNativeHistogram, ExpositionSample, FamilyType, MetricFamily } from "./model.ts";
export { detectFormat, parseExposition, parseOpenMetrics, parseText, type CheckOptions, type ExpositionFormat, type ExpositionInput, type LenientParseResult, type ParseOptions } from "./parse.ts";
export { serializeExposition, serializeOpenMetrics, serializeText, type SerializeOptions } from "./serialize.ts";
export { familiesToSeries, type ToSeriesOptions, type ToSeriesResult } from "./to-series.ts";
export { ParseError, type ParseRule } from "../errors.ts";
