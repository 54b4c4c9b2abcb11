/**
 * The series of a whole page, to refuse a page that gives one series twice when the page is
 * parsed chunk by chunk (chunked-page.ts): a chunk's own parse sees only its own lines. Same
 * policies and messages as the parser's `uniqueSeries` (core/exposition/series-index.ts), on
 * the series as they will be sent, `--label` external labels merged in (a line's own label
 * wins, even an empty one: to-series.ts), so that `x{job="a"}` and `x` with `--label job=a`
 * are one series too.
 *
 * Memory: the index outlives every chunk, so it keeps no strings (a label value is a slice of
 * its chunk's text and would keep the chunk alive). Per series: two independent 32-bit hashes
 * of its label set, the page line of its last sample, and only when needed its last timestamp
 * and which external labels it took; an open-addressing table of typed arrays, at most 70 % full:
 * 12-17 bytes a slot, about 20 MB for a million series. Two series are taken for one when both
 * hashes agree: for n series, a chance of about n² / 2^65 that two different series do by
 * accident (a million series: 3 in 10^8), and then the page is refused with both lines named.
 */

import type { SampleLine } from "../core/exposition/scanner.ts";
import type { SampleHook } from "../core/exposition/parse.ts";
import { parseErrorAt } from "../core/exposition/parse-error-at.ts";
import { seriesCollision, showSeries, type SeriesPolicy } from "../core/exposition/series-index.ts";

/** MurmurHash3's finaliser: every input bit reaches every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Two independent hashes of a string, set by {@link hashString} (no allocation per call). */
let hashA = 0;
let hashB = 0;

/** FNV-1a and a multiply-xorshift over the char codes, seeded apart (names and values differ). */
function hashString(s: string, seed: number): void {
  let a = 0x811c9dc5 ^ seed;
  let b = 0x2545f491 + seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  hashA = fmix(a ^ s.length);
  hashB = fmix(b + s.length);
}

const NAME_SEED = 0x3c6ef372;
const LABEL_NAME_SEED = 0x1b873593;
const LABEL_VALUE_SEED = 0x68e31da4;

/** The hashes of one label pair, order-sensitive within the pair, into {@link pairA}/{@link pairB}. */
let pairA = 0;
let pairB = 0;
function hashPair(name: string, value: string): void {
  hashString(name, LABEL_NAME_SEED);
  const na = hashA;
  const nb = hashB;
  hashString(value, LABEL_VALUE_SEED);
  pairA = fmix((Math.imul(na, 0x9e3779b1) + hashA) | 0);
  pairB = fmix(Math.imul(nb ^ 0x7feb352d, 0x846ca68b) ^ hashB);
}

/** Starting size (slots): small pages stay small. */
const INITIAL_SLOTS = 1 << 12;

/** Why a line cannot be kept: the reason (for a ParseError on that line) and the rule. */
export interface SeriesProblem {
  readonly reason: string;
  readonly rule: "duplicate-series" | "timestamp-order";
}

/** One page's series under one policy and one set of external labels. */
export class PageSeriesIndex {
  private slots = INITIAL_SLOTS;
  private count = 0;
  private hash1 = new Int32Array(INITIAL_SLOTS);
  private hash2 = new Int32Array(INITIAL_SLOTS);
  /** Page line of the series' last sample; 0: an empty slot. */
  private line = new Uint32Array(INITIAL_SLOTS);
  /** Last timestamp (ms; NaN: none), from the first line that has one. */
  private time: Float64Array | undefined;
  /** External labels the series took (bit j: the j-th; 31 and beyond share bit 31). */
  private took: Uint32Array | undefined;
  /** External labels: names, values, and the hashes of each pair. */
  private readonly extNames: string[] = [];
  private readonly extValues: string[] = [];
  private readonly extA: number[] = [];
  private readonly extB: number[] = [];
  /** Set by {@link hashLine}: the series' hashes and the external labels it took. */
  private lineA = 0;
  private lineB = 0;
  private lineTook = 0;

  /** `externalLabels`: merged into each series as `write --label` does; `{}` for the page's own series. */
  constructor(
    private readonly policy: SeriesPolicy,
    externalLabels: Readonly<Record<string, string>>,
  ) {
    for (const [name, value] of Object.entries(externalLabels)) {
      this.extNames.push(name);
      this.extValues.push(value);
      hashPair(name, value);
      this.extA.push(pairA);
      this.extB.push(pairB);
    }
    if (this.extNames.length > 0) this.took = new Uint32Array(INITIAL_SLOTS);
  }

  /** Series recorded. */
  get size(): number {
    return this.count;
  }

  /**
   * Record the sample line's series, numbered `pageLine` in the page; returns why it cannot be
   * kept when the page already had the series (the index is then left as it was).
   */
  add(line: SampleLine, pageLine: number): SeriesProblem | undefined {
    this.hashLine(line.name, line.labels);
    const h1 = this.lineA;
    const h2 = this.lineB;
    const mask = this.slots - 1;
    let i = h1 & mask;
    for (; this.line[i] !== 0; i = (i + 1) & mask) {
      if (this.hash1[i] !== h1 || this.hash2[i] !== h2) continue;
      const earlier = this.line[i];
      const before = this.time === undefined || Number.isNaN(this.time[i]) ? undefined : this.time[i];
      const problem = seriesCollision(this.policy, earlier, before, line.timestamp);
      if (problem !== undefined) {
        // Different lines that became one series only with the external labels: say so.
        const merged = this.took !== undefined && this.took[i] !== this.lineTook;
        return { reason: `series ${showSeries(line.name, this.sentLabels(line.labels))} is also on line ${earlier}${merged ? " once the --label labels are added" : ""}${problem[0]}`, rule: problem[1] };
      }
      // A later sample of the series: it is now the one to compare with.
      this.line[i] = pageLine;
      this.setTime(i, line.timestamp);
      if (this.took !== undefined) this.took[i] = this.lineTook;
      return undefined;
    }
    this.hash1[i] = h1;
    this.hash2[i] = h2;
    this.line[i] = pageLine;
    this.setTime(i, line.timestamp);
    if (this.took !== undefined) this.took[i] = this.lineTook;
    if (++this.count * 10 > this.slots * 7) this.grow();
    return undefined;
  }

