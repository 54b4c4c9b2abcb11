/**
 * Strict mode: the rules of OpenMetrics 1.0 (and of the text format 0.0.4) beyond the grammar,
 * checked line by line as the parser reads the page. The grammar is the parser's; what is here
 * is what the specs say about families, metrics, points and values:
 *
 * - OpenMetrics 1.0 ("Data Model", "Text format"): families and the metrics within them not
 *   interleaved, metadata before samples, no clashing names, the sample names, labels and values
 *   each type allows, histogram buckets (ordered, cumulative, closed by `+Inf`, `_count` equal to
 *   it, `_sum` with `_count`), timestamps of a metric increasing, exemplars of at most 128 code
 *   points within their bucket. The Python reference parser (prometheus_client 0.16) and the
 *   OpenMetrics parser suite decide where the spec's prose leaves room: equal timestamps are
 *   allowed (`duplicate_timestamps`), only `+Inf` must be written canonically in `le`.
 * - Text 0.0.4 (Prometheus "Exposition formats"): a family's lines together with HELP and TYPE
 *   first, each name and label set once, histogram buckets ordered and closed by `+Inf` equal to
 *   `_count`, summary quantiles ordered, no label names starting with `__`.
 *
 * Every refusal is a ParseError with the line, the column and a rule code. Rules about one line
 * are reported at once (in lenient mode that line is left out); rules about a whole histogram
 * point are reported when its family ends, at the line concerned.
 */

import type { ParseRule } from "../errors.ts";
import type { FamilyBuilder } from "./family-table.ts";
import { LabelSetTable } from "./label-set-table.ts";
import type { FamilyType } from "./model.ts";
import { parseErrorAt } from "./parse-error-at.ts";
import type { MetaKind, RuleSink, SampleLine } from "./scanner.ts";
import { scanFloat } from "./scan-number.ts";

/** OpenMetrics 1.0 "Suffixes": the sample names each type allows, as suffixes of the family name. */
const OM_SUFFIXES: Readonly<Record<FamilyType, readonly string[]>> = {
  counter: ["_total", "_created"],
  summary: ["", "_count", "_sum", "_created"],
  histogram: ["_bucket", "_count", "_sum", "_created"],
  gaugehistogram: ["_bucket", "_gcount", "_gsum"],
  info: ["_info"],
  gauge: [""],
  stateset: [""],
  unknown: [""],
};

/** Samples whose values are counts or sums: never NaN (OpenMetrics "Counter", "Histogram", "Summary"). */
const NO_NAN = new Set(["_total", "_sum", "_count", "_bucket", "_gcount", "_gsum"]);
/** …and never negative (a gauge histogram's `_gsum` may be). */
const NO_NEGATIVE = new Set(["_total", "_sum", "_count", "_bucket", "_gcount"]);
/** …and integers: "Count and bucket values MUST be integers". */
const INTEGER = new Set(["_bucket", "_count", "_gcount"]);

/** Where a line is, for reporting later. */
interface At {
  readonly lineNo: number;
  readonly lineStart: number;
  readonly at: number;
}

/** One histogram point (a metric's samples at one time) while its family is read. */
interface Point {
  /** Its time (exact), to tell when the metric moves on to its next point. */
  readonly time: number | undefined;
  lastLine: number;
  lastLineStart: number;
  hasBucket: boolean;
  le: number;
  leText: string;
  bucketValue: number;
  infValue: number | undefined;
  negativeBuckets: boolean;
  count?: At & { readonly value: number; readonly name: string };
  sum?: At;
  gsum?: At;
  negativeGsum?: At;
}

/** The family being read (families are not interleaved, so only one is open at a time). */
interface OpenFamily {
  readonly family: FamilyBuilder;
  readonly firstLine: number;
  hasSamples: boolean;
  /** The metric (group) of the previous sample line: its index, labels, line and time. */
  lastGroup: number;
  lastLabels: readonly string[];
  lastWithout: string | undefined;
  lastGroupLine: number;
  lastTimestamp: number | undefined;
  /** Histogram points not finished yet. */
  readonly points: Point[];
}

