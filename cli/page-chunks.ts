/**
 * Cutting an exposition page into chunks that parse on their own, so that a page of any size is
 * parsed (and sent) with bounded memory: parsing holds about 20 bytes of objects per byte of text,
 * which made a 50 MB page cost 1.1 GB when parsed whole.
 *
 * Each chunk, parsed alone, gives the families the whole page gives for those lines:
 * - cuts fall at line starts, never right after a HELP/TYPE/UNIT line, preferably where a new
 *   family begins (a HELP/TYPE/UNIT line, or a sample of another family); a family larger than
 *   twice the target is cut where a new label set begins (before its first sample name again: the
 *   `_bucket` after a `_count`, the `_total` after a `_created`), and past four times the target
 *   at any line. Only that last resort can separate an OpenMetrics `_created` line from the
 *   samples it describes, which matters for remote write 2.0 (start timestamps) only;
 * - a chunk starts with the HELP/TYPE/UNIT lines, from earlier chunks, of every family it
 *   touches ("context"), so that a sample resolves to the same typed family as in the whole page;
 * - OpenMetrics: every chunk but the last gets a closing `# EOF` (the parser requires it); the
 *   page's own `# EOF` stays where it is, so "data after # EOF" is still found;
 * - a HELP/TYPE/UNIT line repeating one from an earlier chunk (which a chunk parsed alone cannot
 *   see) is reported here, as the parser words it, after the lines before it have parsed;
 * - lines are numbered in the page, not in the chunk, with {@link pageLineNumber} (given to the
 *   parser: messages that name another line name the page's) or {@link pageError}.
 *
 * What a chunked parse cannot see, and the caller must check across chunks itself: a series
 * repeated in two chunks (page-series-index.ts, in `write`'s checking pass). Runtime-agnostic
 * (no `node:` imports), fed with decoded text.
 */

import { ParseError } from "../core/errors.ts";
import { ALL_SUFFIXES, OPENMETRICS_TYPES, TEXT_TYPES, typeHasSuffix } from "../core/exposition/family-rules.ts";
import type { FamilyType } from "../core/exposition/model.ts";
import type { ExpositionFormat } from "../core/exposition/parse.ts";
import { unpinned } from "../core/unpinned-string.ts";

/**
 * Default chunk size, characters. Parsing a chunk holds about 20 bytes per character (5 MB);
 * measured on a 50 MB page (Node 20): 256 Ki chunks peaked at 175 MB RSS with the heap budget
 * of chunked-page.ts, 1 Mi chunks at 285 MB, for about the same time.
 */
export const DEFAULT_CHUNK_CHARS = 256 * 1024;

/** One piece of a page, ready for `parseExposition(chunk.text, { format })`. */
export interface PageChunk {
  /** Context lines, then the page's own lines, then (OpenMetrics, not the last chunk) `# EOF`. */
  readonly text: string;
  /** Page line number (1-based) of the chunk's first own line. */
  readonly firstLine: number;
  /** Lines of context in front of the page's own lines. */
  readonly contextLines: number;
  /** The page line number of each context line. */
  readonly contextLineNumbers: readonly number[];
  /** The page's own characters in this chunk. */
  readonly chars: number;
  readonly last: boolean;
  /** A problem the chunker found at the line after this chunk: throw it once the chunk parsed. */
  readonly problem?: ParseError;
}

/**
 * Line numbers of a chunk in its page: line `n` of `chunk.text` is this line of the page.
 * @example parseWithHooks(chunk.text, { format }, { lineNumber: pageLineNumber(chunk) })
 */
export function pageLineNumber(chunk: PageChunk): (n: number) => number {
  const { contextLines, contextLineNumbers, firstLine } = chunk;
  const offset = firstLine - contextLines - 1;
  return (n) => (n <= contextLines ? contextLineNumbers[n - 1] : n + offset);
}

/** A chunk's parse error, with the page's line number instead of the chunk's (its message unchanged). */
export function pageError(e: ParseError, chunk: PageChunk): ParseError {
  return new ParseError(pageLineNumber(chunk)(e.line), e.column, e.excerpt, e.reason, e.rule);
}

