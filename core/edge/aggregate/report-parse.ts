/**
 * The aggregator's reading of a report batch: every field checked before anything is applied,
 * so a malformed or hostile body is refused as a whole (with a rule code and where it broke)
 * and never reaches the stored state. Labels come out canonical: sorted by name, empty values
 * dropped, names valid under the writer's name rules — what the remote-write encoder would
 * otherwise refuse at every alarm.
 */

import { compareUtf8, isValidLabelName, isValidMetricName, isWellFormed } from "../../wire/label-rules.ts";
import type { MetricType } from "../../wire/types.ts";
import { fromWireNumber, REPORT_FORMAT_VERSION } from "./report.ts";
import { emptySparse, SCHEMA_MAX, SCHEMA_MIN, type SparseHistogram } from "./sparse-histogram.ts";

/** Why a batch was refused. */
export type RefusalRule =
  | "method"
  | "content-type"
  | "too-large"
  | "not-json"
  | "version"
  | "isolate-invalid"
  | "shard-invalid"
  | "reports-invalid"
  | "family-invalid"
  | "series-invalid"
  | "labels-invalid"
  | "value-invalid"
  | "histogram-invalid"
  | "too-many-series";

/** A refusal: the rule and where (`reports[0].families[2].series[5].l`: …). */
export interface Refusal {
  readonly rule: RefusalRule;
  readonly detail: string;
}

/** How a series adds up. */
export type SeriesKind = "sum" | "last" | "native";

/** One checked series of a report. */
export interface ParsedSeries {
  /** Full labels: `__name__` and the rest, sorted by name, no empty values. */
  readonly labels: string[];
  readonly kind: SeriesKind;
  /** `sum`: the increment; `last`: the value. */
  readonly value: number;
  /** `last`: when it was set (isolate clock). */
  readonly t: number;
  readonly h?: SparseHistogram;
}

export interface ParsedFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help?: string;
  readonly unit?: string;
  readonly series: ParsedSeries[];
}

export interface ParsedReport {
  readonly seq: number;
  readonly families: ParsedFamily[];
}

export interface ParsedBatch {
  readonly isolate: string;
  readonly shard: number;
  readonly shards: number;
  readonly reports: ParsedReport[];
}

/** Limits of {@link parseBatch}. */
export interface ParseLimits {
  /** Series over all reports of a batch. */
  readonly maxSeries: number;
  readonly nameValidation: "legacy" | "utf8";
}

const TYPES: readonly string[] = ["unknown", "counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset"];
const MAX_REPORTS = 256;
const MAX_LABEL_PAIRS = 64;
const MAX_NAME_LENGTH = 1024;
const MAX_VALUE_LENGTH = 4096;
const MAX_TEXT_LENGTH = 8192;
const MAX_BUCKETS = 4096;

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.detail);
  }
}

function refuse(rule: RefusalRule, at: string, detail: string): never {
  throw new Refused({ rule, detail: `${at}: ${detail}` });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

function optionalText(v: unknown, at: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length > MAX_TEXT_LENGTH || !isWellFormed(v)) refuse("family-invalid", at, "must be a well-formed string of at most 8192 characters");
  return v;
}

/**
 * Check and canonicalise a batch, or say why it is refused. Never throws.
 *
 * @example
 * const r = parseBatch(await request.text(), { maxSeries: 100_000, nameValidation: "legacy" });
 * if ("rule" in r) return Response.json({ error: r.rule, detail: r.detail }, { status: 400 });
 */
export function parseBatch(text: string, limits: ParseLimits): ParsedBatch | Refusal {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { rule: "not-json", detail: e instanceof Error ? e.message : String(e) };
  }
  try {
    return readBatch(raw, limits);
  } catch (e) {
    if (e instanceof Refused) return e.refusal;
    return { rule: "reports-invalid", detail: e instanceof Error ? e.message : String(e) };
  }
}

