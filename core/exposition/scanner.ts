/**
 * The exposition scanner: one pass over the page's char codes, one line at a time, no regular
 * expressions and no per-character allocation. Both formats share it; `om` switches on
 * OpenMetrics 1.0's stricter grammar (single spaces, no blank lines, only HELP/TYPE/UNIT/EOF
 * comments, a closing `# EOF`, float-second timestamps, exemplars), following Prometheus's own
 * lexers (model/textparse `promlex.l`, `openmetricslex.l`) where the specs leave room.
 *
 * Strings repeat from line to line (the metric name of a run of samples, label names, the value
 * a label had on the previous line), so the scanner compares the text in place against strings
 * it has already made and reuses them instead of slicing new ones. The strings it does make are
 * slices of the page, so parsed families keep the page's text in memory while they live.
 *
 * Measured (bench/parse.ts, ~2 MB page, Node 20): 5-7× `parse-prometheus-text-format` in wall
 * time. What mattered: native `indexOf` for quotes and line ends, comparing the page with itself
 * (`startsWith` with a position, or comparing against a sliced string, was 2-3× slower), fewer
 * allocations. About half of the CPU time left is garbage collection of the result itself (V8
 * pretenures the sample objects, which makes every young label array a remembered-set entry).
 *
 * Checks beyond the grammar (strict mode, unique series) are not here: a {@link LineRules}
 * object, when the caller gives one, is told about every complete line (strict-rules.ts,
 * series-index.ts). Without one the scanner pays a single `undefined` test per line.
 */

import { ParseError, type ParseRule } from "../errors.ts";
import { compareUtf8 } from "../wire/label-rules.ts";
import type { Exemplar } from "../wire/types.ts";
import { unescape } from "./escape.ts";
import { OPENMETRICS_TYPES, TEXT_TYPES } from "./family-rules.ts";
import { FamilyTable, type FamilyBuilder } from "./family-table.ts";
import type { ExpositionSample, FamilyType, MetricFamily } from "./model.ts";
import { parseErrorAt } from "./parse-error-at.ts";
import { scanFloat, scanInteger } from "./scan-number.ts";

const NL = 10;
const SP = 32;
const TAB = 9;
const HASH = 35;
const QUOTE = 34;
const COMMA = 44;
const EQ = 61;
const LBRACE = 123;
const RBRACE = 125;
const BACKSLASH = 92;

/** Character classes: bit 1 metric-name start, 2 metric-name char, 4 label-name start, 8 label-name char. */
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
  const digit = c >= 48 && c <= 57;
  CLASS[c] = (alpha || c === 58 ? 3 : digit ? 2 : 0) | (alpha ? 12 : digit ? 8 : 0);
}

const isMetricChar = (c: number): boolean => c < 128 && (CLASS[c] & 2) !== 0;
const isLabelChar = (c: number): boolean => c < 128 && (CLASS[c] & 8) !== 0;

const EMPTY: readonly string[] = [];

export type MetaKind = "HELP" | "TYPE" | "UNIT";

/**
 * One sample line as the parser read it, handed to {@link LineRules}. The parser reuses one
 * object for every line (no allocation per sample); `labels` and `labelAt` are valid only
 * during the call.
 */
export interface SampleLine {
  /** 1-based line number, and the offset in the page where the line starts. */
  lineNo: number;
  lineStart: number;
  name: string;
  family: FamilyBuilder;
  /** Flat `[name, value, …]` as written; `labelAt[i]` is the offset of the i-th label's name. */
  labels: readonly string[];
  labelAt: readonly number[];
  /** Offsets of `{` (or -1), of the value, of the timestamp (or -1) and of the exemplar's `#` (or -1). */
  labelsAt: number;
  valueAt: number;
  timestampAt: number;
  exemplarAt: number;
  value: number;
  /** Milliseconds, as stored. */
  timestamp: number | undefined;
  /**
   * The timestamp at full precision, for ordering: OpenMetrics seconds before the conversion to
   * milliseconds (two timestamps may differ below one millisecond), text 0.0.4 milliseconds.
   */
  exactTimestamp: number | undefined;
  exemplar: Exemplar | undefined;
}

