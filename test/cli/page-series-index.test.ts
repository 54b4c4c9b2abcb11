// The page-wide series check of `promwire write` (cli/page-series-index.ts, run by checkPage in
// cli/chunked-page.ts): a page parsed chunk by chunk must be refused for a series given twice
// exactly as the whole page parsed with `uniqueSeries` is (same line, column, reason, rule),
// wherever the chunks are cut; with --label external labels, exactly when a receiver would get
// one series twice (familiesToSeries counts what it would drop); and it keeps no page text alive.
import { readFileSync } from "node:fs";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.ts";
import { parseExposition, parseWithHooks, type ExpositionFormat } from "../../core/exposition/parse.ts";
import { familiesToSeries } from "../../core/exposition/to-series.ts";
import { checkPage, type PageOptions } from "../../cli/chunked-page.ts";
import { PageSeriesCheck } from "../../cli/page-series-index.ts";
import type { PageSource } from "../../cli/page-source.ts";

/** A page held in memory, as openPage gives a small file. */
function memoryPage(text: string): PageSource {
  const bytes = new TextEncoder().encode(text);
  return {
    name: "page.prom",
    bytes,
    size: bytes.length,
    async *stream() {
      yield bytes;
    },
    tail: (n) => new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - n))),
    close() {},
  };
}

interface Failure {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  readonly rule: string;
  readonly excerpt: string;
}

function failureOf(e: unknown): Failure {
  if (!(e instanceof ParseError)) throw e;
  return { line: e.line, column: e.column, reason: e.reason, rule: e.rule, excerpt: e.excerpt };
}

function wholeFailure(text: string, format: ExpositionFormat, strict: boolean): Failure | undefined {
  try {
    parseExposition(text, { format, strict, uniqueSeries: true });
    return undefined;
  } catch (e) {
    return failureOf(e);
  }
}

async function chunkedFailure(text: string, options: { format: ExpositionFormat; strict?: boolean; chunkChars: number; externalLabels?: Record<string, string> }): Promise<Failure | undefined> {
  const page: PageOptions = {
    parse: { format: options.format, strict: options.strict === true, uniqueSeries: true },
    version: "v1",
    externalLabels: options.externalLabels ?? {},
    timestamp: 1_700_000_000_000,
    chunkChars: options.chunkChars,
  };
  try {
    await checkPage(memoryPage(text), page);
    return undefined;
  } catch (e) {
    return failureOf(e);
  }
}

// ---- generated pages ---------------------------------------------------------------------

const NAMES = ["jobs", "queue_depth", "temperature_celsius"];
const LABEL_NAMES = ["a", "job", "zone"];
const VALUES = ["", "1", "2", "x"];

/** A sample line: a name, some labels (any order, empty values possible), maybe a timestamp. */
const sampleLine = fc.record({
  name: fc.constantFrom(...NAMES),
  labels: fc.uniqueArray(fc.tuple(fc.constantFrom(...LABEL_NAMES), fc.constantFrom(...VALUES)), { selector: ([k]) => k, maxLength: 3 }),
  value: fc.integer({ min: 0, max: 99 }),
  timestamp: fc.option(fc.integer({ min: 1, max: 5 }).map((t) => 1_700_000_000_000 + t * 1000), { nil: undefined }),
});
type Line = typeof sampleLine extends fc.Arbitrary<infer T> ? T : never;

function render(l: Line, om: boolean): string {
  const labels = l.labels.map(([k, v]) => `${k}="${v}"`).join(",");
  const ts = l.timestamp === undefined ? "" : om ? ` ${l.timestamp / 1000}` : ` ${l.timestamp}`;
  return `${l.name}${labels === "" ? "" : `{${labels}}`} ${l.value}${ts}`;
}

/**
 * A page: HELP and TYPE lines for every name (so that later chunks carry context lines), then
 * the sample lines; grouped by name when `grouped` (strict text wants a family's lines together).
 */
