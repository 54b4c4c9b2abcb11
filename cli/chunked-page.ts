/**
 * A page as remote-write series, chunk by chunk (see page-chunks.ts): the `write` command checks
 * the whole page in a first pass (nothing is sent if any line is bad, or if a series is given
 * twice anywhere in it: page-series-index.ts), then converts and sends it chunk by chunk in a
 * second pass. A page that fits in one chunk is parsed once.
 */
import { detectFormat, parseWithHooks, type ExpositionFormat, type ParseOptions } from "../core/exposition/parse.ts";
import { familiesToSeries, type ToSeriesResult } from "../core/exposition/to-series.ts";
import type { ProtocolVersion } from "../core/wire/types.ts";
import { DEFAULT_CHUNK_CHARS, PageChunker, pageLineNumber, type PageChunk } from "./page-chunks.ts";
import { decodePage, InputError, type PageSource } from "./page-source.ts";
import { HeapBudget } from "./heap-budget.ts";
import { PageSeriesCheck } from "./page-series-index.ts";

/**
 * Heap kept between chunks. The chunks alive at once (the one parsed, the one being sent) hold
 * about 15 MB; V8 alone would let garbage reach 150-250 MB first (see heap-budget.ts).
 */
const HEAP_BUDGET_BYTES = 48 * 1024 * 1024;

/** How a page becomes series. */
export interface PageOptions {
  /**
   * How the page is parsed: the forced format (else sniffed from the page's end, `# EOF`), and
   * `strict` for each chunk; `uniqueSeries` is checked by {@link checkPage} across the whole page
   * (a chunk's own parse would see only its own lines), on the series as sent.
   */
  readonly parse: ParseOptions;
  readonly version: ProtocolVersion;
  readonly externalLabels: Readonly<Record<string, string>>;
  /** Time for samples without a timestamp: one for the whole page, as a scrape. */
  readonly timestamp: number;
  /** Chunk size in characters. */
  readonly chunkChars?: number;
}

/** A chunk's series, with the chunk. */
export interface ChunkSeries extends ToSeriesResult {
  readonly chunk: PageChunk;
  /** Samples (float + histogram) in `series`. */
  readonly samples: number;
}

/** Samples (float + histogram) in series. */
export function countSamples(series: ToSeriesResult["series"]): number {
  let n = 0;
  for (const s of series) n += (s.samples?.length ?? 0) + (s.histograms?.length ?? 0);
  return n;
}

/** The page's format: forced, or sniffed from its last lines. */
export function pageFormat(page: PageSource, forced: ExpositionFormat | undefined): ExpositionFormat {
  return forced ?? detectFormat(undefined, page.tail(4096));
}

/**
 * Read, chunk, parse and convert the page; parse errors name the page's line. With `check`, every
 * sample line goes through it (the checking pass).
 * @example for await (const { series, metadata } of pageSeries(page, options)) rw.write(series, metadata);
 */
export async function* pageSeries(page: PageSource, options: PageOptions, check?: PageSeriesCheck): AsyncGenerator<ChunkSeries> {
  const format = pageFormat(page, options.parse.format);
  const chunker = new PageChunker(format, options.chunkChars ?? DEFAULT_CHUNK_CHARS);
  const heap = new HeapBudget(HEAP_BUDGET_BYTES);
  // The series check is the page's (checkPage), not each chunk's.
  const parse = { ...options.parse, uniqueSeries: false, format, lenient: false } as const;
  let index = 0;
  const convert = (chunk: PageChunk): ChunkSeries => {
    const at = index++;
    // Lines numbered as in the page: errors, and the lines they refer to, are the page's.
    const families = parseWithHooks(chunk.text, parse, { lineNumber: pageLineNumber(chunk), onSample: check?.hookFor(chunk.text) });
    if (chunk.problem !== undefined) throw chunk.problem;
    const result = familiesToSeries(families, { version: options.version, externalLabels: options.externalLabels, timestamp: options.timestamp });
    if (result.duplicates > 0) {
      // The checking pass refuses a series given twice (with --label too), naming both lines: in
      // the sending pass, only a page that changed since gets here.
      if (options.parse.uniqueSeries === true && check === undefined) throw changedPage(page, at);
      throw new InputError(`${result.duplicates} sample${result.duplicates === 1 ? "" : "s"} of the page would land on the same series as another: nothing was sent`);
    }
    return { ...result, chunk, samples: countSamples(result.series) };
  };
  for await (const text of decodePage(page)) {
    for (const chunk of chunker.push(text)) {
      yield convert(chunk);
      // After the consumer is done with the chunk: its objects are garbage now.
      heap.check();
    }
  }
  for (const chunk of chunker.end()) yield convert(chunk);
}

/** What the checking pass found. */
export interface PageCheck {
  /** Samples and series the page holds, as they will be sent. */
  readonly samples: number;
  readonly series: number;
  /** Samples per chunk, to notice a page that reads differently the second time. */
  readonly perChunk: readonly number[];
  /** The page's series when it was a single chunk: send these instead of reading it again. */
  readonly whole: ToSeriesResult | undefined;
}

/**
 * First pass: parse every chunk, count, keep nothing but the page's series index (unless the page
 * is one chunk). Throws the first `ParseError` (with the page's line; for a series given twice,
 * both lines) or an input error; `progress` gets characters read.
 * @example const check = await checkPage(page, options);
 */
export async function checkPage(page: PageSource, options: PageOptions, progress?: (chars: number) => void): Promise<PageCheck> {
  let samples = 0;
  let series = 0;
  let chars = 0;
  const perChunk: number[] = [];
  let first: ToSeriesResult | undefined;
  const check =
    options.parse.uniqueSeries === true
      ? new PageSeriesCheck({ strict: options.parse.strict === true, om: pageFormat(page, options.parse.format) === "openmetrics", externalLabels: options.externalLabels })
      : undefined;
  for await (const c of pageSeries(page, options, check)) {
    samples += c.samples;
    series += c.series.length;
    chars += c.chunk.chars;
    perChunk.push(c.samples);
    first = perChunk.length === 1 ? { series: c.series, metadata: c.metadata, duplicates: c.duplicates } : undefined;
    progress?.(chars);
  }
  return { samples, series, perChunk, whole: first };
}

/** The second pass read a different page than the first (a file rewritten in between). */
export function changedPage(page: PageSource, chunk: number): InputError {
  return new InputError(`${page.name}: changed while promwire was sending it (chunk ${chunk + 1} differs from the check): part of it may have been sent`);
}