/** Checks beyond the grammar (strict mode, unique series), told about every line as it is read. */
export interface LineRules {
  /** A HELP, TYPE or UNIT line for `family`; `nameAt` is the offset of the metric name. */
  meta(kind: MetaKind, family: FamilyBuilder, lineNo: number, lineStart: number, nameAt: number): void;
  /** A sample line; false when it broke a rule of its own and is left out (lenient mode). */
  sample(line: SampleLine): boolean;
  /** The page ended (rules that need the whole family or page report here). */
  end(): void;
}

/** What the parser hands to {@link LineRules}: where errors go. */
export interface RuleSink {
  /** Throws `e`, or in lenient mode records it and returns. */
  report(e: ParseError): void;
}

export class ExpositionParser {
  private pos = 0;
  private lineNo = 1;
  private lineStart = 0;
  private sawEof = false;
  private readonly table = new FamilyTable();
  /**
   * Size of the string tables below (a power of two minus one), scaled to the page so that a
   * tiny page does not pay for filling 4096-slot tables: about one slot per 64 chars.
   */
  private readonly mask: number;
  /** Metric names by hash slot, with the family each resolved to in generation `generation`. */
  private readonly names: (string | undefined)[];
  private readonly nameFamily: (FamilyBuilder | undefined)[];
  private readonly nameGen: Int32Array;
  private readonly namesAt: Int32Array;
  private readonly interned: (string | undefined)[];
  private readonly internedAt: Int32Array;
  /** Slot of the label name interned last, and per slot the last value seen for that label. */
  private internSlot = 0;
  private readonly lastValue: (string | undefined)[];
  private readonly lastValueAt: Int32Array;
  /** Label pairs of the label set being read, `pairCount` strings long (reused: no per-line growth). */
  private readonly pairs: string[] = new Array<string>(64).fill("");
  private pairCount = 0;
  /** Where the previous sample's metric name starts, and that name: most lines repeat it. */
  private prevNameAt = 0;
  private prevName = "";
  private prevFamily: FamilyBuilder | undefined;
  private prevGeneration = -1;
  /** End of the sample line being read (its newline, or the end of the page). */
  private lineEnd = 0;
  /** Position of the next backslash at or after the last label value searched, or the page length. */
  private nextBackslash = -1;
  readonly errors: ParseError[] = [];

  /** Offsets of the label names of the label set being read (parallel to `pairs`, one per pair). */
  private readonly labelAt: number[] = new Array<number>(32).fill(0);
  /** Offset of the `#` of the exemplar being read. */
  private exemplarAt = -1;
  /** The last OpenMetrics timestamp in seconds, as written (before the conversion to ms). */
  private lastSeconds = 0;

  private readonly s: string;
  private readonly om: boolean;
  private readonly lenient: boolean;
  private readonly rules: LineRules | undefined;
  private readonly line: SampleLine | undefined;
  /** The number line `n` of `s` has in errors and for the rules (`s` may be part of a page). */
  private readonly lineNumber: ((n: number) => number) | undefined;

  /**
   * `rules`, when given, is built by the caller around this parser's {@link RuleSink}.
   * `lineNumber` renumbers lines (default: 1 up from the first line of `s`).
   */
  constructor(s: string, om: boolean, lenient: boolean, rules?: (sink: RuleSink) => LineRules, lineNumber?: (n: number) => number) {
    this.s = s;
    this.om = om;
    this.lenient = lenient;
    this.lineNumber = lineNumber;
    if (rules !== undefined) {
      this.rules = rules({ report: (e) => this.report(e) });
      this.line = {
        lineNo: 0, lineStart: 0, name: "", family: undefined as unknown as FamilyBuilder, labels: EMPTY, labelAt: this.labelAt,
        labelsAt: -1, valueAt: 0, timestampAt: -1, exemplarAt: -1, value: 0, timestamp: undefined, exactTimestamp: undefined, exemplar: undefined,
      };
    }
    let size = 64;
    while (size < 4096 && size * 64 < s.length) size <<= 1;
    this.mask = size - 1;
    this.names = new Array<string | undefined>(size).fill(undefined);
    this.nameFamily = new Array<FamilyBuilder | undefined>(size).fill(undefined);
    this.nameGen = new Int32Array(size).fill(-1);
    this.namesAt = new Int32Array(size);
    this.interned = new Array<string | undefined>(size).fill(undefined);
    this.internedAt = new Int32Array(size);
    this.lastValue = new Array<string | undefined>(size).fill(undefined);
    this.lastValueAt = new Int32Array(size);
  }