/** The label value of `name` in flat `labels`, or undefined. */
function labelValue(labels: readonly string[], name: string): string | undefined {
  for (let i = 0; i < labels.length; i += 2) if (labels[i] === name) return labels[i + 1];
  return undefined;
}

/** True when `a` and `b` hold the same labels in the same order, apart from the value of `without`. */
function sameExcept(a: readonly string[], b: readonly string[], without: string | undefined): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] !== b[i] || (a[i + 1] !== b[i + 1] && a[i] !== without)) return false;
  }
  return true;
}

/** The suffix of `name` after `family` among `allowed`, or undefined (no slicing). */
function suffixOf(name: string, family: string, allowed: readonly string[]): string | undefined {
  const extra = name.length - family.length;
  for (let k = 0; k < allowed.length; k++) {
    const suffix = allowed[k];
    if (suffix.length === extra && (extra === 0 || name.endsWith(suffix))) return suffix;
  }
  return undefined;
}

/** `{a="b",…}` for messages. */
function showLabels(labels: readonly string[], without?: string): string {
  const parts: string[] = [];
  for (let i = 0; i < labels.length; i += 2) if (labels[i] !== without) parts.push(`${labels[i]}=${JSON.stringify(labels[i + 1])}`);
  return `{${parts.join(",")}}`;
}

/** "a counter", "an info". */
function article(type: FamilyType): string {
  return `${type === "info" || type === "unknown" ? "an" : "a"} ${type}`;
}

/** Unicode code points in `s` (a surrogate pair is one). */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}

/** The strict rules of one page. */
export class StrictRules {
  private open: OpenFamily | undefined;
  /** Families whose lines have ended, with their first line (a line of one of them again is a split). */
  private readonly closed = new Map<FamilyBuilder, number>();
  /** OpenMetrics: every sample name a family of the page may use, and which family (clashes). */
  private readonly owned = new Map<string, { family: FamilyBuilder; line: number }>();
  /** Reported in this line already (one error per line is enough). */
  private lineFailed = false;
  /**
   * Metrics (label sets less `le`, `quantile` or the state label), named by their family, and
   * per metric its first line, its current histogram point and (text) its last quantile.
   */
  private readonly groups = new LabelSetTable(false);
  private readonly groupLine: number[] = [];
  private readonly pointOf: (Point | undefined)[] = [];
  private readonly lastQuantile: ({ q: number; text: string; line: number } | undefined)[] = [];

  constructor(
    private readonly page: string,
    private readonly om: boolean,
    private readonly sink: RuleSink,
  ) {}

  private report(lineNo: number, lineStart: number, at: number, reason: string, rule: ParseRule): void {
    this.lineFailed = true;
    this.sink.report(parseErrorAt(this.page, lineNo, lineStart, at, reason, rule));
  }

  // ---- families ---------------------------------------------------------------------------------

  /** The line belongs to `family`: opens it (closing the previous one) or finds it open. */
  private enter(family: FamilyBuilder, lineNo: number, lineStart: number, nameAt: number): OpenFamily {
    const open = this.open;
    if (open !== undefined && open.family === family) return open;
    if (open !== undefined) this.close(open);
    const earlier = this.closed.get(family);
    if (earlier !== undefined) {
      this.closed.delete(family);
      const between = open === undefined ? "" : ` after family ${open.family.name} (line ${open.firstLine})`;
      this.report(lineNo, lineStart, nameAt, `family ${family.name} (line ${earlier}) continues here${between}: the lines of a family must be together`, "family-split");
    } else if (this.om) {
      // OpenMetrics "Name": names beginning with an underscore are reserved.
      if (family.name.charCodeAt(0) === 95) {
        this.report(lineNo, lineStart, nameAt, `metric family names beginning with "_" are reserved (${family.name})`, "name-reserved");
      }
      this.claim(family.name, family, lineNo, lineStart, nameAt);
    }
    const next: OpenFamily = {
      family, firstLine: earlier ?? lineNo, hasSamples: false, lastGroup: -1, lastLabels: [], lastWithout: undefined,
      lastGroupLine: 0, lastTimestamp: undefined, points: [],
    };
    this.open = next;
    return next;
  }

