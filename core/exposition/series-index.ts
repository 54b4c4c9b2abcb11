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
 * Memory: a large page may have millions of samples, so the index keeps no key strings
 * (label-set-table.ts): per series, references to what the parsed sample keeps anyway.
 */

import { LabelSetTable } from "./label-set-table.ts";
import { parseErrorAt } from "./parse-error-at.ts";
import type { RuleSink, SampleLine } from "./scanner.ts";

/** Label pairs with a value, sorted by name: the series identity, for messages. */
function canonical(labels: readonly string[]): string[] {
  const idx: number[] = [];
  for (let i = 0; i < labels.length; i += 2) if (labels[i + 1] !== "") idx.push(i);
  idx.sort((a, b) => (labels[a] < labels[b] ? -1 : labels[a] > labels[b] ? 1 : 0));
  const out: string[] = [];
  for (const i of idx) out.push(labels[i], labels[i + 1]);
  return out;
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

/**
 * Why a second line of a series cannot be kept under `policy`, or undefined when it can: the end
 * of the message (after "is also on line N") and the rule. `firstLine` is the earlier line,
 * `before` and `now` the two lines' timestamps (ms; undefined: none).
 * @example seriesCollision("increasing", 3, undefined, undefined) // [", both without a timestamp: …", "duplicate-series"]
 */
export function seriesCollision(policy: SeriesPolicy, firstLine: number, before: number | undefined, now: number | undefined): [string, "duplicate-series" | "timestamp-order"] | undefined {
  if (policy === "once") return [": a text 0.0.4 page holds each name and label set once", "duplicate-series"];
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

export class SeriesIndex {
  private readonly table = new LabelSetTable(true);
  /** Per entry of the table: the line and timestamp of the series' last sample. */
  private readonly lines: number[] = [];
  private readonly times: (number | undefined)[] = [];

  constructor(
    private readonly page: string,
    private readonly policy: SeriesPolicy,
    private readonly sink: RuleSink,
  ) {}

  /** Records the line's series; false (after reporting) when the page already had it. */
  sample(line: SampleLine): boolean {
    const t = this.table;
    const hash = t.hash(line.name, line.labels);
    const k = t.find(line.name, line.labels, undefined, hash);
    if (k < 0) {
      t.add(line.name, line.labels, undefined, hash);
      this.lines.push(line.lineNo);
      this.times.push(line.timestamp);
      return true;
    }
    const problem = seriesCollision(this.policy, this.lines[k], this.times[k], line.timestamp);
    if (problem !== undefined) {
      this.sink.report(parseErrorAt(this.page, line.lineNo, line.lineStart, line.lineStart, `series ${showSeries(line.name, line.labels)} is also on line ${this.lines[k]}${problem[0]}`, problem[1]));
      return false;
    }
    // A later sample of the series: it is now the one to compare with.
    this.lines[k] = line.lineNo;
    this.times[k] = line.timestamp;
    return true;
  }
}
