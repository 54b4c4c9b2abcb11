// Cutting a page into chunks (cli/page-chunks.ts) must not change what the page means: parsed
// chunk by chunk, a page gives the series and metadata it gives parsed whole, and a bad page
// fails with the same error (line, column, reason) as the whole-page parse.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.ts";
import { parseExposition, type ExpositionFormat } from "../../core/exposition/parse.ts";
import { familiesToSeries } from "../../core/exposition/to-series.ts";
import type { ProtocolVersion } from "../../core/wire/types.ts";
import { PageChunker, pageError, type PageChunk } from "../../cli/page-chunks.ts";

/** Split `text` into pieces at the given cut points (as a stream delivers it). */
function pieces(text: string, cuts: readonly number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(text.slice(prev, c));
    prev = c;
  }
  out.push(text.slice(prev));
  return out;
}

function chunksOf(text: string, format: ExpositionFormat, target: number, cuts: readonly number[] = []): PageChunk[] {
  const chunker = new PageChunker(format, target);
  const out: PageChunk[] = [];
  for (const p of pieces(text, cuts)) out.push(...chunker.push(p));
  out.push(...chunker.end());
  return out;
}

function seriesKey(labels: readonly string[]): string {
  return JSON.stringify(labels);
}

/** What the page means for remote write: series (sorted) and metadata by family name. */
function meaning(results: { series: { labels: readonly string[] }[]; metadata: { metricFamilyName: string }[] }[]) {
  const series = results.flatMap((r) => r.series.map((s) => JSON.stringify(s))).sort();
  const metadata = new Map<string, string>();
  for (const r of results) for (const m of r.metadata) metadata.set(m.metricFamilyName, JSON.stringify(m));
  return { series, metadata: [...metadata.entries()].sort() };
}

function whole(text: string, format: ExpositionFormat, version: ProtocolVersion) {
  return meaning([familiesToSeries(parseExposition(text, { format }), { timestamp: 1, version })]);
}

function chunked(text: string, format: ExpositionFormat, version: ProtocolVersion, target: number, cuts: readonly number[] = []) {
  const results = [];
  for (const chunk of chunksOf(text, format, target, cuts)) {
    let families;
    try {
      families = parseExposition(chunk.text, { format });
    } catch (e) {
      throw e instanceof ParseError ? pageError(e, chunk) : e;
    }
    if (chunk.problem !== undefined) throw chunk.problem;
    results.push(familiesToSeries(families, { timestamp: 1, version }));
  }
  return meaning(results);
}

function errorOf(run: () => unknown): { line: number; column: number; reason: string; excerpt: string } | undefined {
  try {
    run();
    return undefined;
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { line: e.line, column: e.column, reason: e.reason, excerpt: e.excerpt };
  }
}

// ---- generated pages -----------------------------------------------------------------------

type Kind = "counter" | "gauge" | "histogram" | "summary" | "untyped";
interface FamilySpec {
  readonly kind: Kind;
  readonly help: boolean;
  readonly series: number;
}

const familySpec = fc.record({
  kind: fc.constantFrom<Kind>("counter", "gauge", "histogram", "summary", "untyped"),
  help: fc.boolean(),
  series: fc.integer({ min: 1, max: 6 }),
});

/**
 * A valid page: families of every type, each series unique (a series repeated within a page is
 * deduplicated only within one chunk, a check the caller does across chunks). `late` moves some
 * families' last sample line to the end of the page (text allows a family to come back).
 */