  /** OpenMetrics "Suffixes": no family may use a sample name another family of the page may use. */
  private claim(name: string, family: FamilyBuilder, lineNo: number, lineStart: number, at: number): void {
    const other = this.owned.get(name);
    if (other !== undefined && other.family !== family) {
      const role = (f: FamilyBuilder): string => (f.name === name ? `the name of family ${f.name}` : `a sample name of ${article(f.type)} family ${f.name}`);
      this.report(lineNo, lineStart, at, `${name} is both ${role(family)} and ${role(other.family)} (line ${other.line}): names must not clash`, "name-clash");
      return;
    }
    this.owned.set(name, { family, line: lineNo });
  }

  meta(kind: MetaKind, family: FamilyBuilder, lineNo: number, lineStart: number, nameAt: number): void {
    this.lineFailed = false;
    const open = this.enter(family, lineNo, lineStart, nameAt);
    if (this.lineFailed) return;
    if (open.hasSamples) {
      this.report(lineNo, lineStart, nameAt, `# ${kind} ${family.name} after its samples: a family's metadata comes before its samples`, "metadata-after-samples");
      return;
    }
    if (!this.om) return;
    if (kind === "TYPE") {
      for (const suffix of OM_SUFFIXES[family.type]) {
        if (suffix !== "") this.claim(family.name + suffix, family, lineNo, lineStart, nameAt);
      }
    }
    // OpenMetrics "StateSet", "Info": their families have no unit.
    if ((kind === "TYPE" || kind === "UNIT") && (family.type === "info" || family.type === "stateset") && family.unit !== undefined && family.unit !== "") {
      this.report(lineNo, lineStart, nameAt, `${article(family.type)} family has no unit (${family.name} has unit ${JSON.stringify(family.unit)})`, "unit-type");
    }
  }

  end(): void {
    if (this.open !== undefined) this.close(this.open);
    this.open = undefined;
  }

  private close(open: OpenFamily): void {
    this.closed.set(open.family, open.firstLine);
    for (const point of open.points) this.finishPoint(open.family, point);
  }

  /**
   * The index of the metric `labels` (less `without`) of `family` belongs to, added when new.
   * Consecutive lines of one metric (histogram buckets, a summary's quantiles) skip the hashing.
   */
  private group(open: OpenFamily, labels: readonly string[], without: string | undefined, lineNo: number): number {
    if (open.lastGroup >= 0 && open.lastWithout === without && sameExcept(labels, open.lastLabels, without)) return open.lastGroup;
    const t = this.groups;
    const name = open.family.name;
    const hash = t.hash(name, labels, without);
    const k = t.find(name, labels, without, hash);
    if (k >= 0) return k;
    this.groupLine.push(lineNo);
    return t.add(name, labels, without, hash);
  }

  // ---- samples ----------------------------------------------------------------------------------

  /** Checks one sample line; false when it broke a rule of its own. */
  sample(line: SampleLine): boolean {
    this.lineFailed = false;
    const open = this.enter(line.family, line.lineNo, line.lineStart, line.lineStart);
    open.hasSamples = true;
    if (this.lineFailed) return false;
    if (this.om) this.openMetricsSample(open, line);
    else this.textSample(open, line);
    return !this.lineFailed;
  }

  private fail(line: SampleLine, at: number, reason: string, rule: ParseRule): void {
    this.report(line.lineNo, line.lineStart, at, reason, rule);
  }

  /** Offset of the label `name` in the line, else of the label set, else of the name. */
  private labelAt(line: SampleLine, name: string): number {
    for (let i = 0; i < line.labels.length; i += 2) if (line.labels[i] === name) return line.labelAt[i >> 1];
    return line.labelsAt >= 0 ? line.labelsAt : line.lineStart;
  }

