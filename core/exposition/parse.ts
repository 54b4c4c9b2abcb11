/**
 * Parsing exposition pages: Prometheus text 0.0.4 and OpenMetrics 1.0, chosen from a
 * Content-Type or sniffed from the page. By default a page is read as Prometheus's scrape reads
 * it; `strict: true` adds the rules of the formats' specs (strict-rules.ts), `uniqueSeries: true`
 * refuses a series given twice for the same time (series-index.ts).
 */

import { ParseError } from "../errors.ts";
import type { MetricFamily } from "./model.ts";
import { ExpositionParser, type LineRules, type RuleSink, type SampleLine } from "./scanner.ts";
import { SeriesIndex } from "./series-index.ts";
import { StrictRules } from "./strict-rules.ts";
import { checkUnicode, decodePage } from "./utf8.ts";
import { detectFormat } from "./detect-format.ts";

export { detectFormat };

/** The two exposition formats. */
export type ExpositionFormat = "text" | "openmetrics";

/** A page as text, or as the bytes received (decoded as UTF-8; `strict` refuses invalid UTF-8). */
export type ExpositionInput = string | Uint8Array;

/** Checks of {@link parseText}, {@link parseOpenMetrics} and {@link parseExposition}. */
export interface CheckOptions {
  /**
   * Validate the format's full semantics, not only what Prometheus's scrape accepts: for
   * OpenMetrics 1.0 every rule of the spec (families and metrics not interleaved, metadata first,
   * no clashing names, values, labels and sample names per type, histogram buckets, timestamps in
   * order, exemplars), for text 0.0.4 the rules of Prometheus's format description (HELP and TYPE
   * before a family's samples, a family's lines together, each series once, histogram buckets and
   * summary quantiles in order); and valid UTF-8 for both. Each refusal is a `ParseError` whose
   * `rule` names the rule (README: "Strict parsing"). Default `false`.
   */
  readonly strict?: boolean;
  /**
   * Refuse a page that gives one series (name and labels, in any order; an empty label value is
   * no label) two samples a receiver cannot both keep: two lines without a timestamp, with the
   * same timestamp, or with one going back in time. The `ParseError` (rule `duplicate-series`
   * or `timestamp-order`) names the series and both lines. Default `false`: Prometheus's scrape
   * keeps the first such sample and a Pushgateway the last, silently.
   */
  readonly uniqueSeries?: boolean;
}