interface Declared {
  type?: FamilyType;
  /** The family's HELP/TYPE/UNIT lines as written, each with its page line number and the chunk it came in. */
  readonly lines: { readonly kind: string; readonly line: string; readonly lineNo: number; readonly chunk: number }[];
}

const NL = 10;
const SP = 32;
const TAB = 9;
const HASH = 35;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

/** True when `s` holds the metric name `name` at `p` (compared char by char: `startsWith` with a position measured 4x slower). */
function sameName(s: string, p: number, name: string): boolean {
  const n = name.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(p + i) !== name.charCodeAt(i)) return false;
  return !isNameChar(s.charCodeAt(p + n));
}

/**
 * The same string, flattened: a concatenation is a rope in V8, and `indexOf`/`charCodeAt` walk
 * a rope on every call (measured 8x slower over a page) instead of flattening it for good.
 * Converting it to a number flattens it in place; the number is thrown away.
 */
function flat(s: string): string {
  Number(s);
  return s;
}

/**
 * Feeds on decoded text in pieces of any size; hands out chunks as they complete.
 * @example
 * const chunker = new PageChunker("text", 1 << 20);
 * for (const piece of pieces) for (const chunk of chunker.push(piece)) handle(chunk);
 * for (const chunk of chunker.end()) handle(chunk);
 */
export class PageChunker {
  private readonly om: boolean;
  private readonly target: number;
  /**
   * The current chunk's own text so far: earlier pieces' parts, then `text` from `segStart`.
   * Lines are read in place in each decoded piece (`text`), never in a concatenation: V8 walks
   * a concatenated string on every `indexOf` (measured 8x slower), and flattening costs a copy.
   */
  private parts: string[] = [];
  private size = 0;
  private text = "";
  private segStart = 0;
  /** The unfinished last line of the previous piece. */
  private partial = "";
  private chunkIndex = 0;
  private firstLine = 1;
  private lines = 0;
  private readonly declared = new Map<string, Declared>();
  /** Bumped by each TYPE line: a cached sample-name → family answer is stale after one. */
  private generation = 0;
  /** Families of the current chunk declared in earlier chunks: their lines go in front. */
  private touched = new Set<string>();
  /** Chunk in which the previous sample's family was last touched. */
  private touchedIn = -1;
  private prevWasMeta = false;
  private prevName = "";
  private prevFamily = "";
  private prevGeneration = -1;
  private familyFirstName = "";
  private familySingleName = true;
  private done = false;

  constructor(format: ExpositionFormat, targetChars: number = DEFAULT_CHUNK_CHARS) {
    this.om = format === "openmetrics";
    this.target = Math.max(1, targetChars);
  }

  /** Add the next piece of text; returns the chunks it completed. */
  push(text: string): PageChunk[] {
    const out: PageChunk[] = [];
    if (this.done) return out;
    if (this.partial !== "") {
      const nl = text.indexOf("\n");
      if (nl < 0) {
        this.partial += text;
        return out;
      }
      // The line cut between two pieces, alone (short: one copy of one line).
      const line = flat(this.partial + text.slice(0, nl + 1));
      this.partial = "";
      this.scan(line, false, out);
      text = text.slice(nl + 1);
    }
    this.scan(text, false, out);
    return out;
  }

  /** The page ended: returns the remaining chunks, the last one marked `last`. */
  end(): PageChunk[] {
    const out: PageChunk[] = [];
    if (this.done) return out;
    const rest = this.partial;
    this.partial = "";
    this.scan(flat(rest), true, out);
    if (!this.done) {
      this.text = "";
      this.segStart = 0;
      out.push(this.cut(0, true));
    }
    return out;
  }

