/**
 * Serializers for both exposition formats, following client_golang's expfmt
 * (`MetricFamilyToText`, `MetricFamilyToOpenMetrics`): `# HELP` then `# TYPE` (then `# UNIT` in
 * OpenMetrics), sample lines as `name{label="value",…} value [timestamp]`, its escaping and number
 * formatting. Families and samples are written in the order given (`sort: true` orders families
 * by name, as client_golang's gatherer does). Native histograms cannot be written in either text
 * format and are left out; exemplars are OpenMetrics-only.
 */

import type { Exemplar, Labels } from "../wire/types.ts";
import { escapeHelpText, escapeLabelValue } from "./escape.ts";
import { formatOpenMetricsFloat, formatOpenMetricsTimestamp, formatTextFloat } from "./format-float.ts";
import type { ExpositionFormat } from "./parse.ts";
import type { FamilyType, MetricFamily } from "./model.ts";

/** Options of the serializers. */
export interface SerializeOptions {
  /** Write families sorted by name (byte order), as client_golang's `Gather` does. Default: as given. */
  readonly sort?: boolean;
}

/**
 * Text 0.0.4 has five type words; the OpenMetrics-only types are written as the text type
 * Prometheus treats them as (`info` and `stateset` are gauges of 1/0 values).
 */
const TEXT_TYPE_WORD: Readonly<Record<FamilyType, string>> = {
  counter: "counter",
  gauge: "gauge",
  histogram: "histogram",
  summary: "summary",
  unknown: "untyped",
  info: "gauge",
  stateset: "gauge",
  gaugehistogram: "histogram",
};

function ordered(families: readonly MetricFamily[], options: SerializeOptions): readonly MetricFamily[] {
  if (options.sort !== true) return families;
  return [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function labelSet(labels: Labels): string {
  if (labels.length === 0) return "";
  let out = "{";
  for (let i = 0; i < labels.length; i += 2) {
    if (i > 0) out += ",";
    out += `${labels[i]}="${escapeLabelValue(labels[i + 1])}"`;
  }
  return `${out}}`;
}

/**
 * The name text 0.0.4 gives a family on its HELP and TYPE lines: client_golang names a counter
 * by its sample name (`requests_total`), and an info family by `…_info`, so an OpenMetrics-style
 * family `requests` with samples `requests_total` is written as `requests_total`.
 */
function textFamilyName(f: MetricFamily): string {
  const suffix = f.type === "counter" ? "_total" : f.type === "info" ? "_info" : "";
  if (suffix === "" || f.name.endsWith(suffix)) return f.name;
  const full = f.name + suffix;
  let sawFull = false;
  for (const s of f.samples) {
    if (s.name === f.name) return f.name;
    if (s.name === full) sawFull = true;
  }
  return sawFull ? full : f.name;
}

/**
 * Render families as a Prometheus text 0.0.4 page (`text/plain; version=0.0.4`), what a
 * `/metrics` endpoint serves and what the Pushgateway accepts. The page ends with a newline.
 *
 * @example
 * serializeText([{ name: "up", type: "gauge", help: "Target up.", samples: [{ name: "up", labels: ["job", "api"], value: 1 }] }]);
 * // '# HELP up Target up.\n# TYPE up gauge\nup{job="api"} 1\n'
 */
export function serializeText(families: readonly MetricFamily[], options: SerializeOptions = {}): string {
  let out = "";
  for (const f of ordered(families, options)) {
    const name = textFamilyName(f);
    if (f.help !== undefined) out += `# HELP ${name} ${escapeHelpText(f.help)}\n`;
    out += `# TYPE ${name} ${TEXT_TYPE_WORD[f.type]}\n`;
    for (const s of f.samples) {
      out += `${s.name}${labelSet(s.labels)} ${formatTextFloat(s.value)}`;
      out += s.timestamp === undefined ? "\n" : ` ${s.timestamp}\n`;
    }
  }
  return out;
}

/**
 * OpenMetrics names a counter family without `_total` and an info family without `_info`, as
 * expfmt does, unless that name is taken by another family of the page (text pages often have
 * both a gauge `x_bytes` and a counter `x_bytes_total`; a second `# TYPE x_bytes` would clash).
 */
function openMetricsFamilyName(f: MetricFamily, taken: ReadonlySet<string>): string {
  const suffix = f.type === "counter" ? "_total" : f.type === "info" ? "_info" : "";
  if (suffix === "" || !f.name.endsWith(suffix)) return f.name;
  const short = f.name.slice(0, -suffix.length);
  return taken.has(short) ? f.name : short;
}

/**
 * Sample names whose values client_golang writes as integers in OpenMetrics (`writeUint` for
 * counts and cumulative bucket counts) rather than as floats with `.0`.
 */
function isCountSample(f: MetricFamily, name: string): boolean {
  if (f.type !== "histogram" && f.type !== "summary" && f.type !== "gaugehistogram") return false;
  const rest = name.startsWith(f.name) ? name.slice(f.name.length) : "";
  return rest === "_count" || rest === "_bucket" || rest === "_gcount";
}

function exemplarText(e: Exemplar): string {
  const ts = e.timestamp === undefined ? "" : ` ${formatOpenMetricsTimestamp(e.timestamp)}`;
  return ` # ${labelSet(e.labels) || "{}"} ${formatOpenMetricsFloat(e.value)}${ts}`;
}

/**
 * Render families as an OpenMetrics 1.0 page (`application/openmetrics-text; version=1.0.0`),
 * closed by `# EOF`. Timestamps are written as float seconds, exemplars after ` # `.
 *
 * @example
 * serializeOpenMetrics([{ name: "jobs", type: "counter", samples: [{ name: "jobs_total", labels: [], value: 3 }] }]);
 * // "# TYPE jobs counter\njobs_total 3.0\n# EOF\n"
 */
export function serializeOpenMetrics(families: readonly MetricFamily[], options: SerializeOptions = {}): string {
  let out = "";
  const taken = new Set(families.map((f) => f.name));
  for (const f of ordered(families, options)) {
    const name = openMetricsFamilyName(f, taken);
    if (f.help !== undefined) out += `# HELP ${name} ${escapeLabelValue(f.help)}\n`;
    out += `# TYPE ${name} ${f.type}\n`;
    if (f.unit !== undefined) out += `# UNIT ${name} ${f.unit}\n`;
    for (const s of f.samples) {
      const v = s.value;
      const value = Number.isSafeInteger(v) && v >= 0 && isCountSample(f, s.name) ? String(v) : formatOpenMetricsFloat(v);
      out += `${s.name}${labelSet(s.labels)} ${value}`;
      if (s.timestamp !== undefined) out += ` ${formatOpenMetricsTimestamp(s.timestamp)}`;
      out += s.exemplar === undefined ? "\n" : `${exemplarText(s.exemplar)}\n`;
    }
  }
  return `${out}# EOF\n`;
}

/**
 * Render families in either format.
 * @example serializeExposition(families, "openmetrics")
 */
export function serializeExposition(families: readonly MetricFamily[], format: ExpositionFormat, options: SerializeOptions = {}): string {
  return format === "openmetrics" ? serializeOpenMetrics(families, options) : serializeText(families, options);
}
