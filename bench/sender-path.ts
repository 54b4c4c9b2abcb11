/**
 * The sender path against the compiled reference: what one remote-write request costs from
 * series in memory to a snappy body, promwire next to `go-w1` (Prometheus's Go pipeline:
 * gogo-generated `prompb` Marshal + golang/snappy, GOMAXPROCS=1; see bench/go-reference.ts).
 *
 * Rows: W1 (10,000 series × 1 sample, 9 labels) v1 and v2 with unfrozen label arrays, W2
 * (1,000 × 100) v1, and the Registry path: 10,000 counter series with 8 labels (W1's label sets)
 * → `collect()` → `familiesToSeries` → encode v1 → snappy. Go has no v2 and no registry: those
 * rows are compared with Go's W1 figure, the same series sent as v1 from label pairs.
 *
 * Each row re-sends the same series, as a sender does (Go's row too: "the strings are shared"),
 * so promwire's encoder reuses what it can of the previous request (label bytes whose strings
 * are the same objects, v2 symbol ids). The "new label strings" rows show the cost without any
 * of that: each request's label strings are new objects with the same content.
 *
 * Fair interleaving: the same statistic on both sides, taken at the same times. Go's binary times
 * one round of `ops` requests per process (after a warm-up round of its own) and reports the
 * mean; promwire times a batch of `ops` requests per row and takes the mean. One round = one Go
 * process, then two untimed requests of every promwire row (Go's warm-up round has its match),
 * then one timed batch of every row, in an order rotated per round; so noise from the (shared,
 * 2-core) machine lands on both within seconds, and on no row more than another. The figure is
 * the median over rounds. Go runs while Node waits (spawnSync): they never compete for a core.
 */
import { readFileSync } from "node:fs";
import { familiesToSeries } from "../core/exposition/to-series.ts";
import { Counter, Registry } from "../core/metrics/index.ts";
import { WriteRequestEncoder } from "../core/wire/encode.ts";
import { compress, initSnappy, SnappyCompressor } from "../core/wire/snappy.ts";
import type { Series } from "../core/wire/types.ts";
import { type GoRound, goReferenceBinary, runGoRound } from "./go-reference.ts";
import { table } from "./harness.ts";
import { w1, w2 } from "./workloads.ts";

initSnappy(readFileSync(new URL("snappy_bg.wasm", import.meta.resolve("snappy-wasm"))));

const LABEL_NAMES = ["cluster", "container", "endpoint", "instance", "job", "method", "namespace", "pod"] as const;

/**
 * A registry holding W1's series as counters: one counter per W1 metric name (`_total` added
 * where missing), the 8 non-name labels of each W1 series as its label set, its value as the count.
 */
export function counterRegistry(series: readonly Series[]): Registry {
  const registry = new Registry();
  const counters = new Map<string, Counter<(typeof LABEL_NAMES)[number]>>();
  for (const s of series) {
    const l = s.labels;
    const name = l[1].endsWith("_total") ? l[1] : `${l[1]}_total`;
    let c = counters.get(name);
    if (c === undefined) {
      c = new Counter({ name, help: `W1 series named ${name}.`, labelNames: LABEL_NAMES, registry });
      counters.set(name, c);
    }
    const values: Record<string, string> = {};
    for (let i = 2; i < l.length; i += 2) values[l[i]] = l[i + 1];
    c.labels(values as Record<(typeof LABEL_NAMES)[number], string>).inc(s.samples?.[0]?.value ?? 1);
  }
  return registry;
}

interface Row {
  readonly name: string;
  /** Which Go figure this row is compared with. */
  readonly go: "w1" | "w2";
  readonly op: () => Uint8Array;
  readonly perRound: number[];
  bytes: number;
}