function buildPage(families: readonly FamilySpec[], om: boolean, late: boolean, comments: boolean): string {
  const lines: string[] = [];
  const tail: string[] = [];
  families.forEach((f, i) => {
    const base = `fam${i}`;
    const name = f.kind === "counter" && !om ? `${base}_total` : base;
    if (f.help) lines.push(`# HELP ${name} Help for ${name}, with a backslash \\\\.`);
    if (f.kind !== "untyped") lines.push(`# TYPE ${name} ${f.kind}`);
    else if (om) lines.push(`# TYPE ${name} unknown`);
    const own: string[] = [];
    for (let s = 0; s < f.series; s++) {
      const l = `shard="${s}",zone="z${i % 3}"`;
      if (f.kind === "counter") {
        own.push(`${base}_total{${l}} ${s + 1}`);
        if (om) own.push(`${base}_created{${l}} ${1_700_000_000 + s}`);
      } else if (f.kind === "histogram") {
        own.push(`${base}_bucket{${l},le="0.5"} ${s}`, `${base}_bucket{${l},le="+Inf"} ${s + 1}`, `${base}_sum{${l}} ${s / 2}`, `${base}_count{${l}} ${s + 1}`);
      } else if (f.kind === "summary") {
        own.push(`${base}{${l},quantile="0.5"} ${s}`, `${base}_sum{${l}} ${s}`, `${base}_count{${l}} ${s + 2}`);
      } else own.push(`${base}{${l}} ${s * 1.5}`);
      if (comments && !om && s === 0) own.push("# a comment between samples", "");
    }
    if (late && !om && own.length > 1 && i % 2 === 0) tail.push(own.pop() as string);
    lines.push(...own);
  });
  lines.push(...tail);
  if (om) lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

const page = fc.record({
  families: fc.array(familySpec, { minLength: 1, maxLength: 12 }),
  om: fc.boolean(),
  late: fc.boolean(),
  comments: fc.boolean(),
});

describe("PageChunker", () => {
  it("a generated page means the same chunked (any chunk size, any read pieces) as whole, remote write 1.0", () => {
    fc.assert(
      fc.property(page, fc.integer({ min: 1, max: 400 }), fc.array(fc.nat(), { maxLength: 6 }), (p, target, cuts) => {
        const text = buildPage(p.families, p.om, p.late, p.comments);
        const format = p.om ? "openmetrics" : "text";
        expect(chunked(text, format, "v1", target, cuts)).toEqual(whole(text, format, "v1"));
        // Bounded: past four times the target, the next line start ends the chunk (a metadata
        // block of a few lines stays whole).
        const longest = Math.max(...text.split("\n").map((l) => l.length + 1));
        for (const c of chunksOf(text, format, target, cuts)) expect(c.chars).toBeLessThanOrEqual(4 * target + 4 * longest);
      }),
      { numRuns: 300 },
    );
  });

  it("remote write 2.0 (OpenMetrics _created become start timestamps) is kept when families are cut at label-set boundaries", () => {
    fc.assert(
      fc.property(page, fc.integer({ min: 40, max: 400 }), (p, target) => {
        // Families smaller than twice the target: cuts fall between families or label sets only.
        const text = buildPage(p.families, true, false, false);
        const chunks = chunksOf(text, "openmetrics", target);
        fc.pre(chunks.every((c) => c.chars < 4 * target));
        expect(chunked(text, "openmetrics", "v2", target)).toEqual(whole(text, "openmetrics", "v2"));
      }),
      { numRuns: 200 },
    );
  });

  it("cuts a page into chunks near the target size, each carrying the context it needs", () => {
    const text = buildPage(
      Array.from({ length: 40 }, (_, i) => ({ kind: (["counter", "gauge", "histogram", "summary", "untyped"] as const)[i % 5], help: true, series: 5 })),
      false,
      false,
      false,
    );
    const chunks = chunksOf(text, "text", 500);
    expect(chunks.length).toBeGreaterThan(10);
    expect(chunks.at(-1)?.last).toBe(true);
    expect(chunks.slice(0, -1).every((c) => !c.last)).toBe(true);
    // The chunks' own text is the page, in order, and line numbers follow on.
    expect(chunks.map((c) => c.text.split("\n").slice(c.contextLines).join("\n")).join("")).toBe(text);
    let line = 1;
    for (const c of chunks) {
      expect(c.firstLine).toBe(line);
      line += c.text.split("\n").length - 1 - c.contextLines;
    }
    // Every chunk holds the HELP/TYPE lines of every family it has samples of.
    const meta = text.split("\n").filter((l) => l.startsWith("# "));
    for (const c of chunks) {
      for (const sample of c.text.split("\n").filter((l) => /^fam/.test(l))) {
        const family = /^fam\d+/.exec(sample)?.[0] as string;
        for (const m of meta.filter((l) => new RegExp(`^# (HELP|TYPE) ${family}(_total)? `).test(l))) expect(c.text).toContain(m);
      }
    }
  });

  it("a family far larger than the target is cut inside, at a new label set, with its HELP and TYPE repeated in front", () => {
    const lines = ["# HELP big_seconds A big histogram.", "# TYPE big_seconds histogram"];
    for (let i = 0; i < 200; i++) lines.push(`big_seconds_bucket{i="${i}",le="1"} 1`, `big_seconds_bucket{i="${i}",le="+Inf"} 2`, `big_seconds_sum{i="${i}"} 3`, `big_seconds_count{i="${i}"} 2`);
    const text = `${lines.join("\n")}\n`;
    const chunks = chunksOf(text, "text", 1000);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks.slice(1)) {
      const body = c.text.split("\n");
      expect(body.slice(0, c.contextLines)).toEqual(["# HELP big_seconds A big histogram.", "# TYPE big_seconds histogram"]);
      expect(body[c.contextLines]).toMatch(/^big_seconds_bucket\{i="\d+",le="1"\}/);
      const [family] = parseExposition(c.text);
      expect(family).toMatchObject({ name: "big_seconds", type: "histogram", help: "A big histogram." });
    }
    expect(chunked(text, "text", "v1", 1000)).toEqual(whole(text, "text", "v1"));
  });

  it("OpenMetrics: every chunk but the last gets # EOF; data after the page's own # EOF is still an error", () => {
    const lines = ["# TYPE g gauge"];
    for (let i = 0; i < 100; i++) lines.push(`g{i="${i}"} ${i}`);
    const text = `${lines.join("\n")}\n# EOF\n`;
    const chunks = chunksOf(text, "openmetrics", 200);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.text.endsWith("# EOF\n")).toBe(true);
    expect(chunks.at(-1)?.text.match(/# EOF/g)).toHaveLength(1);
    const after = `${lines.join("\n")}\n# EOF\n${lines.slice(1).join("\n")}\n`;
    const expected = errorOf(() => parseExposition(after, { format: "openmetrics" }));
    expect(expected?.reason).toBe('data after "# EOF"');
    expect(errorOf(() => chunked(after, "openmetrics", "v1", 200))).toEqual(expected);
    const noEof = `${lines.join("\n")}\n`;
    expect(errorOf(() => chunked(noEof, "openmetrics", "v1", 200))).toEqual(errorOf(() => parseExposition(noEof, { format: "openmetrics" })));
  });

  it("a bad line anywhere fails with the whole page's error: same line, column, reason and excerpt", () => {
    const bad = ['bad{a=1} 2', "x 1 2 3", "# TYPE x nonsense", "{} 1", 'q{a="1"', "  leading 1", "x{__name__=\"y\"} 1"];
    fc.assert(
      fc.property(page, fc.nat(), fc.constantFrom(...bad), fc.integer({ min: 1, max: 300 }), (p, where, line, target) => {
        const text = buildPage(p.families, p.om, p.late, false);
        const lines = text.split("\n");
        const at = where % (lines.length - (p.om ? 2 : 1));
        lines.splice(at, 0, line);
        const broken = lines.join("\n");
        const format = p.om ? "openmetrics" : "text";
        const expected = errorOf(() => parseExposition(broken, { format }));
        expect(expected).toBeDefined();
        expect(errorOf(() => chunked(broken, format, "v1", target))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it("a HELP/TYPE/UNIT line repeated in a later chunk fails as the whole-page parse does", () => {
    fc.assert(
      fc.property(page, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 300 }), (p, which, where, target) => {
        const text = buildPage(p.families, p.om, false, false);
        const lines = text.split("\n");
        const meta = lines.map((l, i) => [l, i] as const).filter(([l]) => /^# (HELP|TYPE) /.test(l));
        fc.pre(meta.length > 0);
        const [repeat, from] = meta[which % meta.length];
        const end = lines.length - (p.om ? 2 : 1);
        const at = from + 1 + (where % Math.max(1, end - from));
        lines.splice(at, 0, repeat);
        const broken = lines.join("\n");
        const format = p.om ? "openmetrics" : "text";
        const expected = errorOf(() => parseExposition(broken, { format }));
        expect(expected?.reason).toMatch(/^second (HELP|TYPE) line for /);
        expect(errorOf(() => chunked(broken, format, "v1", target))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ["text-edge.prom", "text"],
    ["openmetrics-edge.om", "openmetrics"],
  ] as const)("the edge-case page %s means the same at every chunk size", (file, format) => {
    // The text page repeats line 7's series on line 54: a chunk's parse cannot see another
    // chunk's series, so that line is left out here; the check across chunks (checkPage) refuses
    // the page as it is at every chunk size, naming both lines (page-series-index.test.ts).
    const text = readFileSync(new URL(`../fixtures/exposition/${file}`, import.meta.url), "utf8").replace('edge_requests_total{method="get",code="200"} 9999\n', "");
    const expected = whole(text, format, "v1");
    for (let target = 1; target <= text.length + 1; target += 7) expect(chunked(text, format, "v1", target), `target ${target}`).toEqual(expected);
  });

  it.each([
    ["text-invalid-lines.prom", "text"],
    ["openmetrics-invalid-lines.om", "openmetrics"],
  ] as const)("the invalid page %s fails with the same error at every chunk size", (file, format) => {
    const text = readFileSync(new URL(`../fixtures/exposition/${file}`, import.meta.url), "utf8");
    const expected = errorOf(() => parseExposition(text, { format }));
    expect(expected).toBeDefined();
    for (let target = 1; target <= text.length + 1; target += 3) expect(errorOf(() => chunked(text, format, "v1", target)), `target ${target}`).toEqual(expected);
  });

  it("samples separated by blank lines and comments are still cut (chunks stay bounded)", () => {
    const lines: string[] = ["# TYPE spaced gauge"];
    for (let i = 0; i < 300; i++) lines.push(`spaced{i="${i}"} ${i}`, "", "# just a comment");
    const text = `${lines.join("\n")}\n`;
    const chunks = chunksOf(text, "text", 100);
    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks) expect(c.chars).toBeLessThan(500);
    expect(chunked(text, "text", "v1", 100)).toEqual(whole(text, "text", "v1"));
  });

  it("an empty page is one empty last chunk; a page without a final newline keeps its last line", () => {
    expect(chunksOf("", "text", 10)).toEqual([{ text: "", firstLine: 1, contextLines: 0, contextLineNumbers: [], chars: 0, last: true }]);
    const text = "# TYPE a gauge\na 1\nb 2";
    expect(chunked(text, "text", "v1", 1, [3, 17, 20])).toEqual(whole(text, "text", "v1"));
  });
});
