/**
 * Parsing exposition pages: Prometheus text 0.0.4 and OpenMetrics 1.0, chosen from a
 * Content-Type or sniffed from the page.
 */

import type { ParseError } from "../errors.ts";
import type { MetricFamily } from "./model.ts";
import { ExpositionParser } from "./parser.ts";

/** The two exposition formats. */
export type ExpositionFormat = "text" | "openmetrics";

/** Options of {@link parseExposition}. */
export interface ParseOptions {
  /** Force a format; otherwise taken from `contentType`, else sniffed ({@link detectFormat}). */
  readonly format?: ExpositionFormat;
  /** The page's Content-Type header, e.g. `application/openmetrics-text; version=1.0.0`. */
  readonly contentType?: string;
  /** Skip bad lines and return them as errors instead of throwing the first one. */
  readonly lenient?: boolean;
}

/** What a lenient parse returns: the families of every good line, and one error per bad line. */
export interface LenientParseResult {
  readonly families: MetricFamily[];
  readonly errors: ParseError[];
}

/**
 * Pick the format of a page: `application/openmetrics-text` means OpenMetrics and `text/plain`
 * means text 0.0.4 (Prometheus negotiates with exactly these media types); without a usable
 * Content-Type, a page whose last line is `# EOF` is OpenMetrics and anything else is text.
 *
 * @example detectFormat("application/openmetrics-text; version=1.0.0; charset=utf-8") // "openmetrics"
 */
export function detectFormat(contentType?: string, text?: string): ExpositionFormat {
  if (contentType !== undefined) {
    const semi = contentType.indexOf(";");
    const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
    if (media === "application/openmetrics-text") return "openmetrics";
    if (media === "text/plain") return "text";
  }
  if (text !== undefined) {
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
    if (text.endsWith("# EOF", end) && (end === 5 || text.charCodeAt(end - 6) === 10)) return "openmetrics";
  }
  return "text";
}

/**
 * Parse a Prometheus text 0.0.4 page into metric families. Throws a `ParseError` (line, column,
 * quoted line) at the first bad line.
 *
 * @example
 * const [family] = parseText('# TYPE up gauge\nup{job="api"} 1\n');
 * // { name: "up", type: "gauge", samples: [{ name: "up", labels: ["job", "api"], value: 1 }] }
 */
export function parseText(text: string): MetricFamily[] {
  return new ExpositionParser(text, false, false).run();
}

/**
 * Parse an OpenMetrics 1.0 page (which must end with `# EOF`) into metric families. Timestamps
 * (float seconds) become milliseconds as Prometheus converts them, `int64(seconds * 1000)`.
 *
 * @example
 * const [family] = parseOpenMetrics("# TYPE jobs counter\njobs_total 3 # {trace_id=\"a1\"} 1\n# EOF\n");
 * // family.samples[0].exemplar → { labels: ["trace_id", "a1"], value: 1 }
 */
export function parseOpenMetrics(text: string): MetricFamily[] {
  return new ExpositionParser(text, true, false).run();
}

/**
 * Parse an exposition page of either format. With `lenient: true`, bad lines are skipped and
 * returned as `errors`, and the call never throws a `ParseError`.
 *
 * @example
 * const { families, errors } = parseExposition(body, { contentType: res.headers.get("content-type") ?? undefined, lenient: true });
 */
export function parseExposition(text: string, options: ParseOptions & { readonly lenient: true }): LenientParseResult;
export function parseExposition(text: string, options?: ParseOptions & { readonly lenient?: false }): MetricFamily[];
export function parseExposition(text: string, options?: ParseOptions): MetricFamily[] | LenientParseResult;
export function parseExposition(text: string, options: ParseOptions = {}): MetricFamily[] | LenientParseResult {
  const format = options.format ?? detectFormat(options.contentType, text);
  const parser = new ExpositionParser(text, format === "openmetrics", options.lenient === true);
  const families = parser.run();
  return options.lenient === true ? { families, errors: parser.errors } : families;
}
