// The README's aggregating Worker (examples/workers-aggregate, the same file as README's
// "Aggregating isolates" block) on real workerd (miniflare 4) with real Durable Objects — alarms,
// SQLite-backed storage persisted to a directory — writing to a real Prometheus (remote-write
// receiver on 127.0.0.1), read back through Prometheus's HTTP API.
//
// Distinct isolates: the Worker is loaded as 8 separate workerd Worker services ("front0"…"front7",
// each on its own socket). workerd gives every Worker service its own V8 isolate with its own
// module registry and globals, so each front keeps its own isolate-wide registry and random
// isolate id. The test does not take that on trust: the aggregator counts 8 distinct isolate ids
// in its reports, and the per-isolate run shows 8 distinct `isolate` label values. All 8 fronts
// bind ONE Durable Object namespace, whose class (`MetricsAggregator`, exported by the same
// Worker) runs in a 9th service, "aggregator" — as on Cloudflare, where many isolates of one
// Worker reach the one object `idFromName("promwire-aggregator-0")` names.
//
// The same traffic (10,000 requests, a restart, 1,000 more, then 8 and silence) runs twice:
// with the aggregator, and with today's per-isolate series (the same Worker without its
// `aggregate:` line), told apart by an external label `run`; the series each left in Prometheus
// are counted and printed.
import { build } from "esbuild";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare, type WorkerOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AggregatorStats } from "../../core/edge/aggregate/aggregator.ts";
import type { LostAnswers } from "../fixtures/workers/lost-answers.ts";
import { startPrometheus, type Prometheus, type PromSeriesResult } from "../support/prometheus.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const EXAMPLE = join(ROOT, "examples/workers-aggregate");
const OUT = join(ROOT, ".cache/e2e-aggregator");
const FRONTS = 8;
/** PROMWIRE_FLUSH_INTERVAL_MS for the isolates' reports and the aggregator's writes (and per-isolate flushes). */
const INTERVAL_MS = 2_000;
/** Bounded waits for what Prometheus should show: generous for a loaded 2-core machine. */
const SETTLE_MS = 40_000;
/** Every `LOSE_EVERY`-th report delivery of each isolate loses its answer in the first phase. */
const LOSE_EVERY = 3;

/** README's blocks marked `readme-aggregate=<path>`: they must be the example's files, byte for byte. */
function readmeAggregateFiles(): Record<string, string> {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^```\w+ readme-aggregate=(\S+)\n([\s\S]*?)^```$/gm)) out[m[1]] = m[2];
  return out;
}

/** The Durable Object binding of wrangler.toml (`[[durable_objects.bindings]]` name and class_name). */
function doBinding(toml: string): { name: string; className: string } {
  const m = /^\[\[durable_objects\.bindings\]\]\nname = "(\w+)"\nclass_name = "(\w+)"$/m.exec(toml);
  if (m === null) throw new Error("wrangler.toml has no [[durable_objects.bindings]] name/class_name");
  expect(toml).toMatch(new RegExp(`^new_sqlite_classes = \\["${m[2]}"\\]$`, "m"));
  return { name: m[1], className: m[2] };
}

