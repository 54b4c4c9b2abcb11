/**
 * Registry snapshot + encode: promwire's `registry.collect()` → `familiesToSeries` →
 * `encodeWriteRequest` → snappy, against prom-client's `registry.metrics()` text rendering of the
 * same metrics with the same values, in the same run. 10,000 series: a labelled counter (5,000
 * series), a labelled gauge (3,600) and a labelled classic histogram (100 children × 14 series).
 *
 * prom-client stops at text: a pusher would still have to parse it (or send it to a
 * Pushgateway). promwire's row includes everything up to the compressed remote-write body.
 */

import { readFileSync } from "node:fs";
import client from "prom-client";
import { familiesToSeries } from "../core/exposition/to-series.ts";
import { Counter, Gauge, Histogram, Registry } from "../core/metrics/index.ts";
import { WriteRequestEncoder } from "../core/wire/encode.ts";
import { compress, initSnappy } from "../core/wire/snappy.ts";
import type { ExpositionSample, MetricFamily } from "../core/exposition/model.ts";
import { compareUtf8 } from "../core/wire/label-rules.ts";
import type { Labels, MetricMetadata, ProtocolVersion, Series } from "../core/wire/types.ts";
import { fmt, table, type Measurement } from "./harness.ts";

initSnappy(readFileSync(new URL("snappy_bg.wasm", import.meta.resolve("snappy-wasm"))));

const ROUTES = Array.from({ length: 50 }, (_, i) => `/api/v1/resource${i}`);
const METHODS = ["GET", "POST", "PUT", "DELETE"];
const STATUSES = Array.from({ length: 25 }, (_, i) => String(200 + i * 10));
const QUEUES = Array.from({ length: 100 }, (_, i) => `queue-${i}`);
const SHARDS = Array.from({ length: 36 }, (_, i) => `s${i}`);
const HIST_ROUTES = Array.from({ length: 100 }, (_, i) => `/route/${i}`);
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
export const REGISTRY_BENCH_SERIES = ROUTES.length * METHODS.length * STATUSES.length + QUEUES.length * SHARDS.length + HIST_ROUTES.length * (BUCKETS.length + 3);

/** Deterministic values so both libraries hold exactly the same numbers. */
function* values(): Generator<number> {
  let a = 42;
  for (;;) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    yield ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

interface Populate {
  counter(route: string, method: string, status: string, v: number): void;
  gauge(queue: string, shard: string, v: number): void;
  observe(route: string, v: number): void;
}

function populate(p: Populate): void {
  const r = values();
  for (const route of ROUTES) for (const method of METHODS) for (const status of STATUSES) p.counter(route, method, status, Math.floor(r.next().value * 1e6));
  for (const queue of QUEUES) for (const shard of SHARDS) p.gauge(queue, shard, Math.floor(r.next().value * 1000));
  for (const route of HIST_ROUTES) for (let i = 0; i < 20; i++) p.observe(route, r.next().value * 3);
}

export function promwireRegistry(): Registry {
  const registry = new Registry();
  const c = new Counter({ name: "app_requests_total", help: "Requests handled.", labelNames: ["route", "method", "status"] as const, registry });
  const g = new Gauge({ name: "app_queue_depth", help: "Jobs waiting.", labelNames: ["queue", "shard"] as const, registry });
  const h = new Histogram({ name: "app_latency_seconds", help: "Latency.", labelNames: ["route"] as const, buckets: BUCKETS, registry });
  populate({
    counter: (route, method, status, v) => c.labels({ route, method, status }).inc(v),
    gauge: (queue, shard, v) => g.labels({ queue, shard }).set(v),
    observe: (route, v) => h.labels({ route }).observe(v),
  });
  return registry;
}

function promClientRegistry(): client.Registry {
  const registry = new client.Registry();
  const c = new client.Counter({ name: "app_requests_total", help: "Requests handled.", labelNames: ["route", "method", "status"], registers: [registry] });
  const g = new client.Gauge({ name: "app_queue_depth", help: "Jobs waiting.", labelNames: ["queue", "shard"], registers: [registry] });
  const h = new client.Histogram({ name: "app_latency_seconds", help: "Latency.", labelNames: ["route"], buckets: BUCKETS, registers: [registry] });
  populate({
    counter: (route, method, status, v) => c.labels({ route, method, status }).inc(v),
    gauge: (queue, shard, v) => g.labels({ queue, shard }).set(v),
    observe: (route, v) => h.labels({ route }).observe(v),
  });
  return registry;
}

/** Like harness.measure, for an async operation (prom-client's metrics() returns a Promise). */
async function measureAsync(name: string, fn: () => Promise<unknown>, budgetMs: number, warmup = 5): Promise<Measurement> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  while (performance.now() < end || times.length < 5) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { name, medianMs: times[times.length >> 1], runs: times.length };
}

export interface RegistryRow {
  readonly name: string;
  /** Size of what the row produces: text bytes, or compressed request bytes. */
  readonly bytes: number;
  readonly m: Measurement;
}

/** Run every row; the first is the prom-client baseline. */
export async function runRegistryBench(budgetMs = 1500): Promise<RegistryRow[]> {
  const ours = promwireRegistry();
  const theirs = promClientRegistry();
  const series = familiesToSeries(ours.collect(), { timestamp: 0 }).series.length;
  if (series !== REGISTRY_BENCH_SERIES) throw new Error(`expected ${REGISTRY_BENCH_SERIES} series, got ${series}`);
  const encoder = new WriteRequestEncoder();
  const rows: RegistryRow[] = [];
  const text = await theirs.metrics();
  rows.push({ name: "prom-client registry.metrics() (text)", bytes: new TextEncoder().encode(text).length, m: await measureAsync("prom-client", () => theirs.metrics(), budgetMs) });
  const sync = async (name: string, fn: () => number): Promise<void> => {
    const bytes = fn();
    rows.push({ name, bytes, m: await measureAsync(name, async () => fn(), budgetMs) });
  };
  await sync("promwire collect()", () => ours.collect().length);
  await sync("promwire collect + familiesToSeries", () => familiesToSeries(ours.collect()).series.length);
  for (const version of ["v1", "v2"] as ProtocolVersion[]) {
    await sync(`promwire collect + series + encode ${version} + snappy`, () => {
      const { series: s, metadata } = familiesToSeries(ours.collect(), { version });
      return compress(encoder.encodeView(s, { version, metadata })).length;
    });
  }
  return rows;
}

export function printRegistryTable(rows: readonly RegistryRow[]): string {
  const base = rows[0];
  return [
    `Registry snapshot of ${REGISTRY_BENCH_SERIES} series, median of repeated runs (bytes: text, or compressed request)`,
    table(
      ["implementation", "ms/op", "series/s", "bytes out", "prom-client ×"],
      rows.map((r) => [
        r.name,
        r.m.medianMs.toFixed(2),
        fmt(REGISTRY_BENCH_SERIES / (r.m.medianMs / 1000)),
        r.name.startsWith("promwire collect()") || r.name.endsWith("familiesToSeries") ? "-" : String(r.bytes),
        (base.m.medianMs / r.m.medianMs).toFixed(1),
      ]),
    ),
    "(prom-client × = how many times faster than prom-client's text rendering)",
    "",
  ].join("\n");
}
