/**
 * Bridge from the exposition layer to remote-write series: a registry's families or a text page
 * become series stamped with the collection time, the way Prometheus would store a scrape.
 */

import type { MetricFamily } from "../exposition/model.ts";
import { parseExposition } from "../exposition/parse.ts";
import { familiesToSeries, type ToSeriesResult } from "../exposition/to-series.ts";
import type { ProtocolVersion } from "../wire/types.ts";

/**
 * Families → series; samples without a timestamp get `timestamp`. With `"v2"`, OpenMetrics
 * `_created` lines become start timestamps (after a fall back to v1 they are sent as `_created`
 * series again: see createdSeriesFromStartTimestamps).
 */
export function seriesFromFamilies(families: readonly MetricFamily[], timestamp: number, version: ProtocolVersion): ToSeriesResult {
  return familiesToSeries(families, { timestamp, version });
}

/** Exposition text (0.0.4 or OpenMetrics, sniffed) → series. Throws `ParseError` on a bad page. */
export function seriesFromText(text: string, timestamp: number, version: ProtocolVersion): ToSeriesResult {
  return familiesToSeries(parseExposition(text), { timestamp, version });
}