  /** The label set's two hashes, in any label order, empty values left out, external labels in. */
  private hashLine(name: string, labels: readonly string[]): void {
    let sumA = 0;
    let sumB = 0;
    let pairs = 0;
    for (let i = 0; i < labels.length; i += 2) {
      if (labels[i + 1] === "") continue;
      hashPair(labels[i], labels[i + 1]);
      sumA = (sumA + pairA) | 0;
      sumB = (sumB + pairB) | 0;
      pairs++;
    }
    let took = 0;
    const ext = this.extNames;
    outer: for (let j = 0; j < ext.length; j++) {
      for (let i = 0; i < labels.length; i += 2) if (labels[i] === ext[j]) continue outer;
      if (this.extValues[j] === "") continue;
      sumA = (sumA + this.extA[j]) | 0;
      sumB = (sumB + this.extB[j]) | 0;
      pairs++;
      took |= 1 << Math.min(j, 31);
    }
    hashString(name, NAME_SEED);
    this.lineA = fmix((sumA ^ Math.imul(hashA, 0xcc9e2d51)) + pairs);
    this.lineB = fmix((sumB + Math.imul(hashB, 0x1b873593)) ^ Math.imul(pairs, 0xe6546b64));
    this.lineTook = took;
  }

  /** The line's labels with the external labels it takes, for the message. */
  private sentLabels(labels: readonly string[]): string[] {
    const out = [...labels];
    outer: for (let j = 0; j < this.extNames.length; j++) {
      for (let i = 0; i < labels.length; i += 2) if (labels[i] === this.extNames[j]) continue outer;
      out.push(this.extNames[j], this.extValues[j]);
    }
    return out;
  }

  private setTime(i: number, t: number | undefined): void {
    if (t === undefined) {
      if (this.time !== undefined) this.time[i] = Number.NaN;
      return;
    }
    if (this.time === undefined) this.time = new Float64Array(this.slots).fill(Number.NaN);
    this.time[i] = t;
  }

  private grow(): void {
    const { hash1, hash2, line, time, took } = this;
    const slots = this.slots * 2;
    const mask = slots - 1;
    this.slots = slots;
    this.hash1 = new Int32Array(slots);
    this.hash2 = new Int32Array(slots);
    this.line = new Uint32Array(slots);
    this.time = time === undefined ? undefined : new Float64Array(slots).fill(Number.NaN);
    this.took = took === undefined ? undefined : new Uint32Array(slots);
    for (let k = 0; k < line.length; k++) {
      if (line[k] === 0) continue;
      let i = hash1[k] & mask;
      while (this.line[i] !== 0) i = (i + 1) & mask;
      this.hash1[i] = hash1[k];
      this.hash2[i] = hash2[k];
      this.line[i] = line[k];
      if (time !== undefined) (this.time as Float64Array)[i] = time[k];
      if (took !== undefined) (this.took as Uint32Array)[i] = took[k];
    }
  }
}

/**
 * The series checks of one page, for `write` and `encode`: the page's series as sent (external
 * labels merged) may repeat only with later timestamps ("increasing"); with `--strict` on a text
 * 0.0.4 page, the page's own series (as written) only once, as that format's spec says.
 * @example
 * const check = new PageSeriesCheck({ strict: false, om: false, externalLabels: { job: "a" } });
 * parseWithHooks(chunk.text, { format: "text" }, { onSample: check.hookFor(chunk.text), lineNumber: pageLineNumber(chunk) });
 */
export class PageSeriesCheck {
  private readonly indexes: PageSeriesIndex[] = [];

  constructor(options: { readonly strict: boolean; readonly om: boolean; readonly externalLabels: Readonly<Record<string, string>> }) {
    const once = options.strict && !options.om;
    const external = Object.keys(options.externalLabels).length > 0;
    if (once) this.indexes.push(new PageSeriesIndex("once", {}));
    // Without external labels the page's own series are the series sent: "once" covers both.
    if (!once || external) this.indexes.push(new PageSeriesIndex("increasing", options.externalLabels));
  }

  /** Series recorded (of the last index: the series as sent). */
  get size(): number {
    return this.indexes[this.indexes.length - 1].size;
  }

  /**
   * The `onSample` hook for the parse of `text`, a part of the page whose lines the parse numbers
   * as in the page: throws the `ParseError` for a line that repeats a series.
   */
  hookFor(text: string): SampleHook {
    const indexes = this.indexes;
    return (line) => {
      for (const index of indexes) {
        const problem = index.add(line, line.lineNo);
        if (problem !== undefined) throw parseErrorAt(text, line.lineNo, line.lineStart, line.lineStart, problem.reason, problem.rule);
      }
    };
  }
}