function readBatch(raw: unknown, limits: ParseLimits): ParsedBatch {
  if (!isObject(raw)) refuse("version", "body", "must be a JSON object");
  if (raw.v !== REPORT_FORMAT_VERSION) refuse("version", "v", `must be ${REPORT_FORMAT_VERSION}, got ${JSON.stringify(raw.v)}`);
  const isolate = raw.isolate;
  if (typeof isolate !== "string" || !/^[0-9A-Za-z_-]{1,64}$/.test(isolate)) refuse("isolate-invalid", "isolate", "must be 1–64 characters [0-9A-Za-z_-]");
  const { shard, shards } = raw;
  if (!Number.isSafeInteger(shards) || (shards as number) < 1 || (shards as number) > 1024) refuse("shard-invalid", "shards", "must be an integer 1…1024");
  if (!Number.isSafeInteger(shard) || (shard as number) < 0 || (shard as number) >= (shards as number)) refuse("shard-invalid", "shard", "must be an integer 0…shards−1");
  if (!Array.isArray(raw.reports) || raw.reports.length === 0 || raw.reports.length > MAX_REPORTS) refuse("reports-invalid", "reports", `must be an array of 1…${MAX_REPORTS} reports`);
  const counter = { series: 0 };
  const reports: ParsedReport[] = [];
  let lastSeq = 0;
  raw.reports.forEach((r: unknown, i: number) => {
    const at = `reports[${i}]`;
    if (!isObject(r)) refuse("reports-invalid", at, "must be an object");
    if (!Number.isSafeInteger(r.seq) || (r.seq as number) <= lastSeq) refuse("reports-invalid", `${at}.seq`, "must be a positive integer, increasing within the batch");
    lastSeq = r.seq as number;
    if (typeof r.time !== "number" || !Number.isFinite(r.time)) refuse("reports-invalid", `${at}.time`, "must be a number (ms)");
    if (!Array.isArray(r.families)) refuse("reports-invalid", `${at}.families`, "must be an array");
    reports.push({ seq: lastSeq, families: r.families.map((f: unknown, j: number) => readFamily(f, `${at}.families[${j}]`, limits, counter)) });
  });
  return { isolate, shard: shard as number, shards: shards as number, reports };
}

function readFamily(f: unknown, at: string, limits: ParseLimits, counter: { series: number }): ParsedFamily {
  if (!isObject(f)) refuse("family-invalid", at, "must be an object");
  if (typeof f.name !== "string" || f.name.length > MAX_NAME_LENGTH || !isValidMetricName(f.name, limits.nameValidation)) refuse("family-invalid", `${at}.name`, "must be a valid metric name");
  if (typeof f.type !== "string" || !TYPES.includes(f.type)) refuse("family-invalid", `${at}.type`, `must be one of ${TYPES.join(", ")}`);
  const help = optionalText(f.help, `${at}.help`);
  const unit = optionalText(f.unit, `${at}.unit`);
  if (!Array.isArray(f.series)) refuse("family-invalid", `${at}.series`, "must be an array");
  counter.series += f.series.length;
  if (counter.series > limits.maxSeries) refuse("too-many-series", at, `more than ${limits.maxSeries} series in one batch`);
  const series = f.series.map((s: unknown, k: number) => readSeries(s, `${at}.series[${k}]`, limits));
  return { name: f.name, type: f.type as MetricType, ...(help === undefined ? {} : { help }), ...(unit === undefined ? {} : { unit }), series };
}

function readSeries(s: unknown, at: string, limits: ParseLimits): ParsedSeries {
  if (!isObject(s)) refuse("series-invalid", at, "must be an object");
  if (typeof s.n !== "string" || s.n.length > MAX_NAME_LENGTH || !isValidMetricName(s.n, limits.nameValidation)) refuse("series-invalid", `${at}.n`, "must be a valid metric name");
  const labels = readLabels(s.n, s.l, `${at}.l`, limits);
  const forms = (s.d !== undefined ? 1 : 0) + (s.g !== undefined ? 1 : 0) + (s.h !== undefined ? 1 : 0);
  if (forms !== 1) refuse("series-invalid", at, "must carry exactly one of d, g (with t) or h");
  if (s.d !== undefined) {
    const d = fromWireNumber(s.d);
    if (d === undefined) refuse("value-invalid", `${at}.d`, "must be a number, \"NaN\", \"+Inf\" or \"-Inf\"");
    return { labels, kind: "sum", value: d, t: 0 };
  }
  if (s.g !== undefined) {
    const g = fromWireNumber(s.g);
    if (g === undefined) refuse("value-invalid", `${at}.g`, "must be a number, \"NaN\", \"+Inf\" or \"-Inf\"");
    if (typeof s.t !== "number" || !Number.isFinite(s.t)) refuse("value-invalid", `${at}.t`, "must be a number (ms)");
    return { labels, kind: "last", value: g, t: s.t };
  }
  return { labels, kind: "native", value: 0, t: 0, h: readNative(s.h, `${at}.h`) };
}