  private openMetricsSample(open: OpenFamily, line: SampleLine): void {
    const f = line.family;
    const type = f.type;
    const labels = line.labels;
    // Sample names: each type has its own (a counter family `a` has `a_total` and `a_created`).
    const suffix = suffixOf(line.name, f.name, OM_SUFFIXES[type]);
    if (suffix === undefined) {
      const allowed = OM_SUFFIXES[type].map((x) => f.name + x).join(", ");
      return this.fail(line, line.lineStart, `${article(type)} family ${f.name} has samples named ${allowed}, not ${line.name}`, "sample-name");
    }
    for (let i = 0; i < labels.length; i += 2) {
      if (labels[i].charCodeAt(0) === 95) {
        return this.fail(line, line.labelAt[i >> 1], `label names beginning with "_" are reserved (${labels[i]})`, "label-name-reserved");
      }
    }
    // Values.
    const v = line.value;
    if (NO_NAN.has(suffix) && v !== v) return this.fail(line, line.valueAt, `${line.name} is a count or a sum: it cannot be NaN`, "value-nan");
    if (NO_NEGATIVE.has(suffix) && v < 0) return this.fail(line, line.valueAt, `${line.name} is a count or a sum: it cannot be negative (${v})`, "value-negative");
    if (INTEGER.has(suffix) && !Number.isInteger(v)) return this.fail(line, line.valueAt, `${line.name} is a count: it must be an integer (${v})`, "value-not-integer");
    if (type === "info" && v !== 1) return this.fail(line, line.valueAt, `an info sample's value is 1, not ${v}`, "info-value");
    if (type === "stateset" && v !== 0 && v !== 1) return this.fail(line, line.valueAt, `a stateset sample's value is 0 or 1, not ${v}`, "stateset-value");
    if (type === "summary" && suffix === "" && v < 0) return this.fail(line, line.valueAt, `a quantile's value cannot be negative (${v})`, "value-negative");
    // Labels each type requires or forbids, and the metric (label set) the sample belongs to.
    let without: string | undefined;
    let le = NaN;
    if (type === "histogram" || type === "gaugehistogram") {
      if (suffix === "_bucket") {
        const text = labelValue(labels, "le");
        le = text === undefined ? NaN : scanFloat(text, 0, text.length) ?? NaN;
        if (text === undefined || le !== le) {
          return this.fail(line, this.labelAt(line, "le"), text === undefined ? `${line.name} needs an "le" label` : `le=${JSON.stringify(text)} is not a number`, "bucket-le");
        }
        // "Exposers MUST produce output for positive infinity as +Inf."
        if (le === Infinity && text !== "+Inf") return this.fail(line, this.labelAt(line, "le"), `positive infinity is written le="+Inf", not le=${JSON.stringify(text)}`, "bucket-le");
        without = "le";
      } else if (labelValue(labels, "le") !== undefined) {
        return this.fail(line, this.labelAt(line, "le"), `only the _bucket samples of a ${type} have an "le" label, not ${line.name}`, "label-not-allowed");
      }
    } else if (type === "summary") {
      if (suffix === "") {
        const text = labelValue(labels, "quantile");
        const q = text === undefined ? NaN : scanFloat(text, 0, text.length) ?? NaN;
        if (!(q >= 0 && q <= 1)) {
          return this.fail(line, this.labelAt(line, "quantile"), text === undefined ? `a summary's ${line.name} sample needs a "quantile" label` : `quantile=${JSON.stringify(text)} is not a number from 0 to 1`, "quantile-label");
        }
        without = "quantile";
      } else if (labelValue(labels, "quantile") !== undefined) {
        return this.fail(line, this.labelAt(line, "quantile"), `only a summary's quantile samples have a "quantile" label, not ${line.name}`, "label-not-allowed");
      }
    } else if (type === "stateset") {
      if (labelValue(labels, f.name) === undefined) return this.fail(line, line.labelsAt >= 0 ? line.labelsAt : line.valueAt, `a stateset sample needs a label named ${f.name} (the state)`, "stateset-label");
      without = f.name;
    }
    // Metrics are not interleaved; within one, timestamps are all present or all absent, and
    // never go back ("MetricPoints MUST have monotonically increasing timestamps"; the suite
    // allows equal ones).
    const known = this.groups.size;
    const group = this.group(open, labels, without, line.lineNo);
    if (open.lastGroup >= 0 && group !== open.lastGroup) {
      if (group < known) {
        return this.fail(line, line.lineStart, `the metric ${f.name}${showLabels(labels, without)} (line ${this.groupLine[group]}) continues here after line ${open.lastGroupLine}: the lines of a metric must be together`, "group-split");
      }
    } else if (open.lastGroup >= 0) {
      const ts = line.exactTimestamp;
      if ((ts === undefined) !== (open.lastTimestamp === undefined)) {
        return this.fail(line, line.timestampAt >= 0 ? line.timestampAt : line.valueAt, `line ${open.lastGroupLine} of this metric ${open.lastTimestamp === undefined ? "has no" : "has a"} timestamp: a metric's samples all have one or none do`, "timestamp-mixed");
      }
      if (ts !== undefined && ts < (open.lastTimestamp as number)) {
        return this.fail(line, line.timestampAt, `timestamp ${ts} is before ${open.lastTimestamp} on line ${open.lastGroupLine}: a metric's timestamps must not go back`, "timestamp-order");
      }
    }
    open.lastGroup = group;
    open.lastLabels = labels;
    open.lastWithout = without;
    open.lastGroupLine = line.lineNo;
    open.lastTimestamp = line.exactTimestamp;
    // Exemplars: "MUST NOT exceed 128 UTF-8 character code points", and within their bucket.
    const e = line.exemplar;
    if (e !== undefined) {
      let n = 0;
      for (let i = 0; i < e.labels.length; i++) n += codePoints(e.labels[i]);
      if (n > 128) return this.fail(line, line.exemplarAt, `the exemplar's label names and values are ${n} code points long (at most 128)`, "exemplar-too-long");
      if (suffix === "_bucket" && e.value > le) return this.fail(line, line.exemplarAt, `the exemplar's value ${e.value} is above its bucket's le=${JSON.stringify(labelValue(labels, "le"))}`, "exemplar-out-of-bucket");
    }
    if (type === "histogram" || type === "gaugehistogram") this.histogramSample(open, line, suffix, group, le);
  }

