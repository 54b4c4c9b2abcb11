/**
 * Parse throughput: promwire's exposition parser against `parse-prometheus-text-format` (the
 * text parser npm offers), on the same ~2 MB page, in the same run, interleaved. Prints MB/s,
 * samples/s and the ratio, and what strict mode (`{ strict: true }`) costs over the default. The page is the two corpus pages (node_exporter 1.5, Prometheus 2.42) with every
 * series repeated for 24 pods, as a kube-style scrape of one big target looks.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseOpenMetrics, parseText } from "../core/exposition/parse.ts";
import { serializeOpenMetrics, serializeText } from "../core/exposition/serialize.ts";
import type { ExpositionSample, MetricFamily } from "../core/exposition/model.ts";
import { fmt, measure, table, type Measurement } from "./harness.ts";

const require = createRequire(import.meta.url);
const peerParse = require("parse-prometheus-text-format") as (text: string) => unknown[];

const CORPUS = ["node-exporter-1.5.prom", "prometheus-2.42.prom"];
const PODS = 28;

/**
 * A different value with as many significant digits as the original (an exporter's integers stay
 * integers, `5.2531e-05` stays five digits), so the page has the number shapes of real pages.
 */
function vary(v: number, pod: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  if (Number.isInteger(v)) return v + pod * 13;
  const digits = Math.min(17, v.toExponential().replace(/^-|e.*$|\./g, "").length);
  return Number((v * (1 + pod / 97)).toPrecision(digits));
}

/** The benchmark page's families: each corpus family with its series repeated per pod. */
export function benchFamilies(): MetricFamily[] {
  // Both pages have the Go runtime families: merge by name, told apart by a `job` label.
  const byName = new Map<string, MetricFamily & { samples: ExpositionSample[] }>();
  for (const file of CORPUS) {
    const text = readFileSync(new URL(`test/fixtures/corpus/${file}`, `file://${process.cwd()}/`), "utf8");
    const job = file.split("-")[0];
    for (const f of parseText(text)) {
      let family = byName.get(f.name);
      if (family === undefined) byName.set(f.name, (family = { ...f, samples: [] }));
      for (let pod = 0; pod < PODS; pod++) {
        for (const s of f.samples) {
          const labels = [...s.labels, "job", job, "pod", `api-7d9f${pod}c-x${pod * 7}q`];
          family.samples.push({ name: s.name, labels, value: pod === 0 ? s.value : vary(s.value, pod) });
        }
      }
    }
  }
  return [...byName.values()];
}

export interface ParseRow {
  readonly page: string;
  readonly name: string;
  readonly bytes: number;
  readonly samples: number;
  readonly m: Measurement;
  /** For a strict-mode row: the default-mode row of the same page. */
  readonly strictOf?: string;
}

/**
 * The families OpenMetrics can express: a text page may hold a gauge `x` and a counter
 * `x_total`, which OpenMetrics cannot both name (the counter family would be `x` too), so the
 * serializer keeps the counter as family `x_total`, which strict mode refuses (its samples would
 * be `x_total_total`). The OpenMetrics page leaves those few counters out.
 */
export function openMetricsFamilies(families: readonly MetricFamily[]): MetricFamily[] {
  const names = new Set(families.map((f) => f.name));
  return families.filter((f) => !(f.type === "counter" && f.name.endsWith("_total") && names.has(f.name.slice(0, -6))));
}

/**
 * Medians of interleaved measurements: `rounds` rounds, each measuring every function for its
 * share of the budget, so a slow phase of the machine hits all of them alike.
 */
function interleaved(fns: readonly (readonly [string, () => unknown])[], budgetMsEach: number, rounds = 3): Measurement[] {
  const runs = fns.map(() => [] as number[]);
  let total = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    const order = fns.map((_, i) => (r % 2 === 0 ? i : fns.length - 1 - i));
    for (const i of order) {
      const m = measure(fns[i][0], fns[i][1], budgetMsEach / rounds, 2);
      runs[i].push(m.medianMs);
      total = total.map((t, k) => (k === i ? t + m.runs : t));
    }
  }
  return fns.map(([name], i) => ({ name, medianMs: [...runs[i]].sort((a, b) => a - b)[runs[i].length >> 1], runs: total[i] }));
}