export interface SenderPathResult {
  readonly rounds: number;
  readonly ops: number;
  readonly goBinary: string | undefined;
  readonly rows: readonly { name: string; go: "w1" | "w2"; perRound: readonly number[]; bytes: number }[];
  readonly goRounds: readonly GoRound[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
};

export function runSenderPathBench(rounds = 9, ops = 10): SenderPathResult {
  const W1 = w1();
  const W2 = w2();
  const registry = counterRegistry(W1);
  // One writer's reusable state per row: encoder and output buffers kept between requests, as in
  // Go's "reused bufs" row.
  const encoders = Array.from({ length: 6 }, () => new WriteRequestEncoder());
  const compressors = Array.from({ length: 6 }, () => new SnappyCompressor());
  // Same content as W1, every string a distinct object (JSON round trip: flat strings).
  const W1a = JSON.parse(JSON.stringify(W1)) as Series[];
  const W1b = JSON.parse(JSON.stringify(W1)) as Series[];
  let turn = 0;
  const extra = new WriteRequestEncoder();
  const row = (name: string, go: "w1" | "w2", op: () => Uint8Array): Row => ({ name, go, op, perRound: [], bytes: 0 });
  const rows: Row[] = [
    row("W1 v1 (10k series × 1 sample)", "w1", () => compressors[0].compressView(encoders[0].encodeView(W1, { version: "v1" }))),
    row("W1 v2", "w1", () => compressors[1].compressView(encoders[1].encodeView(W1, { version: "v2" }))),
    row("W2 v1 (1k series × 100 samples)", "w2", () => compressors[2].compressView(encoders[2].encodeView(W2, { version: "v1" }))),
    row("Registry 10k counters, 8 labels, v1", "w1", () => {
      const { series, metadata } = familiesToSeries(registry.collect());
      return compressors[3].compressView(encoders[3].encodeView(series, { version: "v1", metadata }));
    }),
    // For comparison: W1 whose label strings are new objects in every request (two copies
    // sent in turn), so nothing of the previous request is reused: every label is encoded.
    row("W1 v1, new label strings each request", "w1", () => compressors[4].compressView(encoders[4].encodeView(turn++ % 2 === 0 ? W1a : W1b, { version: "v1" }))),
    row("W1 v2, new label strings each request", "w1", () => compressors[5].compressView(encoders[5].encodeView(turn++ % 2 === 0 ? W1a : W1b, { version: "v2" }))),
    // And snappy output in a fresh array per request (`compress()`), what a caller that keeps
    // each body (a retry queue) pays.
    row("W1 v1, fresh output array", "w1", () => compress(extra.encodeView(W1, { version: "v1" }))),
  ];
  const only = process.env.BENCH_ONLY === undefined ? undefined : new RegExp(process.env.BENCH_ONLY);
  if (only !== undefined) rows.splice(0, rows.length, ...rows.filter((r) => only.test(r.name)));
  // Warm-up: the optimising compiler's work happens here, not in round 1.
  for (const row of rows) {
    row.bytes = row.op().length;
    for (let i = 0; i < 2 * ops; i++) row.op();
  }
  const bin = goReferenceBinary();
  const goRounds: GoRound[] = [];
  for (let r = 0; r < rounds; r++) {
    if (bin !== undefined) {
      goRounds.push(runGoRound(bin, ops));
      // Go warms up before its timed round in every process; promwire gets the same after each
      // Go process (which left the caches cold and the heap with spawnSync's garbage): untimed.
      for (const row of rows) for (let i = 0; i < 2; i++) row.op();
    }
    // Rotate the order, so that no row is always the one right after Go.
    for (let k = 0; k < rows.length; k++) {
      const row = rows[(k + r) % rows.length];
      const t0 = performance.now();
      for (let i = 0; i < ops; i++) row.op();
      row.perRound.push((performance.now() - t0) / ops);
    }
  }
  return { rounds, ops, goBinary: bin, rows, goRounds };
}

export function printSenderPathTable(res: SenderPathResult): string {
  const go = res.goRounds.length > 0;
  const goMs = (which: "w1" | "w2"): number => median(res.goRounds.map((g) => g[which]));
  const goBytes = (which: "w1" | "w2"): number => (which === "w1" ? res.goRounds[0].w1Bytes : res.goRounds[0].w2Bytes);
  const head = go
    ? `sender path (series → snappy body) against the compiled reference ${res.goBinary} (GOMAXPROCS=1), ` +
      `${res.rounds} interleaved rounds × ${res.ops} requests, median of round means (p25–p75 in brackets)`
    : `sender path (series → snappy body), ${res.rounds} rounds × ${res.ops} requests, median of round means ` +
      "(set PROMWIRE_BENCH_GO to a built go-w1 binary to add the compiled reference and ratios)";
  const spread = (xs: readonly number[]): string => `${median(xs).toFixed(2)} [${quantile(xs, 0.25).toFixed(1)}–${quantile(xs, 0.75).toFixed(1)}]`;
  const header = go
    ? ["path", "promwire ms", "Go ms", "promwire ÷ Go", "Go figure", "bytes promwire", "bytes Go"]
    : ["path", "promwire ms", "bytes promwire"];
  const body = res.rows.map((r) => {
    if (!go) return [r.name, spread(r.perRound), String(r.bytes)];
    const goRow = res.goRounds.map((g) => g[r.go]);
    return [
      r.name,
      spread(r.perRound),
      spread(goRow),
      `${(median(r.perRound) / goMs(r.go)).toFixed(2)}×`,
      r.go === "w1" ? "W1 v1" : "W2 v1",
      String(r.bytes),
      String(goBytes(r.go)),
    ];
  });
  return [head, table(header, body), ""].join("\n");
}

// Run alone as `node scripts/run-ts.mjs bench/sender-path.ts` (bundled to .cache/run-ts/sender-path.mjs).
if (/[/\\]sender-path\.mjs$/.test(process.argv[1] ?? "")) {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
  console.log(printSenderPathTable(runSenderPathBench(rounds)));
}
