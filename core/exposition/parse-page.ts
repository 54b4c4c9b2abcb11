/**
 * A page parsed as Prometheus's scrape reads it: the format sniffed, no strict or unique-series
 * rules. What `writeText` needs, apart from parse.ts so that a program that never asks for the
 * strict rules does not carry them (they are a third of the parser's size).
 */

import type { MetricFamily } from "./model.ts";
import { detectFormat } from "./detect-format.ts";
import { ExpositionParser } from "./scanner.ts";

/**
 * Parse a text 0.0.4 or OpenMetrics page (sniffed as {@link detectFormat} does); throws a
 * `ParseError` at the first bad line. The same as `parseExposition(text)`.
 * @example parsePage('up{job="api"} 1\n') // [{ name: "up", type: "unknown", samples: [{ name: "up", labels: ["job", "api"], value: 1 }] }]
 */
export function parsePage(text: string): MetricFamily[] {
  return new ExpositionParser(text, detectFormat(undefined, text) === "openmetrics", false, undefined).run();
}
