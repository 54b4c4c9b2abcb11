/**
 * The series of a page, to refuse a page that gives one series two values a receiver cannot
 * both keep. A series is a sample name and its label set, in any order, where a label with an
 * empty value counts as absent (Prometheus stores `a{x=""}` as `a`). What a receiver does with
 * such a page differs and says nothing: Prometheus's scrape and promwire's remote write keep the
 * first value, a Pushgateway keeps the last. So, per policy:
 *
 * - `"once"` (text 0.0.4 strict: "Each line must have a unique combination of a metric name and
 *   labels"): a series appears on one line only.
 * - `"increasing"` (`uniqueSeries`): a series may appear again only with a later timestamp on
 *   both lines (a history of samples); without timestamps both lines are "now", with equal ones
 *   they collide, with an earlier one Prometheus refuses the sample as out of order.
 *
 * Memory: a large page may have millions of samples, so the index keeps no key strings. Each
 * series is hashed (order-independent over its labels) into a number; an entry holds references
 * to the name and label array the parsed sample keeps anyway. Equal hashes are compared label by
 * label, so a hash collision never refuses a page.
 */

import { parseErrorAt } from "./parse-error-at.ts";
import type { RuleSink, SampleLine } from "./parser.ts";

/** FNV-1a over `s`, continuing from `h`, with one of two offset bases. */
function fnv(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** Label pairs with a value, sorted by name: the series identity (for comparing and messages). */
function canonical(labels: readonly string[]): string[] {
  const idx: number[] = [];
  for (let i = 0; i < labels.length; i += 2) if (labels[i + 1] !== "") idx.push(i);
  idx.sort((a, b) => (labels[a] < labels[b] ? -1 : labels[a] > labels[b] ? 1 : 0));
  const out: string[] = [];
  for (const i of idx) out.push(labels[i], labels[i + 1]);
  return out;
}

function sameSeries(nameA: string, a: readonly string[], nameB: string, b: readonly string[]): boolean {
  if (nameA !== nameB) return false;
  const x = canonical(a);
  const y = canonical(b);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** `name{a="b",…}` for messages, cut to 200 characters. */
export function showSeries(name: string, labels: readonly string[]): string {
  const c = canonical(labels);
  const parts: string[] = [];
  for (let i = 0; i < c.length; i += 2) parts.push(`${c[i]}=${JSON.stringify(c[i + 1])}`);
  const s = parts.length === 0 ? name : `${name}{${parts.join(",")}}`;
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

export type SeriesPolicy = "once" | "increasing";

export class SeriesIndex {
  /** Hash → index of the last entry with that hash; `next` chains entries of equal hash. */
  private readonly byHash = new Map<number, number>();
  private readonly next: number[] = [];
  private readonly names: string[] = [];
  private readonly labels: (readonly string[])[] = [];
  private readonly lines: number[] = [];
  private readonly times: (number | undefined)[] = [];

  constructor(
    private readonly page: string,
    private readonly policy: SeriesPolicy,
    private readonly sink: RuleSink,
  ) {}

  /** Records the line's series; false (after reporting) when the page already had it. */
  sample(line: SampleLine): boolean {
    const labels = line.labels;
    // Order-independent: the pair hashes are summed and xored, each from its own hash of the pair.
    let sum = 0;
    let xor = 0;
    for (let i = 0; i < labels.length; i += 2) {
      if (labels[i + 1] === "") continue;
      const h = fnv(labels[i + 1], fnv(labels[i], 0x811c9dc5) ^ 0x3d);
      sum = (sum + h) | 0;
      xor ^= Math.imul(h, 0x9e3779b1);
    }
    const hn = fnv(line.name, 0x811c9dc5);
    // 53 bits: 32 from one mix, 21 from another.
    const key = ((Math.imul(hn, 31) + sum) >>> 0) * 0x200000 + ((hn ^ xor) & 0x1fffff);
    const head = this.byHash.get(key);
    for (let k = head ?? -1; k >= 0; k = this.next[k]) {
      if (!sameSeries(this.names[k], this.labels[k], line.name, labels)) continue;
      const problem = this.collision(this.lines[k], this.times[k], line.timestamp);
      if (problem !== undefined) {
        this.sink.report(parseErrorAt(this.page, line.lineNo, line.lineStart, line.lineStart, `series ${showSeries(line.name, labels)} is also on line ${this.lines[k]}${problem[0]}`, problem[1]));
        return false;
      }
      // A later sample of the series: it is now the one to compare with.
      this.lines[k] = line.lineNo;
      this.times[k] = line.timestamp;
      return true;
    }
    const index = this.names.length;
    this.names.push(line.name);
    this.labels.push(labels);
    this.lines.push(line.lineNo);
    this.times.push(line.timestamp);
    this.next.push(head ?? -1);
    this.byHash.set(key, index);
    return true;
  }

  /** Why a second line of a series cannot be kept, or undefined when it can. */
  private collision(firstLine: number, before: number | undefined, now: number | undefined): [string, "duplicate-series" | "timestamp-order"] | undefined {
    if (this.policy === "once") return [": a text 0.0.4 page holds each name and label set once", "duplicate-series"];
    if (before === undefined && now === undefined) {
      return [`, both without a timestamp: a receiver keeps only one of them (Prometheus the first, a Pushgateway the last)`, "duplicate-series"];
    }
    if (before === undefined || now === undefined) {
      return [`, and ${before === undefined ? `line ${firstLine}` : "this line"} has no timestamp (it gets the time of the send): give both lines a timestamp, or keep one`, "duplicate-series"];
    }
    if (now === before) return [` at the same time (${now} ms): a receiver keeps only one of them`, "duplicate-series"];
    if (now < before) return [` at ${before} ms, later than ${now} ms here: a series' samples go in time order (Prometheus refuses this one as out of order)`, "timestamp-order"];
    return undefined;
  }
}