/** Bundle a Worker entry (source text, resolved from the example's src/) as wrangler would: promwire/workers with its WASM as a module. */
async function bundle(name: string, contents: string): Promise<string> {
  const dir = join(OUT, name);
  mkdirSync(dir, { recursive: true });
  await build({
    stdin: { contents, resolveDir: join(EXAMPLE, "src"), sourcefile: `${name}.ts`, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser", "import"],
    outfile: join(dir, "worker.mjs"),
    alias: { "promwire/workers": join(ROOT, "adapters/workers.ts") },
    external: ["./snappy.wasm"],
    logLevel: "error",
  });
  writeFileSync(join(dir, "snappy.wasm"), readFileSync(join(ROOT, "adapters/snappy.wasm")));
  return dir;
}

function workerModules(dir: string): Pick<WorkerOptions, "modules" | "modulesRoot"> {
  return {
    modules: [
      { type: "ESModule", path: join(dir, "worker.mjs"), contents: readFileSync(join(dir, "worker.mjs"), "utf8") },
      { type: "CompiledWasm", path: join(dir, "snappy.wasm"), contents: readFileSync(join(dir, "snappy.wasm")) },
    ],
    modulesRoot: dir,
  };
}

interface Cluster {
  readonly fronts: readonly string[];
  /** The aggregator object's `GET /stats`. */
  stats(): Promise<AggregatorStats>;
  /** Each front's `GET /__lost` (fronts built with the fault injection only). */
  lost(): Promise<LostAnswers[]>;
  dispose(): Promise<void>;
}

interface ClusterOptions {
  readonly front: string;
  /** The bundle hosting the aggregator class, and where its storage persists; none: no aggregator. */
  readonly aggregator?: { readonly bundle: string; readonly persist: string };
  readonly vars: Record<string, string>;
  readonly binding: { name: string; className: string };
  readonly log: string[];
}

/** 8 Worker services (distinct isolates) and, with `aggregator`, a 9th hosting the aggregator Durable Object. */
async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const common = {
    compatibilityDate: "2025-01-01",
    bindings: o.vars,
    // Prometheus listens on 127.0.0.1: allow the Workers' fetches to reach it.
    outboundService: { network: { allow: ["public", "private", "local"] } },
  };
  const workers: WorkerOptions[] = [];
  if (o.aggregator !== undefined) {
    workers.push({ name: "aggregator", ...common, ...workerModules(o.aggregator.bundle), durableObjects: { [o.binding.name]: { className: o.binding.className, useSQLite: true } } });
  }
  for (let i = 0; i < FRONTS; i++) {
    workers.push({
      name: `front${i}`,
      ...common,
      ...workerModules(o.front),
      ...(o.aggregator === undefined ? {} : { durableObjects: { [o.binding.name]: { className: o.binding.className, scriptName: "aggregator", useSQLite: true } } }),
      unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
    });
  }
  const mf = new Miniflare({
    workers,
    ...(o.aggregator === undefined ? {} : { durableObjectsPersist: o.aggregator.persist }),
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.on("data", (d: Buffer) => o.log.push(d.toString()));
      stderr.on("data", (d: Buffer) => o.log.push(d.toString()));
    },
  });
  await mf.ready;
  const fronts = await Promise.all(Array.from({ length: FRONTS }, async (_, i) => (await mf.unsafeGetDirectURL(`front${i}`)).href));
  return {
    fronts,
    async stats() {
      const ns = await mf.getDurableObjectNamespace(o.binding.name, "aggregator");
      const res = await ns.get(ns.idFromName("promwire-aggregator-0")).fetch("https://aggregator/stats");
      return (await res.json()) as AggregatorStats;
    },
    lost: () => Promise.all(fronts.map(async (f) => (await (await fetch(new URL("/__lost", f))).json()) as LostAnswers)),
    dispose: () => mf.dispose(),
  };
}

/** Requests sent so far, by route: request n goes to front n % 8, every 5th to /other (so every front serves both routes). */
class Traffic {
  home = 0;
  other = 0;
  private n = 0;
  get total(): number {
    return this.home + this.other;
  }

  /** Send `count` requests, 32 at a time; resolves with when the last response arrived. */
  async send(fronts: readonly string[], count: number, concurrency = 32): Promise<number> {
    let left = count;
    let last = 0;
    const one = async (): Promise<void> => {
      while (left > 0) {
        left--;
        const n = this.n++;
        const other = n % 5 === 4;
        const res = await fetch(new URL(other ? "/other" : "/", fronts[n % FRONTS]));
        expect(await res.text()).toBe(other ? "hello from other\n" : "hello from home\n");
        if (other) this.other++;
        else this.home++;
        last = performance.now();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, one));
    return last;
  }

  /** What the Worker's metrics must say: the counter per route and the histogram of body sizes (16 and 17 bytes). */
  expected(): Record<string, number> {
    const t = this.total;
    return {
      'worker_requests_total{route="home"}': this.home,
      'worker_requests_total{route="other"}': this.other,
      'worker_response_bytes_bucket{le="16"}': this.home,
      'worker_response_bytes_bucket{le="64"}': t,
      'worker_response_bytes_bucket{le="256"}': t,
      'worker_response_bytes_bucket{le="+Inf"}': t,
      "worker_response_bytes_count{}": t,
      "worker_response_bytes_sum{}": 16 * this.home + 17 * this.other,
    };
  }
}