  run(): MetricFamily[] {
    const n = this.s.length;
    while (this.pos < n && !this.sawEof) {
      try {
        this.lines();
      } catch (e) {
        if (!(e instanceof ParseError) || !this.lenient) throw e;
        this.errors.push(e);
        this.skipLine();
      }
    }
    if (this.om) {
      if (!this.sawEof) this.report(this.error(this.pos, "an OpenMetrics page must end with \"# EOF\"", "eof-missing"));
      else if (this.pos < n) this.report(this.error(this.pos, "data after \"# EOF\"", "eof-trailing-data"));
    }
    this.rules?.end();
    return this.table.families;
  }

  private report(e: ParseError): void {
    if (!this.lenient) throw e;
    this.errors.push(e);
  }

  private error(p: number, reason: string, rule: ParseRule = "syntax"): ParseError {
    return parseErrorAt(this.s, this.numbered(this.lineNo), this.lineStart, p, reason, rule);
  }

  private numbered(lineNo: number): number {
    return this.lineNumber === undefined ? lineNo : this.lineNumber(lineNo);
  }

  private fail(p: number, reason: string, rule: ParseRule = "syntax"): never {
    throw this.error(p, reason, rule);
  }

  private nextLine(p: number): void {
    this.pos = p;
    this.lineNo++;
    this.lineStart = p;
  }

  private skipLine(): void {
    const nl = this.s.indexOf("\n", this.lineStart);
    if (nl < 0) this.pos = this.s.length;
    else this.nextLine(nl + 1);
  }

  /** Expect the end of the line at `p` (text 0.0.4 allows trailing blanks). */
  private endLine(p: number): void {
    const s = this.s;
    let c = s.charCodeAt(p);
    if (!this.om) while (c === SP || c === TAB) c = s.charCodeAt(++p);
    if (c === NL) this.nextLine(p + 1);
    else if (p >= s.length) this.pos = s.length;
    else this.fail(p, "expected the end of the line");
  }