  private textSample(open: OpenFamily, line: SampleLine): void {
    const f = line.family;
    const labels = line.labels;
    for (let i = 0; i < labels.length; i += 2) {
      if (labels[i].charCodeAt(0) === 95 && labels[i].charCodeAt(1) === 95) {
        return this.fail(line, line.labelAt[i >> 1], `label names beginning with "__" are reserved (${labels[i]})`, "label-name-reserved");
      }
    }
    const suffix = line.name.length === f.name.length ? "" : line.name.slice(f.name.length);
    if (f.type === "histogram") {
      let le = NaN;
      let without: string | undefined;
      if (suffix === "_bucket") {
        const text = labelValue(labels, "le");
        le = text === undefined ? NaN : scanFloat(text, 0, text.length) ?? NaN;
        if (text === undefined || le !== le) {
          return this.fail(line, this.labelAt(line, "le"), text === undefined ? `${line.name} needs an "le" label` : `le=${JSON.stringify(text)} is not a number`, "bucket-le");
        }
        without = "le";
      }
      const group = this.group(open, labels, without, line.lineNo);
      open.lastGroup = group;
      open.lastLabels = labels;
      open.lastWithout = without;
      this.histogramSample(open, line, suffix, group, le);
    } else if (f.type === "summary" && suffix === "") {
      const text = labelValue(labels, "quantile");
      const q = text === undefined ? NaN : scanFloat(text, 0, text.length) ?? NaN;
      if (!(q >= 0 && q <= 1)) {
        return this.fail(line, this.labelAt(line, "quantile"), text === undefined ? `a summary's ${line.name} sample needs a "quantile" label` : `quantile=${JSON.stringify(text)} is not a number from 0 to 1`, "quantile-label");
      }
      // "The quantiles of a summary must appear in increasing numerical order."
      const group = this.group(open, labels, "quantile", line.lineNo);
      open.lastGroup = group;
      open.lastLabels = labels;
      open.lastWithout = "quantile";
      const last = this.lastQuantile[group];
      if (last !== undefined && q <= last.q) {
        return this.fail(line, this.labelAt(line, "quantile"), `quantile=${JSON.stringify(text)} after quantile=${JSON.stringify(last.text)} (line ${last.line}): quantiles go in increasing order`, "quantile-order");
      }
      this.lastQuantile[group] = { q, text: text as string, line: line.lineNo };
    }
  }

  // ---- histograms -------------------------------------------------------------------------------