function pageOf(lines: readonly Line[], om: boolean, grouped: boolean): string {
  const out: string[] = [];
  const body = grouped ? NAMES.flatMap((n) => lines.filter((l) => l.name === n)) : lines;
  if (grouped) {
    for (const n of NAMES) {
      const own = body.filter((l) => l.name === n);
      if (own.length === 0) continue;
      out.push(`# HELP ${n} Help of ${n}.`, `# TYPE ${n} gauge`, ...own.map((l) => render(l, om)));
    }
  } else {
    for (const n of NAMES) out.push(`# HELP ${n} Help of ${n}.`, `# TYPE ${n} gauge`);
    out.push(...body.map((l) => render(l, om)));
  }
  if (om) out.push("# EOF");
  return `${out.join("\n")}\n`;
}

describe("the page-wide series check (write's first pass)", () => {
  it("refuses a page chunked at any size exactly as the whole page parsed with uniqueSeries: same line, column, reason, rule", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sampleLine, { minLength: 1, maxLength: 40 }), fc.boolean(), fc.integer({ min: 1, max: 300 }), async (lines, om, chunkChars) => {
        const format = om ? "openmetrics" : "text";
        const text = pageOf(lines, om, false);
        expect(await chunkedFailure(text, { format, chunkChars })).toEqual(wholeFailure(text, format, false));
      }),
      { numRuns: 300 },
    );
  });

  it("--strict on a text page: each series once (the format's rule), across chunks as within one", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(sampleLine, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 300 }), async (lines, chunkChars) => {
        const text = pageOf(lines, false, true);
        const expected = wholeFailure(text, "text", true);
        expect(await chunkedFailure(text, { format: "text", strict: true, chunkChars })).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("with --label: refused exactly when a receiver would get one series twice, naming two lines that are that series", async () => {
    const externals = fc.dictionary(fc.constantFrom("job", "zone", "instance"), fc.constantFrom("", "1", "x"), { minKeys: 1, maxKeys: 3 });
    await fc.assert(
      fc.asyncProperty(fc.array(sampleLine, { minLength: 1, maxLength: 30 }), externals, fc.boolean(), fc.integer({ min: 1, max: 200 }), async (lines, externalLabels, stamped, chunkChars) => {
        // All lines with a timestamp or none: a line without one is sent at the time of the send.
        const page = lines.map((l, i) => ({ ...l, timestamp: stamped ? 1_700_000_000_000 + (i % 3) * 1000 : undefined }));
        const text = pageOf(page, false, false);
        const { duplicates } = familiesToSeries(parseExposition(text), { externalLabels, timestamp: 1 });
        const failure = await chunkedFailure(text, { format: "text", chunkChars, externalLabels });
        expect(failure !== undefined).toBe(duplicates > 0);
        if (failure === undefined) return;
        expect(failure.rule).toMatch(/^(duplicate-series|timestamp-order)$/);
        // The two lines named are one series once the external labels are merged in.
        const sent = (line: number) => {
          const own = text.split("\n")[line - 1];
          return familiesToSeries(parseExposition(`${own}\n`), { externalLabels, timestamp: 1 }).series[0].labels;
        };
        const earlier = Number(/is also on line (\d+)/.exec(failure.reason)?.[1]);
        expect(earlier).toBeLessThan(failure.line);
        expect(sent(failure.line)).toEqual(sent(earlier));
        const ownLabels = (line: number) => familiesToSeries(parseExposition(`${text.split("\n")[line - 1]}\n`), { timestamp: 1 }).series[0].labels;
        // "once the --label labels are added" exactly when the lines' own series differ.
        expect(failure.reason.includes("once the --label labels are added")).toBe(JSON.stringify(ownLabels(failure.line)) !== JSON.stringify(ownLabels(earlier)));
      }),
      { numRuns: 300 },
    );
  });

  it("the text edge-case page repeats line 7 on line 54: refused at every chunk size as whole, naming both lines", async () => {
    const text = readFileSync(new URL("../fixtures/exposition/text-edge.prom", import.meta.url), "utf8");
    const expected = wholeFailure(text, "text", false);
    expect(expected).toMatchObject({ line: 54, rule: "duplicate-series" });
    expect(expected?.reason).toContain("is also on line 7");
    for (let chunkChars = 1; chunkChars <= text.length + 1; chunkChars += 7) {
      expect(await chunkedFailure(text, { format: "text", chunkChars }), `chunk size ${chunkChars}`).toEqual(expected);
    }
  });

  it("every line number in a message is the page's, a context line's too (strict: a family split across the page)", async () => {
    const lines = ["# HELP x A family.", "# TYPE x gauge"];
    for (let i = 0; i < 200; i++) lines.push(`x{i="${i}"} ${i}`);
    lines.push("# TYPE y gauge", "y 1", 'x{i="late"} 1');
    const text = `${lines.join("\n")}\n`;
    const expected = wholeFailure(text, "text", true);
    expect(expected).toMatchObject({ line: lines.length, rule: "family-split" });
    expect(expected?.reason).toBe(`family x (line 1) continues here after family y (line ${lines.length - 2}): the lines of a family must be together`);
    // The last chunk starts at "# TYPE y" and carries x's HELP and TYPE (lines 1 and 2) as context.
    for (const chunkChars of [100, 500, 1000]) expect(await chunkedFailure(text, { format: "text", strict: true, chunkChars }), `chunk size ${chunkChars}`).toEqual(expected);
  });

  it("tells apart series that differ only in which label has which value, in any label order", async () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) for (let j = 0; j < 300; j++) lines.push(i % 2 === 0 ? `m{a="${i}",b="${j}"} 1` : `m{b="${j}",a="${i}"} 1`);
    // Swapped values, a name and value swapped, the metric name as a label: all other series.
    lines.push('m{a="x",b="y"} 1', 'm{a="y",b="x"} 1', 'm{x="a"} 1', 'm{a="x"} 1', 'a{m="x"} 1', 'x{a="m"} 1');
    expect(await chunkedFailure(`${lines.join("\n")}\n`, { format: "text", chunkChars: 64 * 1024 })).toBeUndefined();
    // The same label set in another order is the same series.
    const again = `${lines.join("\n")}\nm{b="7",a="5"} 2\n`;
    const failure = await chunkedFailure(again, { format: "text", chunkChars: 64 * 1024 });
    expect(failure).toMatchObject({ line: lines.length + 1, rule: "duplicate-series" });
    expect(failure?.reason).toBe(`series m{a="5",b="7"} is also on line ${5 * 300 + 7 + 1}, both without a timestamp: a receiver keeps only one of them (Prometheus the first, a Pushgateway the last)`);
  });

  it("keeps no page text alive: 30 chunks of 1 MB checked leave the heap where it was, but for its tables", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const heap = (): number => {
      gc();
      gc();
      return getHeapStatistics().used_heap_size;
    };
    const check = new PageSeriesCheck({ strict: false, om: false, externalLabels: { job: "batch" } });
    const before = heap();
    let firstLine = 1;
    for (let c = 0; c < 30; c++) {
      // Few series, long label values: the text is what would be retained.
      const lines: string[] = [];
      for (let i = 0; i < 100; i++) lines.push(`retained_name_${c}_${i}{long_label_name="${String(i).padEnd(10_000, "v")}",pod="pod-${c}-${i}-with-a-long-name"} 1`);
      const text = `${lines.join("\n")}\n`;
      const offset = firstLine - 1;
      parseWithHooks(text, { format: "text" }, { onSample: check.hookFor(text), lineNumber: (n) => n + offset });
      firstLine += lines.length;
    }
    expect(check.size).toBe(3000);
    // 30 MB if one string per chunk were kept; the tables are 4096 slots of 16 bytes.
    expect(heap() - before).toBeLessThan(2 * 1024 * 1024);
  });
});