  private lines(): void {
    const s = this.s;
    const n = s.length;
    const om = this.om;
    while (this.pos < n) {
      let p = this.pos;
      let c = s.charCodeAt(p);
      if (!om) while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c === NL) {
        if (om) this.fail(p, "blank line (OpenMetrics allows none)", "blank-line");
        this.nextLine(p + 1);
      } else if (p >= n) {
        this.pos = n;
      } else if (c === HASH) {
        this.comment(p);
        if (this.sawEof) return;
      } else {
        // Prometheus 2.x takes leading blanks into the metric name and fails the scrape.
        if (p > this.pos) this.fail(this.pos, "a sample line must not start with a blank");
        this.sample(p);
      }
    }
  }

  // ---- comments and metadata ------------------------------------------------------------------

  private comment(hash: number): void {
    const s = this.s;
    let p = hash + 1;
    let kind: MetaKind;
    if (this.om) {
      if (s.charCodeAt(p) !== SP) this.fail(p, "expected a space after \"#\"");
      p++;
      if (s.startsWith("EOF", p) && (p + 3 === s.length || s.charCodeAt(p + 3) === NL)) {
        this.sawEof = true;
        if (p + 3 < s.length) this.nextLine(p + 4);
        else this.pos = s.length;
        return;
      }
      if (s.startsWith("HELP ", p)) kind = "HELP";
      else if (s.startsWith("TYPE ", p)) kind = "TYPE";
      else if (s.startsWith("UNIT ", p)) kind = "UNIT";
      else return this.fail(hash, "OpenMetrics allows only \"# HELP\", \"# TYPE\", \"# UNIT\" and \"# EOF\" comments", "comment-invalid");
      p += 5;
    } else {
      let q = p;
      let c = s.charCodeAt(q);
      while (c === SP || c === TAB) c = s.charCodeAt(++q);
      const isMeta = q > p && (s.startsWith("HELP", q) || s.startsWith("TYPE", q));
      c = s.charCodeAt(q + 4);
      if (!isMeta || (c !== SP && c !== TAB)) {
        this.skipLine(); // any other comment
        return;
      }
      kind = s.startsWith("HELP", q) ? "HELP" : "TYPE";
      p = q + 4;
      while (c === SP || c === TAB) c = s.charCodeAt(++p);
    }
    const nameStart = p;
    const nameEnd = this.scanMetricName(p);
    if (nameEnd === p) this.fail(p, `expected a metric name after "# ${kind}"`);
    let lineEnd = s.indexOf("\n", nameEnd);
    if (lineEnd < 0) lineEnd = s.length;
    const c = s.charCodeAt(nameEnd);
    let textStart: number;
    if (this.om) {
      if (c !== SP) this.fail(nameEnd, `expected a space after the metric name in "# ${kind}"`);
      textStart = nameEnd + 1;
    } else if (nameEnd === lineEnd) {
      textStart = lineEnd;
    } else {
      if (c !== SP && c !== TAB) this.fail(nameEnd, `expected a blank after the metric name in "# ${kind}"`);
      textStart = nameEnd + 1; // Prometheus keeps anything after the first blank as the text
    }
    const name = s.slice(nameStart, nameEnd);
    if (kind === "TYPE") {
      const type = this.typeWord(textStart, lineEnd);
      const problem = this.table.declareType(name, type);
      if (problem !== undefined) this.fail(nameStart, problem, "metadata-duplicate");
    } else {
      this.declare(kind, name, kind === "HELP" ? unescape(s, textStart, lineEnd, this.om) : s.slice(textStart, lineEnd), nameStart, textStart);
    }
    if (this.rules !== undefined) {
      // After the end of the line is checked, before moving on to the next one.
      const lineNo = this.lineNo;
      const lineStart = this.lineStart;
      this.endLine(lineEnd);
      this.rules.meta(kind, this.table.named(name), this.numbered(lineNo), lineStart, nameStart);
      return;
    }
    this.endLine(lineEnd);
  }

  private typeWord(start: number, end: number): FamilyType {
    const s = this.s;
    let a = start;
    let b = end;
    if (!this.om) {
      while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === TAB)) a++;
      while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === TAB)) b--;
    }
    const word = s.slice(a, b);
    const type = (this.om ? OPENMETRICS_TYPES : TEXT_TYPES).get(word);
    if (type === undefined) {
      const allowed = [...(this.om ? OPENMETRICS_TYPES : TEXT_TYPES).keys()].join(", ");
      this.fail(a, `unknown metric type ${JSON.stringify(word)} (${this.om ? "OpenMetrics" : "text 0.0.4"} allows ${allowed})`, "type-unknown");
    }
    return type;
  }

  /** A HELP or UNIT line; a repeated line is reported at the name, a bad unit at the unit. */
  private declare(kind: "HELP" | "UNIT", name: string, value: string, at: number, valueAt: number): void {
    const f = this.table;
    const problem = kind === "HELP" ? f.declareHelp(name, value) : f.declareUnit(name, value);
    if (problem !== undefined) this.fail(problem.startsWith("second") ? at : valueAt, problem, problem.startsWith("second") ? "metadata-duplicate" : "unit-mismatch");
  }

  // ---- samples --------------------------------------------------------------------------------

  private scanMetricName(p: number): number {
    const s = this.s;
    const c = s.charCodeAt(p);
    if (!(c < 128 && (CLASS[c] & 1) !== 0)) return p;
    p++;
    while (isMetricChar(s.charCodeAt(p))) p++;
    return p;
  }

  private sample(start: number): void {
    const s = this.s;
    const om = this.om;
    let p = start;
    const nl = s.indexOf("\n", start);
    this.lineEnd = nl < 0 ? s.length : nl;
    let c: number;
    let name: string;
    let family: FamilyBuilder | undefined;
    let slot = -1;
    const prevLen = this.prevName.length;
    if (prevLen > 0 && this.sameText(this.prevNameAt, start, prevLen) && !isMetricChar(s.charCodeAt(start + prevLen))) {
      // Most lines repeat the previous line's metric name: one comparison, no hashing.
      name = this.prevName;
      p = start + prevLen;
      c = s.charCodeAt(p);
      if (this.prevGeneration === this.table.generation) family = this.prevFamily;
    } else {
      c = s.charCodeAt(p);
      if (!(c < 128 && (CLASS[c] & 1) !== 0)) this.fail(p, "expected a metric name, a comment or a blank line");
      let h = c;
      c = s.charCodeAt(++p);
      while (c < 128 && (CLASS[c] & 2) !== 0) {
        h = (Math.imul(h, 31) + c) | 0;
        c = s.charCodeAt(++p);
      }
      // The name and its family from the table, when this name was seen since the last TYPE line.
      slot = (h ^ (h >>> 13)) & this.mask;
      const known = this.names[slot];
      if (known !== undefined && known.length === p - start && this.sameText(this.namesAt[slot], start, p - start)) {
        name = known;
        if (this.nameGen[slot] === this.table.generation) family = this.nameFamily[slot];
      } else {
        name = s.slice(start, p);
        this.names[slot] = name;
        this.namesAt[slot] = start;
        this.nameGen[slot] = -1;
      }
    }
    const nameEnd = p;
    if (!om) while (c === SP || c === TAB) c = s.charCodeAt(++p);
    let labels: readonly string[] = EMPTY;
    let blank = p > nameEnd;
    const labelsAt = c === LBRACE ? p : -1;
    if (c === LBRACE) {
      p = this.labels(p + 1, true);
      if (this.pairCount > 0) labels = this.pairs.slice(0, this.pairCount);
      c = s.charCodeAt(p);
      blank = false;
    }
    // The value.
    if (om) {
      if (c !== SP) this.fail(p, "expected a space before the value");
      p++;
    } else {
      while (c === SP || c === TAB) {
        c = s.charCodeAt(++p);
        blank = true;
      }
      // Prometheus's lexer lets a value follow "}" directly; after a bare name it needs a blank.
      if (!blank && labels === EMPTY && s.charCodeAt(p - 1) !== RBRACE) this.fail(p, "expected a blank before the value");
    }
    const valueStart = p;
    p = this.tokenEnd(p);
    if (p === valueStart) this.fail(p, "expected a value");
    const value = scanFloat(s, valueStart, p);
    if (value === undefined) this.fail(valueStart, `invalid value ${JSON.stringify(s.slice(valueStart, p))}`, "value-invalid");
    let timestamp: number | undefined;
    let timestampAt = -1;
    let exemplar: Exemplar | undefined;
    c = s.charCodeAt(p);
    if (om) {
      if (c === SP && !s.startsWith(" # {", p)) {
        timestampAt = p + 1;
        p = this.tokenEnd(timestampAt);
        timestamp = this.secondsToMs(timestampAt, p, "timestamp");
        c = s.charCodeAt(p);
      }
      if (c === SP && s.startsWith(" # {", p)) {
        if (!this.table.exemplarAllowed(name, family)) {
          this.fail(p + 1, `exemplars belong on counter _total and histogram _bucket samples, not on ${name}`, "exemplar-placement");
        }
        this.exemplarAt = p + 1;
        exemplar = this.exemplar(p + 4);
        p = this.pos;
      }
    } else {
      let q = p;
      while (c === SP || c === TAB) c = s.charCodeAt(++q);
      // Milliseconds, digits only: Prometheus's lexer (promlex.l) has no sign for timestamps.
      if (q > p && c >= 48 && c <= 57) {
        p = this.tokenEnd(q);
        timestampAt = q;
        timestamp = scanInteger(s, q, p);
        if (timestamp === undefined) this.fail(q, `invalid timestamp ${JSON.stringify(s.slice(q, p))} (integer milliseconds)`, "timestamp-invalid");
      } else if (c === 45) {
        this.fail(q, "negative timestamp (Prometheus accepts digits only)", "timestamp-invalid");
      }
    }
    const lineNo = this.lineNo;
    const lineStart = this.lineStart;
    this.endLine(p);
    if (family === undefined) {
      family = this.table.resolve(name);
      if (slot >= 0) {
        this.nameFamily[slot] = family;
        this.nameGen[slot] = this.table.generation;
      }
    }
    this.prevName = name;
    this.prevNameAt = start;
    this.prevFamily = family;
    this.prevGeneration = this.table.generation;
    if (this.rules !== undefined && !this.checkLine(lineNo, lineStart, name, family, labels, labelsAt, valueStart, value, timestamp, timestampAt, exemplar)) return;
    // One object shape for every sample (absent fields are undefined): monomorphic for callers.
    const sample: ExpositionSample = { name, labels, value, timestamp, exemplar };
    family.samples.push(sample);
  }

  /** Hands a complete sample line to the rules; false when it is to be left out. */
  private checkLine(
    lineNo: number, lineStart: number, name: string, family: FamilyBuilder, labels: readonly string[],
    labelsAt: number, valueAt: number, value: number, timestamp: number | undefined, timestampAt: number, exemplar: Exemplar | undefined,
  ): boolean {
    const line = this.line as SampleLine;
    line.lineNo = this.numbered(lineNo);
    line.lineStart = lineStart;
    line.name = name;
    line.family = family;
    line.labels = labels;
    line.labelsAt = labelsAt;
    line.valueAt = valueAt;
    line.value = value;
    line.timestamp = timestamp;
    line.timestampAt = timestampAt;
    line.exactTimestamp = timestamp === undefined ? undefined : this.om ? this.lastSeconds : timestamp;
    line.exemplar = exemplar;
    line.exemplarAt = exemplar === undefined ? -1 : this.exemplarAt;
    return (this.rules as LineRules).sample(line);
  }

  /** End of a value or timestamp token: the next blank, newline or the end of the page. */
  private tokenEnd(p: number): number {
    const s = this.s;
    const n = s.length;
    const tab = !this.om;
    for (; p < n; p++) {
      const c = s.charCodeAt(p);
      if (c === SP || c === NL || (tab && c === TAB)) break;
    }
    return p;
  }

  /**
   * OpenMetrics timestamps are float seconds; Prometheus stores `int64(ts * 1000)`, so do we, as
   * a double. Any finite value parses, as the spec requires ("timestamps" in the OpenMetrics
   * suite): beyond 2^53 ms (year 287,396) the double keeps 53 bits of it, and beyond the int64
   * range Prometheus cannot store it at all; remote-write encoding refuses a timestamp that is
   * not a safe integer (EncodeError timestamp-invalid), where Prometheus would refuse the sample.
   */
  private secondsToMs(start: number, end: number, what: string): number {
    const v = start === end ? undefined : scanFloat(this.s, start, end);
    if (v === undefined || !Number.isFinite(v)) {
      this.fail(start, `invalid ${what} ${JSON.stringify(this.s.slice(start, end))} (seconds)`, what === "timestamp" ? "timestamp-invalid" : "exemplar-invalid");
    }
    this.lastSeconds = v;
    const ms = Math.trunc(v * 1000);
    return ms === 0 ? 0 : ms; // never -0
  }

  /** An OpenMetrics exemplar, `p` just after ` # {`. Leaves `this.pos` at the end of it. */
  private exemplar(p: number): Exemplar {
    const s = this.s;
    p = this.labels(p, false);
    const labels = this.sortedPairs(this.pairs.slice(0, this.pairCount));
    if (s.charCodeAt(p) !== SP) this.fail(p, "expected a space before the exemplar value", "exemplar-invalid");
    const vs = p + 1;
    p = this.tokenEnd(vs);
    const value = vs === p ? undefined : scanFloat(s, vs, p);
    if (value === undefined) this.fail(vs, `invalid exemplar value ${JSON.stringify(s.slice(vs, p))}`, "exemplar-invalid");
    let timestamp: number | undefined;
    if (s.charCodeAt(p) === SP) {
      const ts = p + 1;
      p = this.tokenEnd(ts);
      const seconds = this.lastSeconds; // the sample's own timestamp, kept for the rules
      timestamp = this.secondsToMs(ts, p, "exemplar timestamp");
      this.lastSeconds = seconds;
    }
    this.pos = p;
    return timestamp === undefined ? { labels, value } : { labels, value, timestamp };
  }

  /** Pairs sorted by name in byte order (the wire `Exemplar.labels` contract). */
  private sortedPairs(a: string[]): string[] {
    const pairs: [string, string][] = [];
    for (let i = 0; i < a.length; i += 2) pairs.push([a[i], a[i + 1]]);
    pairs.sort((x, y) => compareUtf8(x[0], y[0]));
    const out: string[] = [];
    for (const [k, v] of pairs) out.push(k, v);
    return out;
  }

  /**
   * A label set, `p` just after `{`, into `this.pairs` (and, for a sample's own labels, their
   * offsets into `this.labelAt`); returns the position after `}`.
   * A trailing comma is allowed in text 0.0.4 (Prometheus's text parser accepts it).
   */
  private labels(p: number, sampleLabels: boolean): number {
    const s = this.s;
    const om = this.om;
    const out = this.pairs;
    let n = 0;
    for (;;) {
      let c = s.charCodeAt(p);
      if (!om) while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c === RBRACE) {
        this.pairCount = n;
        return p + 1;
      }
      const nameStart = p;
      if (!(c < 128 && (CLASS[c] & 4) !== 0)) this.fail(p, n === 0 ? "expected a label name or \"}\"" : "expected a label name");
      let h = c;
      c = s.charCodeAt(++p);
      while (c < 128 && (CLASS[c] & 8) !== 0) {
        h = (Math.imul(h, 31) + c) | 0;
        c = s.charCodeAt(++p);
      }
      const lname = this.intern(nameStart, p, h);
      if (!om) while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c !== EQ) this.fail(p, `expected "=" after the label name ${lname}`);
      c = s.charCodeAt(++p);
      if (!om) while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c !== QUOTE) this.fail(p, `expected a quoted value for the label ${lname}`);
      const vs = ++p;
      // The closing quote by a native search; a value holding a backslash (rare) is walked
      // char by char, as `\"` does not close it.
      let q = s.indexOf('"', vs);
      if (q < 0 || q > this.lineEnd) q = this.lineEnd;
      if (this.nextBackslash < vs) {
        const b = s.indexOf("\\", vs);
        this.nextBackslash = b < 0 ? s.length : b;
      }
      let value: string;
      if (this.nextBackslash < q) {
        p = this.escapedValueEnd(vs, lname);
        value = unescape(s, vs, p, true);
      } else {
        if (q === this.lineEnd) this.fail(vs - 1, `unterminated value of the label ${lname}`);
        p = q;
        // A label's value often repeats the one it had on the previous line with this label
        // (job, instance, pod, …): reuse that string rather than slicing a new one (less garbage).
        const slot = this.internSlot;
        const last = this.lastValue[slot];
        if (last !== undefined && last.length === p - vs && this.sameText(this.lastValueAt[slot], vs, p - vs)) value = last;
        else {
          value = s.slice(vs, p);
          this.lastValue[slot] = value;
          this.lastValueAt[slot] = vs;
        }
      }
      p++;
      if (lname === "__name__") this.fail(nameStart, "the label name __name__ is reserved for the metric name", "label-name-reserved");
      for (let k = 0; k < n; k += 2) {
        if (out[k] === lname) this.fail(nameStart, `duplicate label name ${lname}`, "label-duplicate");
      }
      if (n === out.length) out.push("", "");
      out[n] = lname;
      out[n + 1] = value;
      if (sampleLabels) this.labelAt[n >> 1] = nameStart; // not the exemplar's: the rules read the sample's
      n += 2;
      this.pairCount = n;
      c = s.charCodeAt(p);
      if (!om) while (c === SP || c === TAB) c = s.charCodeAt(++p);
      if (c === COMMA) {
        p++;
        // Text 0.0.4 allows a trailing comma; Prometheus's OpenMetrics parser does not.
        if (om && s.charCodeAt(p) === RBRACE) this.fail(p - 1, "trailing comma in a label set (OpenMetrics allows none)");
      } else if (c === RBRACE) return p + 1;
      else this.fail(p, "expected \",\" or \"}\" after a label value");
    }
  }

  /** End (the closing quote) of a label value holding backslash escapes. */
  private escapedValueEnd(vs: number, lname: string): number {
    const s = this.s;
    let p = vs;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === QUOTE) return p;
      if (c === BACKSLASH) {
        const d = s.charCodeAt(p + 1);
        if (d === NL || d !== d) break;
        p += 2;
      } else if (c === NL || c !== c) break;
      else p++;
    }
    return this.fail(vs - 1, `unterminated value of the label ${lname}`);
  }

  /**
   * True when the page holds the same text at `a` and `b` for `n` chars. Comparing the page with
   * itself keeps every `charCodeAt` on one flat string: comparing against the (sliced) interned
   * string, or with `startsWith(str, pos)`, measured 2-3× slower here (V8 in Node 20).
   */
  private sameText(a: number, b: number, n: number): boolean {
    const s = this.s;
    for (let i = 0; i < n; i++) if (s.charCodeAt(a + i) !== s.charCodeAt(b + i)) return false;
    return true;
  }

  /**
   * `s[start, end)` as a string, reusing an earlier equal string when the direct-mapped table
   * slot for its hash holds one: label names and most label values repeat all over a page, so
   * this saves most of the slicing and the garbage it makes.
   */
  private intern(start: number, end: number, hash: number): string {
    const slot = (hash ^ (hash >>> 13)) & this.mask;
    this.internSlot = slot;
    const known = this.interned[slot];
    if (known !== undefined && known.length === end - start && this.sameText(this.internedAt[slot], start, end - start)) return known;
    const fresh = this.s.slice(start, end);
    this.lastValue[slot] = undefined; // the slot now names another label
    this.interned[slot] = fresh;
    this.internedAt[slot] = start;
    return fresh;
  }

}
