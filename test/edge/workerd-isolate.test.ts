// A Worker in workerd (miniflare; bundled as scripts/run-workerd-tests.mjs does) serves 1,000
// requests in one isolate; the isolate registry's counter reaches a real Prometheus as one
// cumulative series: no resets, and rate() equal to the request rate.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { startPushgateway, type Pushgateway } from "../support/pushgateway.ts";

const outdir = resolve(".cache/edge-workerd");
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let prom: Prometheus;
let pg: Pushgateway;
let mf: Miniflare;

beforeAll(async () => {
  [prom, pg] = await Promise.all([startPrometheus(), startPushgateway()]);
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: ["test/edge/workerd-isolate.worker.ts"],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outfile: `${outdir}/worker.mjs`,
    external: ["./snappy.wasm"],
    logLevel: "error",
  });
  writeFileSync(`${outdir}/snappy.wasm`, readFileSync("adapters/snappy.wasm"));
  mf = new Miniflare({
    modules: [
      { type: "ESModule", path: `${outdir}/worker.mjs`, contents: readFileSync(`${outdir}/worker.mjs`, "utf8") },
      { type: "CompiledWasm", path: `${outdir}/snappy.wasm`, contents: readFileSync(`${outdir}/snappy.wasm`) },
    ],
    modulesRoot: outdir,
    compatibilityDate: "2025-01-01",
    bindings: { RECEIVER_URL: `${prom.url}/api/v1/write`, FLUSH_INTERVAL_MS: "250", PUSHGATEWAY_URL: pg.url },
    outboundService: { network: { allow: ["public", "private", "local"] } },
  });
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await prom?.stop();
  await pg?.stop();
});

interface WorkerStats {
  id: string;
  stats: { flushes: number; notDue: number; busy: number; lost: number; abandoned: number; flushing: boolean; lastReport?: { failed: number; sent: number } };
  timestamps: { kept: number; moved: number; unchanged: number; deferred: number };
  errors: string[];
  clock: { frozenWithinRequest: number; requests: number };
}