export function runParseBench(budgetMs = 1500): ParseRow[] {
  const families = benchFamilies();
  const omFamilies = openMetricsFamilies(families);
  // Through bytes, as a page read from the network or a file arrives: a flat string. (A string
  // concatenated in JavaScript is a rope, which every parser reads more slowly.)
  const asReceived = (page: string): string => new TextDecoder().decode(new TextEncoder().encode(page));
  const text = asReceived(serializeText(families));
  const om = asReceived(serializeOpenMetrics(omFamilies));
  const count = (fs: readonly MetricFamily[]): number => fs.reduce((n, f) => n + f.samples.length, 0);
  const samples = count(families);
  const omSamples = count(omFamilies);
  const bytes = (s: string): number => new TextEncoder().encode(s).length;
  const check = (got: number, want: number, name: string): void => {
    if (got !== want) throw new Error(`${name} returned ${got} samples, expected ${want}`);
  };
  const strict = { strict: true } as const;
  check(count(parseText(text)), samples, "parseText");
  check(count(parseText(text, strict)), samples, "parseText strict");
  check(count(parseOpenMetrics(om)), omSamples, "parseOpenMetrics");
  check(count(parseOpenMetrics(om, strict)), omSamples, "parseOpenMetrics strict");
  // Both formats share one scanner: warm it up on both before timing either, so that neither
  // measurement includes the optimising compiler's work for the other.
  for (let i = 0; i < 20; i++) {
    parseText(text);
    parseOpenMetrics(om);
    parseText(text, strict);
    parseOpenMetrics(om, strict);
  }
  const [t, peer, ts] = interleaved(
    [
      ["parseText", () => parseText(text)],
      ["peer", () => peerParse(text)],
      ["parseText strict", () => parseText(text, strict)],
    ],
    budgetMs,
  );
  const [o, os] = interleaved(
    [
      ["parseOpenMetrics", () => parseOpenMetrics(om)],
      ["parseOpenMetrics strict", () => parseOpenMetrics(om, strict)],
    ],
    budgetMs,
  );
  return [
    { page: "text", name: "promwire parseText", bytes: bytes(text), samples, m: t },
    { page: "text", name: "parse-prometheus-text-format", bytes: bytes(text), samples, m: peer },
    { page: "text", name: "promwire parseText { strict }", bytes: bytes(text), samples, m: ts, strictOf: "promwire parseText" },
    { page: "openmetrics", name: "promwire parseOpenMetrics", bytes: bytes(om), samples: omSamples, m: o },
    { page: "openmetrics", name: "promwire parseOpenMetrics { strict }", bytes: bytes(om), samples: omSamples, m: os, strictOf: "promwire parseOpenMetrics" },
  ];
}

export function printParseTable(rows: readonly ParseRow[]): string {
  const base = rows.find((r) => r.name === "parse-prometheus-text-format");
  const out = [`parse: ${(rows[0].bytes / 1e6).toFixed(2)} MB text page, ${rows[0].samples} samples, median of interleaved runs`];
  out.push(
    table(
      ["parser", "page", "ms/op", "MB/s", "samples/s", "× parse-prometheus-text-format", "strict cost"],
      rows.map((r) => {
        const plain = r.strictOf === undefined ? undefined : rows.find((x) => x.name === r.strictOf);
        return [
          r.name,
          r.page,
          r.m.medianMs.toFixed(2),
          (r.bytes / 1e6 / (r.m.medianMs / 1000)).toFixed(1),
          fmt(r.samples / (r.m.medianMs / 1000)),
          base === undefined ? "-" : (base.m.medianMs / r.m.medianMs).toFixed(1),
          plain === undefined ? "" : `${(r.m.medianMs / plain.m.medianMs).toFixed(2)}× default`,
        ];
      }),
    ),
  );
  return out.join("\n");
}

// Run alone as `node scripts/run-ts.mjs bench/parse.ts` (bundled to .cache/run-ts/parse.mjs);
// bench/main.ts imports runParseBench instead.
if (/[/\\]parse\.mjs$/.test(process.argv[1] ?? "")) {
  console.log(printParseTable(runParseBench(Number(process.env.BENCH_BUDGET_MS ?? 1500))));
}