  private histogramSample(open: OpenFamily, line: SampleLine, suffix: string, group: number, le: number): void {
    const time = line.exactTimestamp;
    let point = this.pointOf[group];
    if (point !== undefined && point.time !== time) {
      // The metric's next point: the one before it is complete.
      open.points.splice(open.points.indexOf(point), 1);
      this.finishPoint(open.family, point);
      point = undefined;
    }
    if (point === undefined) {
      point = { time, lastLine: 0, lastLineStart: 0, hasBucket: false, le: -Infinity, leText: "", bucketValue: 0, infValue: undefined, negativeBuckets: false };
      this.pointOf[group] = point;
      open.points.push(point);
    }
    point.lastLine = line.lineNo;
    point.lastLineStart = line.lineStart;
    const v = line.value;
    if (suffix === "_bucket") {
      const leText = labelValue(line.labels, "le") as string;
      if (point.hasBucket && le <= point.le) {
        return this.fail(line, this.labelAt(line, "le"), `le=${JSON.stringify(leText)} after le=${JSON.stringify(point.leText)}: buckets go in increasing order of le`, "bucket-order");
      }
      if (point.hasBucket && v < point.bucketValue) {
        return this.fail(line, line.valueAt, `bucket le=${JSON.stringify(leText)} counts ${v}, fewer than the bucket before it (${point.bucketValue}): buckets are cumulative`, "bucket-not-cumulative");
      }
      point.hasBucket = true;
      point.le = le;
      point.leText = leText;
      point.bucketValue = v;
      if (le < 0) point.negativeBuckets = true;
      if (le === Infinity) point.infValue = v;
    } else if (suffix === "_count" || suffix === "_gcount") {
      point.count = { lineNo: line.lineNo, lineStart: line.lineStart, at: line.valueAt, value: v, name: line.name };
    } else if (suffix === "_sum") {
      point.sum = { lineNo: line.lineNo, lineStart: line.lineStart, at: line.lineStart };
    } else if (suffix === "_gsum") {
      point.gsum = { lineNo: line.lineNo, lineStart: line.lineStart, at: line.lineStart };
      if (v < 0) point.negativeGsum = { lineNo: line.lineNo, lineStart: line.lineStart, at: line.valueAt };
    }
  }

  /** The rules about a whole histogram point, reported at the line concerned. */
  private finishPoint(f: FamilyBuilder, p: Point): void {
    const report = (at: At, reason: string, rule: ParseRule): void => this.report(at.lineNo, at.lineStart, at.at, reason, rule);
    if (!p.hasBucket || p.le !== Infinity) {
      report({ lineNo: p.lastLine, lineStart: p.lastLineStart, at: p.lastLineStart }, p.hasBucket ? `the last bucket of this ${f.type} point is le=${JSON.stringify(p.leText)}: it needs a bucket le="+Inf"` : `this ${f.type} point has no buckets: it needs at least le="+Inf"`, "bucket-inf-missing");
      return;
    }
    if (p.count !== undefined && p.count.value !== p.infValue) {
      report(p.count, `${p.count.name} is ${p.count.value} but the le="+Inf" bucket counts ${p.infValue}: they must be equal`, "count-mismatch");
    }
    if (!this.om) return;
    const gauge = f.type === "gaugehistogram";
    const sum = gauge ? p.gsum : p.sum;
    const [sumName, countName] = gauge ? ["_gsum", "_gcount"] : ["_sum", "_count"];
    if (sum !== undefined && p.count === undefined) report(sum, `${f.name}${sumName} without ${f.name}${countName}: they come together`, "sum-count-pair");
    else if (sum === undefined && p.count !== undefined) report(p.count, `${p.count.name} without ${f.name}${sumName}: they come together`, "sum-count-pair");
    if (p.sum !== undefined && p.negativeBuckets) {
      report(p.sum, `a histogram with negative buckets has no ${f.name}_sum (it would not be a counter): use a gaugehistogram`, "histogram-sum");
    }
    if (p.negativeGsum !== undefined && !p.negativeBuckets) {
      report(p.negativeGsum, `${f.name}_gsum is negative but no bucket is: a negative sum needs negative buckets`, "histogram-sum");
    }
  }
}