function readLabels(name: string, l: unknown, at: string, limits: ParseLimits): string[] {
  if (!Array.isArray(l) || l.length % 2 !== 0 || l.length > 2 * MAX_LABEL_PAIRS) refuse("labels-invalid", at, `must be a flat [name, value, …] array of at most ${MAX_LABEL_PAIRS} pairs`);
  const pairs: [string, string][] = [["__name__", name]];
  const seen = new Set<string>(["__name__"]);
  for (let i = 0; i < l.length; i += 2) {
    const k: unknown = l[i];
    const v: unknown = l[i + 1];
    if (typeof k !== "string" || k.length > MAX_NAME_LENGTH || !isValidLabelName(k, limits.nameValidation)) refuse("labels-invalid", `${at}[${i}]`, "must be a valid label name");
    if (seen.has(k)) refuse("labels-invalid", `${at}[${i}]`, `label ${JSON.stringify(k)} appears twice (or is __name__)`);
    seen.add(k);
    if (typeof v !== "string" || v.length > MAX_VALUE_LENGTH || !isWellFormed(v)) refuse("labels-invalid", `${at}[${i + 1}]`, `must be a well-formed string of at most ${MAX_VALUE_LENGTH} characters`);
    if (v !== "") pairs.push([k, v]); // Prometheus treats an empty label as absent
  }
  pairs.sort((a, b) => compareUtf8(a[0], b[0]));
  return pairs.flat();
}

function readBuckets(v: unknown, at: string, into: Map<number, number>): void {
  if (v === undefined) return;
  if (!Array.isArray(v) || v.length % 2 !== 0 || v.length > 2 * MAX_BUCKETS) refuse("histogram-invalid", at, `must be a flat [key, count, …] array of at most ${MAX_BUCKETS} buckets`);
  let last = -Infinity;
  for (let i = 0; i < v.length; i += 2) {
    const k: unknown = v[i];
    const c: unknown = v[i + 1];
    if (!Number.isSafeInteger(k) || (k as number) <= last) refuse("histogram-invalid", `${at}[${i}]`, "bucket keys must be integers in increasing order");
    if (!isCount(c)) refuse("histogram-invalid", `${at}[${i + 1}]`, "bucket counts must be finite and not negative");
    last = k as number;
    if (c !== 0) into.set(k as number, c);
  }
}

function readNative(h: unknown, at: string): SparseHistogram {
  if (!isObject(h)) refuse("histogram-invalid", at, "must be an object");
  if (!Number.isInteger(h.s) || (h.s as number) < SCHEMA_MIN || (h.s as number) > SCHEMA_MAX) refuse("histogram-invalid", `${at}.s`, `schema must be an integer ${SCHEMA_MIN}…${SCHEMA_MAX}`);
  if (!isCount(h.z)) refuse("histogram-invalid", `${at}.z`, "zero threshold must be finite and not negative");
  if (!isCount(h.zc)) refuse("histogram-invalid", `${at}.zc`, "zero count must be finite and not negative");
  if (!isCount(h.c)) refuse("histogram-invalid", `${at}.c`, "count must be finite and not negative");
  const sum = fromWireNumber(h.sum);
  if (sum === undefined) refuse("histogram-invalid", `${at}.sum`, "must be a number, \"NaN\", \"+Inf\" or \"-Inf\"");
  const out = emptySparse(h.s as number, h.z);
  out.zeroCount = h.zc;
  out.count = h.c;
  out.sum = sum;
  readBuckets(h.p, `${at}.p`, out.positive);
  readBuckets(h.q, `${at}.q`, out.negative);
  return out;
}