describe("workerd: 1,000 requests in one isolate → real Prometheus", () => {
  it("one cumulative counter series, no resets, rate() within 5 % of the request rate", async () => {
    const N = 1_000;
    const BURST = 5; // concurrent requests in the isolate at once
    const PERIOD_MS = 50; // 5 requests every 50 ms: 100 requests/s
    const sentAt: number[] = [];
    const answers: Promise<string>[] = [];
    const t0 = Date.now();
    for (let i = 0; i < N / BURST; i++) {
      const wait = t0 + i * PERIOD_MS - Date.now();
      if (wait > 0) await sleep(wait);
      for (let j = 0; j < BURST; j++) {
        sentAt.push(Date.now());
        answers.push(mf.dispatchFetch("http://worker/work").then((r) => r.text()));
      }
    }
    expect(new Set(await Promise.all(answers))).toEqual(new Set(["ok"]));
    const t1 = Date.now();
    // Final flush once the last periodic one is done (never two at once: "busy" means retry).
    let flushed = false;
    for (let tries = 0; tries < 100 && !flushed; tries++) {
      flushed = (await (await mf.dispatchFetch("http://worker/flush")).text()) === "flushing";
      if (!flushed) await sleep(50);
    }
    expect(flushed).toBe(true);
    let st: WorkerStats;
    do {
      await sleep(50);
      st = (await (await mf.dispatchFetch("http://worker/stats")).json()) as WorkerStats;
    } while (st.stats.flushing);
    expect(st.errors).toEqual([]);
    expect(st.stats.lost).toBe(0);
    expect(st.stats.abandoned).toBe(0);
    expect(st.stats.lastReport).toMatchObject({ failed: 0 });
    expect(st.clock.requests).toBe(N);

    const at = Date.now() + 1_000;
    const series = await prom.query("edge_requests_total", at);
    expect(series).toHaveLength(1);
    expect(series[0].metric).toMatchObject({ __name__: "edge_requests_total", service: "edge-test", isolate: st.id });
    expect(Number(series[0].value![1])).toBe(N);
    const [resets] = await prom.query("resets(edge_requests_total[1h])", at);
    expect(Number(resets.value![1])).toBe(0);
    const [samples] = await prom.query("count_over_time(edge_requests_total[1h])", at);
    const sampleCount = Number(samples.value![1]);

    // rate() over a window well inside the run, against the requests actually sent in it.
    // Both ends halfway between two bursts, so no burst straddles an end.
    const winStart = t0 + 40 * PERIOD_MS + PERIOD_MS / 2;
    const winEnd = t0 + (Math.floor((t1 - 1_000 - t0) / PERIOD_MS) - 1) * PERIOD_MS + PERIOD_MS / 2;
    const winMs = winEnd - winStart;
    const [rate] = await prom.query(`rate(edge_requests_total[${winMs}ms])`, winEnd);
    const promRate = Number(rate.value![1]);
    const sentInWindow = sentAt.filter((t) => t > winStart && t <= winEnd).length;
    const trueRate = sentInWindow / (winMs / 1000);
    const overall = N / ((t1 - t0) / 1000);
    const err = Math.abs(promRate - trueRate) / trueRate;
    console.log(
      `workerd isolate: ${N} requests in ${((t1 - t0) / 1000).toFixed(2)} s (${overall.toFixed(1)}/s); ${st.stats.flushes} flushes ` +
        `(${st.stats.notDue} not due, ${st.stats.busy} busy), ${sampleCount} samples stored; rate(${winMs}ms) = ${promRate.toFixed(2)}/s ` +
        `vs ${trueRate.toFixed(2)}/s sent (${(err * 100).toFixed(2)} % off); timestamps moved ${st.timestamps.moved}, ` +
        `Date.now() frozen during ${st.clock.frozenWithinRequest}/${st.clock.requests} requests' busy work`,
    );
    expect(err).toBeLessThan(0.05);
  }, 120_000);

  it("contrast: a registry per request (no isolate registry) pushes a counter that restarts at 1, and rate() sees nothing", async () => {
    const N = 200;
    const t0 = Date.now();
    for (let i = 0; i < N; i++) {
      const wait = t0 + i * 10 - Date.now();
      if (wait > 0) await sleep(wait);
      expect(await (await mf.dispatchFetch("http://worker/naive")).text()).toBe("ok");
    }
    const t1 = Date.now();
    await sleep(1_000);
    const winMs = t1 - t0 - 500;
    const [rate] = await prom.query(`rate(edge_naive_requests_total[${winMs}ms])`, t1);
    const [max] = await prom.query(`max_over_time(edge_naive_requests_total[${winMs}ms])`, t1);
    console.log(`per-request registry: ${N} requests at ~100/s → rate() = ${Number(rate.value![1]).toFixed(2)}/s, counter never above ${max.value![1]}`);
    expect(Number(rate.value![1])).toBe(0);
    expect(Number(max.value![1])).toBe(1);
  }, 60_000);

  it("in workerd, a gzip (CompressionStream) push reaches the real Pushgateway and deleteOnClose leaves no group", async () => {
    expect(await (await mf.dispatchFetch("http://worker/pushgateway?keep")).text()).toBe("pushed");
    const groups = await pg.metrics();
    expect(groups.map((g) => g.labels)).toEqual([{ job: "edge_job", instance: "worker" }]);
    expect(groups[0].last_push_successful).toBe(true);
    expect((groups[0].edge_job_items_total as { metrics: { value: string }[] }).metrics[0].value).toBe("5");
    expect(await (await mf.dispatchFetch("http://worker/pushgateway")).text()).toBe("closed");
    expect(await pg.metricsWhenEmpty()).toEqual([]);
  });
});