/** Options of {@link parseExposition}. */
export interface ParseOptions extends CheckOptions {
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

/** Told about every sample line a parse keeps (see {@link parseWithHooks}). */
export type SampleHook = (line: SampleLine) => void;

/**
 * Internal hooks of {@link parseWithHooks}, for a caller that parses one page in several parts
 * (the CLI's chunks of a large page).
 */
export interface ParseHooks {
  /**
   * Told about every sample line the parse keeps, after the options' own rules, in page order;
   * the line object is reused (see {@link SampleLine}). A `ParseError` it throws ends the parse
   * as the parser's own would.
   */
  readonly onSample?: SampleHook;
  /**
   * The number line `n` of the text has in the page, for errors, messages and `onSample`
   * (default `n`): a part's errors then name the page's lines, in every message.
   */
  readonly lineNumber?: (n: number) => number;
}

/** The line rules the options ask for, or undefined for a plain parse (the fast path). */
function rulesFor(page: string, om: boolean, options: CheckOptions, hook: SampleHook | undefined): ((sink: RuleSink) => LineRules) | undefined {
  const strict = options.strict === true;
  const unique = options.uniqueSeries === true;
  if (!strict && !unique) {
    if (hook === undefined) return undefined;
    return () => ({ meta: () => {}, sample: (line) => (hook(line), true), end: () => {} });
  }
  // Text 0.0.4 allows each series once; OpenMetrics allows a history of samples per series.
  const policy = strict && !om ? "once" : unique ? "increasing" : undefined;
  return (sink) => {
    const rules = strict ? new StrictRules(page, om, sink) : undefined;
    const series = policy === undefined ? undefined : new SeriesIndex(page, policy, sink);
    return {
      meta: (kind, family, lineNo, lineStart, nameAt) => rules?.meta(kind, family, lineNo, lineStart, nameAt),
      sample: (line) => (rules === undefined || rules.sample(line)) && (series === undefined || series.sample(line)) && (hook === undefined || (hook(line), true)),
      end: () => rules?.end(),
    };
  };
}

/** Text of the page, and the UTF-8 / Unicode error strict mode refuses it for, if any. */
function pageText(input: ExpositionInput, strict: boolean): { text: string; error?: ParseError } {
  if (typeof input !== "string") return decodePage(input, strict);
  return { text: input, error: strict ? checkUnicode(input) : undefined };
}

function run(input: ExpositionInput, format: ExpositionFormat | undefined, contentType: string | undefined, lenient: boolean, options: CheckOptions, hooks: ParseHooks = {}): { families: MetricFamily[]; errors: ParseError[] } {
  const { text, error } = pageText(input, options.strict === true);
  if (error !== undefined && !lenient) throw hooks.lineNumber === undefined ? error : new ParseError(hooks.lineNumber(error.line), error.column, error.excerpt, error.reason, error.rule);
  const om = (format ?? detectFormat(contentType, text)) === "openmetrics";
  const parser = new ExpositionParser(text, om, lenient, rulesFor(text, om, options, hooks.onSample), hooks.lineNumber);
  const families = parser.run();
  return { families, errors: error === undefined ? parser.errors : [error, ...parser.errors] };
}

/**
 * Parse a Prometheus text 0.0.4 page into metric families. Throws a `ParseError` (line, column,
 * quoted line, rule) at the first bad line.
 *
 * @example
 * const [family] = parseText('# TYPE up gauge\nup{job="api"} 1\n');
 * // { name: "up", type: "gauge", samples: [{ name: "up", labels: ["job", "api"], value: 1 }] }
 * parseText("a 1\na 2\n", { strict: true }); // ParseError, rule "duplicate-series": line 2 repeats line 1
 */
export function parseText(text: ExpositionInput, options: CheckOptions = {}): MetricFamily[] {
  return run(text, "text", undefined, false, options).families;
}

/**
 * Parse an OpenMetrics 1.0 page (which must end with `# EOF`) into metric families. Timestamps
 * (float seconds) become milliseconds as Prometheus converts them, `int64(seconds * 1000)`.
 * With `strict: true` the page must follow all of OpenMetrics 1.0 (it then passes the
 * OpenMetrics project's parser suite, 211 of 211).
 *
 * @example
 * const [family] = parseOpenMetrics("# TYPE jobs counter\njobs_total 3 # {trace_id=\"a1\"} 1\n# EOF\n");
 * // family.samples[0].exemplar → { labels: ["trace_id", "a1"], value: 1 }
 * parseOpenMetrics("# TYPE jobs counter\njobs_total -1\n# EOF\n", { strict: true }); // ParseError, rule "value-negative"
 */
export function parseOpenMetrics(text: ExpositionInput, options: CheckOptions = {}): MetricFamily[] {
  return run(text, "openmetrics", undefined, false, options).families;
}

/**
 * Parse an exposition page of either format. With `lenient: true`, bad lines are skipped and
 * returned as `errors`, and the call never throws a `ParseError`.
 *
 * @example
 * const { families, errors } = parseExposition(body, { contentType: res.headers.get("content-type") ?? undefined, lenient: true });
 * const checked = parseExposition(new Uint8Array(await res.arrayBuffer()), { strict: true, uniqueSeries: true });
 */
export function parseExposition(text: ExpositionInput, options: ParseOptions & { readonly lenient: true }): LenientParseResult;
export function parseExposition(text: ExpositionInput, options?: ParseOptions & { readonly lenient?: false }): MetricFamily[];
export function parseExposition(text: ExpositionInput, options?: ParseOptions): MetricFamily[] | LenientParseResult;
export function parseExposition(text: ExpositionInput, options: ParseOptions = {}): MetricFamily[] | LenientParseResult {
  const lenient = options.lenient === true;
  const { families, errors } = run(text, options.format, options.contentType, lenient, options);
  return lenient ? { families, errors } : families;
}

/**
 * Internal, for a page parsed in parts (the CLI parses a large page chunk by chunk, and checks
 * across chunks for a series given twice): `parseExposition` with {@link ParseHooks}. Not
 * exported by promwire/exposition: `SampleLine` is the scanner's internal shape.
 * @example parseWithHooks(chunk.text, { format: "text" }, { onSample: (line) => index.add(line), lineNumber: (n) => n + 1000 });
 */
export function parseWithHooks(text: string, options: ParseOptions & { readonly lenient?: false }, hooks: ParseHooks): MetricFamily[] {
  return run(text, options.format, options.contentType, false, options, hooks).families;
}