/** `name{a="1"}` without the `run` label (and `isolate`, which the aggregated series must not have: checked apart). */
function key(metric: Record<string, string>): string {
  const { __name__: name, run: _run, ...rest } = metric;
  return `${name}{${Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`)
    .join(",")}}`;
}

/** Poll `probe` until `ok` says yes or `ms` pass; returns the last value (the caller's expect shows it on a timeout). */
async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = SETTLE_MS): Promise<{ value: T; at: number }> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await probe().catch((e: unknown) => e as T);
    let yes = false;
    try {
      yes = ok(value);
    } catch {
      // not there yet (e.g. the probe failed)
    }
    if (yes || performance.now() > deadline) return { value, at: performance.now() };
    await new Promise((r) => setTimeout(r, 100));
  }
}

let prom: Prometheus;
let binding: { name: string; className: string };
let readmeBundle: string;
let lossyBundle: string;
let perIsolateBundle: string;
const log: string[] = [];
const startedAt = Date.now();
const counts: Record<string, { series: number; isolates: number; own: number }> = {};

async function series(match: string): Promise<Record<string, string>[]> {
  const res = await fetch(`${prom.url}/api/v1/series?match[]=${encodeURIComponent(match)}&start=${startedAt / 1000 - 60}&end=${Date.now() / 1000 + 60}`);
  const body = (await res.json()) as { status: string; data: Record<string, string>[] };
  if (body.status !== "success") throw new Error(JSON.stringify(body));
  return body.data;
}

/** The aggregated values now, by {@link key}, with `run="aggregated"`. */
async function aggregatedValues(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of await prom.query('{__name__=~"worker_.+", run="aggregated"}')) out[key(r.metric)] = Number(r.value?.[1]);
  return out;
}

beforeAll(async () => {
  // The README shows exactly the files this test runs.
  const readme = readmeAggregateFiles();
  const source = readFileSync(join(EXAMPLE, "src/index.ts"), "utf8");
  const toml = readFileSync(join(EXAMPLE, "wrangler.toml"), "utf8");
  expect(readme["src/index.ts"]).toBe(source);
  expect(readme["wrangler.toml"]).toBe(toml);
  binding = doBinding(toml);
  // The per-isolate Worker: the same file without its `aggregate:` line (today's withMetrics).
  const aggregateLine = /^ *aggregate: reportToAggregator\(.*\),\n/gm;
  expect(source.match(aggregateLine)).toHaveLength(1);
  rmSync(OUT, { recursive: true, force: true });
  [readmeBundle, lossyBundle, perIsolateBundle] = await Promise.all([
    bundle("readme", source),
    bundle(
      "lossy",
      `import worker from "./index.ts";\nimport { loseAnswers } from ${JSON.stringify(join(ROOT, "test/fixtures/workers/lost-answers.ts"))};\nexport default loseAnswers(worker, ${JSON.stringify(binding.name)}, ${LOSE_EVERY});\n`,
    ),
    bundle("per-isolate", source.replace(aggregateLine, "")),
  ]);
  prom = await startPrometheus();
}, 120_000);

afterAll(async () => {
  await prom?.stop();
});

describe("aggregating isolates on workerd Durable Objects → real Prometheus", () => {
  it("with the aggregator: 10,000 requests over 8 isolates, answers lost and retried, a restart, an outage, 8 then silence: one series per label set, exact totals, no resets", async () => {
    const persist = mkdtempSync(join(tmpdir(), "promwire-do-"));
    const vars = { PROMWIRE_REMOTE_WRITE_URL: `${prom.url}/api/v1/write`, PROMWIRE_FLUSH_INTERVAL_MS: String(INTERVAL_MS), PROMWIRE_EXTERNAL_LABELS: "run=aggregated" };
    const traffic = new Traffic();
    let cluster = await startCluster({ front: lossyBundle, aggregator: { bundle: readmeBundle, persist }, vars, binding, log });
    try {
      // 1. 10,000 requests over 8 isolates; every 3rd report delivery of each isolate loses its answer.
      const t0 = performance.now();
      await traffic.send(cluster.fronts, 10_000);
      const sendMs = performance.now() - t0;
      let seen = await until(aggregatedValues, (v) => v['worker_requests_total{route="home"}'] + v['worker_requests_total{route="other"}'] === 10_000);
      expect(seen.value).toEqual(traffic.expected());
      // The last lost answers' reports are sent again by the isolates' trailing flushes, 1 s later:
      // wait until no report is waiting (the aggregator has seen every lost one a second time).
      const { value: settled } = await until(
        async () => ({ stats: await cluster.stats(), lost: await cluster.lost() }),
        (v) => v.stats.reports.duplicates === v.lost.reduce((n, l) => n + l.lostReports, 0),
      );
      const { stats, lost } = settled;
      const lostReports = lost.reduce((n, l) => n + l.lostReports, 0);
      console.log(`[aggregator] 10,000 requests in ${(sendMs / 1000).toFixed(1)} s; ${stats.isolates} isolates reported; ${lost.reduce((n, l) => n + l.lostDeliveries, 0)} deliveries (${lostReports} reports) lost their answer and were sent again; aggregator: ${JSON.stringify(stats.reports)}`);
      expect(stats.isolates).toBe(FRONTS); // 8 distinct isolate ids: 8 isolates
      expect(lostReports).toBeGreaterThan(0);
      // Each lost report reached the aggregator twice and was applied once: Prometheus shows exactly 10,000.
      expect(stats.reports.duplicates).toBe(lostReports);

      // 2. Restart the aggregator (the whole workerd process), its storage kept; no traffic.
      await cluster.dispose();
      const restartedAt = Date.now();
      cluster = await startCluster({ front: readmeBundle, aggregator: { bundle: readmeBundle, persist }, vars, binding, log });
      // Its alarm, restored from storage, writes the totals it kept: samples newer than the restart, still 10,000.
      const after = await until(
        () => prom.query(`worker_requests_total{run="aggregated"}[1m]`),
        (r: PromSeriesResult[]) => Array.isArray(r) && r.length === 2 && r.every((s) => (s.values ?? []).some(([t]) => t * 1000 > restartedAt)),
      );
      const newest = Object.fromEntries(after.value.map((s) => [key(s.metric), Number(s.values?.at(-1)?.[1])]));
      expect(newest).toEqual({ 'worker_requests_total{route="home"}': traffic.home, 'worker_requests_total{route="other"}': traffic.other });
      expect(traffic.total).toBe(10_000);

      // 3. Prometheus down: 1,000 more requests; the aggregator's writes fail and it keeps the totals.
      const failedBefore = (await cluster.stats()).writes.failed;
      await prom.down();
      try {
        await traffic.send(cluster.fronts, 1_000);
        const failing = await until(
          () => cluster.stats(),
          (s) => s.writes.failed > failedBefore && s.reports.applied > stats.reports.applied,
        );
        expect(failing.value.writes.failed).toBeGreaterThan(failedBefore);
        expect(failing.value.lastWrite?.failed).toBeGreaterThan(0);
        expect(log.join("")).toMatch(/promwire: \d+ samples not delivered \(retry-budget, 3 attempts\): network error sending to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write/);
      } finally {
        await prom.up();
      }
      seen = await until(aggregatedValues, (v) => v["worker_response_bytes_count{}"] === 11_000);
      expect(seen.value).toEqual(traffic.expected());

      // 4. 8 requests (one per isolate), then silence: all 8 in Prometheus within the interval + 5 s.
      const last = await traffic.send(cluster.fronts, 8, 1);
      seen = await until(aggregatedValues, (v) => v["worker_response_bytes_count{}"] === 11_008, INTERVAL_MS + 5_000 + 5_000);
      const latencyMs = seen.at - last;
      console.log(`[aggregator] 8 requests then silence: all 8 in Prometheus ${(latencyMs / 1000).toFixed(1)} s after the last response (interval ${INTERVAL_MS / 1000} s)`);
      expect(seen.value).toEqual(traffic.expected());
      expect(latencyMs).toBeLessThanOrEqual(INTERVAL_MS + 5_000);

      // One series per label set over the whole run (restart and outage included), no isolate label, no resets.
      const all = await series('{__name__=~"worker_.+", run="aggregated"}');
      expect(all.map(key).sort()).toEqual(Object.keys(traffic.expected()).sort());
      expect(all.filter((m) => "isolate" in m)).toEqual([]);
      const resets = await prom.query(`resets({__name__=~"worker_requests_total|worker_response_bytes_bucket|worker_response_bytes_count", run="aggregated"}[10m])`);
      expect(resets).toHaveLength(7);
      expect(resets.map((r) => r.value?.[1])).toEqual(resets.map(() => "0"));
      counts.aggregated = { series: all.length, isolates: 0, own: (await series('{__name__=~"promwire_aggregator_.+", run="aggregated"}')).length };
    } finally {
      await cluster.dispose();
      rmSync(persist, { recursive: true, force: true });
    }
  }, 150_000);

  it("today's per-isolate series (the same Worker without `aggregate:`), the same traffic: 8 then silence within the interval + 5 s; series counted", async () => {
    const vars = { PROMWIRE_REMOTE_WRITE_URL: `${prom.url}/api/v1/write`, PROMWIRE_FLUSH_INTERVAL_MS: String(INTERVAL_MS), PROMWIRE_EXTERNAL_LABELS: "run=per-isolate" };
    const traffic = new Traffic();
    const total = async (): Promise<number> => Number((await prom.query('sum(worker_response_bytes_count{run="per-isolate"})'))[0]?.value?.[1] ?? 0);
    let cluster = await startCluster({ front: perIsolateBundle, vars, binding, log });
    try {
      await traffic.send(cluster.fronts, 10_000);
      expect((await until(total, (n) => n === 10_000)).value).toBe(10_000);
      await cluster.dispose();
      cluster = await startCluster({ front: perIsolateBundle, vars, binding, log });
      await traffic.send(cluster.fronts, 1_000);
      // The first isolates' series have no stale markers: they stay in the sum for Prometheus' 5-minute lookback.
      expect((await until(total, (n) => n === 11_000)).value).toBe(11_000);
      const last = await traffic.send(cluster.fronts, 8, 1);
      const seen = await until(total, (n) => n === 11_008, INTERVAL_MS + 5_000 + 5_000);
      console.log(`[per-isolate] 8 requests then silence: all 8 in Prometheus ${((seen.at - last) / 1000).toFixed(1)} s after the last response (interval ${INTERVAL_MS / 1000} s)`);
      expect(seen.value).toBe(11_008);
      expect(seen.at - last).toBeLessThanOrEqual(INTERVAL_MS + 5_000);
    } finally {
      await cluster.dispose();
    }
    const all = await series('{__name__=~"worker_.+", run="per-isolate"}');
    const isolates = new Set(all.map((m) => m.isolate));
    expect(isolates.size).toBe(2 * FRONTS); // 8 isolates, then 8 new ones after the restart
    const labelSets = new Set(all.map((m) => key(Object.fromEntries(Object.entries(m).filter(([k]) => k !== "isolate")))));
    expect([...labelSets].sort()).toEqual(Object.keys(traffic.expected()).sort());
    expect(all).toHaveLength(labelSets.size * isolates.size);
    counts["per-isolate"] = { series: all.length, isolates: isolates.size, own: 0 };
  }, 150_000);

  it("series in Prometheus for the same traffic: per-isolate labels vs the aggregator (printed)", () => {
    const a = counts.aggregated;
    const p = counts["per-isolate"];
    expect(a).toBeDefined();
    expect(p).toBeDefined();
    const rows = [
      ["mode", "worker_* series", "isolate values", "aggregator's own series"],
      ["per-isolate labels (withMetrics)", String(p.series), String(p.isolates), "-"],
      ["aggregator (reportToAggregator)", String(a.series), "-", String(a.own)],
    ];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    console.log(
      [
        `[series] 11,008 requests over ${FRONTS} Worker isolates, one restart (new isolates), 1 counter × 2 routes + 1 histogram (3 buckets):`,
        ...rows.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ")),
      ].join("\n"),
    );
    expect(p.series).toBe(a.series * p.isolates);
  });
});