  /** Read the complete lines of `text` (all of it when `atEnd`); keep the rest for later. */
  private scan(text: string, atEnd: boolean, out: PageChunk[]): void {
    this.text = text;
    this.segStart = 0;
    let pos = 0;
    while (!this.done && pos < text.length) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0) {
        if (!atEnd) break;
        nl = text.length;
      }
      const chunk = this.line(pos, nl);
      if (chunk !== undefined) {
        out.push(chunk);
        // Unless done, the line now starts the new chunk: read it again from there.
        continue;
      }
      pos = nl + 1;
      this.lines++;
    }
    if (this.done) return;
    const end = Math.min(pos, text.length);
    if (end > this.segStart) {
      this.parts.push(text.slice(this.segStart, end));
      this.size += end - this.segStart;
    }
    if (!atEnd && pos < text.length) this.partial = text.slice(pos);
    this.text = "";
    this.segStart = 0;
  }

  /** Read the line [start, end); returns a chunk when one ends before it. */
  private line(start: number, end: number): PageChunk | undefined {
    const s = this.text;
    let p = start;
    let c = s.charCodeAt(p);
    if (!this.om) while (c === SP || c === TAB) c = s.charCodeAt(++p);
    const size = this.size + start - this.segStart;
    // Never between a family's HELP/TYPE/UNIT lines and what follows them.
    const mayCut = !this.prevWasMeta && size >= this.target;
    if (p < end && c === HASH) {
      const meta = this.metaLine(p, end);
      if (meta !== undefined) {
        // A metadata block starts a family: the best place to cut.
        if (mayCut) return this.cut(start, false);
        const problem = this.declare(meta.kind, meta.name, meta.typeWord, start, end, meta.nameAt);
        if (problem !== undefined) return this.cut(start, false, problem);
        this.prevWasMeta = true;
        return undefined;
      }
    }
    if (p === end || p > start || c === HASH || !isNameStart(c)) {
      // Blank line, other comment, a line starting with a blank, garbage (the parser has its say).
      if (mayCut && size >= 4 * this.target) return this.cut(start, false);
      this.prevWasMeta = false;
      return undefined;
    }
    let name: string;
    let family: string;
    const prev = this.prevName;
    if (prev.length > 0 && sameName(s, p, prev)) {
      name = prev;
      family = this.prevGeneration === this.generation ? this.prevFamily : this.resolve(name);
    } else {
      let q = p + 1;
      while (isNameChar(s.charCodeAt(q))) q++;
      name = s.slice(p, q);
      family = this.resolve(name);
    }
    if (mayCut) {
      const newFamily = family !== this.prevFamily;
      const newGroup = name === this.familyFirstName && (name !== prev || this.familySingleName);
      if (newFamily || (size >= 2 * this.target && newGroup) || size >= 4 * this.target) return this.cut(start, false);
    }
    if (family !== this.prevFamily) {
      this.familyFirstName = name;
      this.familySingleName = true;
    } else if (name !== this.familyFirstName) this.familySingleName = false;
    if (family !== this.prevFamily || this.touchedIn !== this.chunkIndex) {
      this.touch(family);
      this.touchedIn = this.chunkIndex;
    }
    this.prevWasMeta = false;
    this.prevName = name;
    this.prevFamily = family;
    this.prevGeneration = this.generation;
    return undefined;
  }

  /** A HELP/TYPE/UNIT line's parts, or undefined for any other comment (and `# EOF`). */
  private metaLine(hash: number, end: number): { kind: "HELP" | "TYPE" | "UNIT"; name: string; nameAt: number; typeWord: string } | undefined {
    const s = this.text;
    let p = hash + 1;
    if (this.om) {
      if (s.charCodeAt(p) !== SP) return undefined;
      p++;
    } else {
      const q = p;
      let c = s.charCodeAt(p);
      while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (p === q) return undefined;
    }
    const kind = s.startsWith("HELP", p) ? "HELP" : s.startsWith("TYPE", p) ? "TYPE" : this.om && s.startsWith("UNIT", p) ? "UNIT" : undefined;
    if (kind === undefined) return undefined;
    p += 4;
    let c = s.charCodeAt(p);
    if (c !== SP && (this.om || c !== TAB)) return undefined;
    if (this.om) p++;
    else while (c === SP || c === TAB) c = s.charCodeAt(++p);
    const nameAt = p;
    if (!isNameStart(s.charCodeAt(p))) return undefined;
    while (p < end && isNameChar(s.charCodeAt(p))) p++;
    const name = s.slice(nameAt, p);
    let typeWord = "";
    if (kind === "TYPE") {
      let a = p + 1;
      let b = end;
      if (!this.om) {
        while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === TAB)) a++;
        while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === TAB)) b--;
      }
      typeWord = a < b ? s.slice(a, b) : "";
    }
    return { kind, name, nameAt, typeWord };
  }

  /** Record a metadata line; a repeat of an earlier chunk's line is the parser's error, here. */
  private declare(kind: string, name: string, typeWord: string, start: number, end: number, nameAt: number): ParseError | undefined {
    let d = this.declared.get(name);
    if (d !== undefined) {
      const earlier = d.lines.find((l) => l.kind === kind);
      if (earlier !== undefined && earlier.chunk < this.chunkIndex) {
        return this.error(start, end, nameAt, `second ${kind} line for ${name}`);
      }
    } else {
      d = { lines: [] };
      // Copies: families' metadata outlives their chunk, and a slice would keep the chunk alive.
      this.declared.set(unpinned(name), d);
    }
    d.lines.push({ kind, line: unpinned(this.text.slice(start, end)), lineNo: this.firstLine + this.lines, chunk: this.chunkIndex });
    if (kind === "TYPE") {
      // An unknown word fails the parse of this chunk; until then the family counts as typed.
      d.type = (this.om ? OPENMETRICS_TYPES : TEXT_TYPES).get(typeWord) ?? "unknown";
      this.generation++;
    }
    this.touch(name);
    return undefined;
  }

  private touch(family: string): void {
    const d = this.declared.get(family);
    if (d !== undefined && d.lines[0].chunk < this.chunkIndex) this.touched.add(family);
  }

  /** The family a sample name belongs to, by the parser's rules (FamilyTable.resolve). */
  private resolve(name: string): string {
    if (this.declared.get(name)?.type !== undefined) return name;
    for (const suffix of ALL_SUFFIXES) {
      if (!name.endsWith(suffix)) continue;
      const base = name.slice(0, name.length - suffix.length);
      const type = this.declared.get(base)?.type;
      if (type !== undefined && typeHasSuffix(type, suffix)) return base;
    }
    return name;
  }

  /** The parser's error for line [start, end) at `at`, numbered as in the page. */
  private error(start: number, end: number, at: number, reason: string): ParseError {
    let from = start;
    let to = end;
    if (to - from > 120) {
      from = Math.max(start, Math.min(at - 40, end - 120));
      to = Math.min(end, from + 120);
    }
    return new ParseError(this.firstLine + this.lines, at - start + 1, this.text.slice(from, to), reason);
  }

  /** End the current chunk before `at` in `text` (a line start; with `last`, the end). */
  private cut(at: number, last: boolean, problem?: ParseError): PageChunk {
    const context: string[] = [];
    const contextLineNumbers: number[] = [];
    for (const family of this.touched) {
      for (const l of (this.declared.get(family) as Declared).lines) {
        if (l.chunk < this.chunkIndex) {
          context.push(l.line);
          contextLineNumbers.push(l.lineNo);
        }
      }
    }
    // A chunk within one decoded piece is a slice of it (no copy); else one join makes a flat
    // string for the parser (copying is what costs here: fresh memory, page faults).
    const pieces = context.length === 0 ? this.parts : [context.join("\n"), "\n", ...this.parts];
    pieces.push(this.text.slice(this.segStart, at));
    if (this.om && !last) pieces.push("# EOF\n");
    const chunk: PageChunk = {
      text: pieces.length === 1 ? pieces[0] : pieces.join(""),
      firstLine: this.firstLine,
      contextLines: context.length,
      contextLineNumbers,
      chars: this.size + at - this.segStart,
      last,
      ...(problem === undefined ? {} : { problem }),
    };
    this.parts = [];
    this.size = 0;
    this.segStart = at;
    this.firstLine += this.lines;
    this.lines = 0;
    this.chunkIndex++;
    this.touched = new Set();
    if (last || problem !== undefined) this.done = true;
    return chunk;
  }
}
