/**
 * `npm run bench:send`: how fast a writer moves a large backlog over a slow link. 1,000,000
 * samples (1,000 series × 1,000 samples) are written at once through `remoteWrite` with default
 * settings — only `maxPendingSamples` raised to hold them — to a local receiver that answers
 * every request after 50 ms (a managed Prometheus in another region). The receiver runs in a
 * worker thread (its decoding must not slow the writer's thread) and checks every request: each
 * series' timestamps strictly increasing across requests, nothing lost, nothing twice.
 *
 * Rows, interleaved round by round, medians: `shards: 1` (one request in flight: how promwire
 * sent before shards existed) and several `shards` values around the default, so the default is
 * chosen by measurement. Then the same 1 M samples with default settings to a real
 * VictoriaMetrics (if installed), read back complete with `/api/v1/export`.
 *
 * BENCH_ROUNDS (default 3) rounds; BENCH_SHARDS (e.g. "1,4,8,16,32") the rows; BENCH_DELAY_MS
 * the receiver's delay (default 50).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { readFileSync } from "node:fs";
import { remoteWrite } from "../core/client/remote-write/writer.ts";
import { DEFAULT_SHARDS } from "../core/client/remote-write/options.ts";
import { decodeWriteRequest } from "../core/wire/decode.ts";
import { decompress, initSnappy } from "../core/wire/snappy.ts";
import type { Series } from "../core/wire/types.ts";
import { table } from "./harness.ts";

initSnappy(readFileSync(new URL("snappy_bg.wasm", import.meta.resolve("snappy-wasm"))));

const SERIES = 1_000;
const PER_SERIES = 1_000;
const TOTAL = SERIES * PER_SERIES;

/** What the receiver saw during one run. */
interface Tally {
  requests: number;
  samples: number;
  /** Samples whose timestamp was not after the previous one of their series. */
  outOfOrder: number;
  /** Series that received all their samples. */
  complete: number;
  /** Most requests being answered at once. */
  maxConcurrent: number;
}

// ---- The receiver (worker thread). ----
if (!isMainThread && (workerData as { role?: string })?.role === "receiver") {
  const delayMs = (workerData as { delayMs: number }).delayMs;
  let last = new Map<string, number>();
  let counts = new Map<string, number>();
  let tally: Tally = { requests: 0, samples: 0, outOfOrder: 0, complete: 0, maxConcurrent: 0 };
  let concurrent = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    concurrent++;
    tally.maxConcurrent = Math.max(tally.maxConcurrent, concurrent);
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const decoded = decodeWriteRequest(decompress(new Uint8Array(Buffer.concat(chunks))), { version: "v1" });
      tally.requests++;
      for (const s of decoded.series) {
        const key = s.labels.join(",");
        let prev = last.get(key) ?? -Infinity;
        for (const x of s.samples ?? []) {
          if (x.timestamp <= prev) tally.outOfOrder++;
          prev = x.timestamp;
          tally.samples++;
        }
        last.set(key, prev);
        counts.set(key, (counts.get(key) ?? 0) + (s.samples?.length ?? 0));
      }
      setTimeout(() => {
        concurrent--;
        res.writeHead(204).end();
      }, delayMs);
    });
  });
  server.listen(0, "127.0.0.1", () => parentPort!.postMessage({ port: (server.address() as AddressInfo).port }));
  parentPort!.on("message", (m: string) => {
    if (m !== "tally") return;
    for (const n of counts.values()) if (n === PER_SERIES) tally.complete++;
    parentPort!.postMessage(tally);
    last = new Map();
    counts = new Map();
    tally = { requests: 0, samples: 0, outOfOrder: 0, complete: 0, maxConcurrent: 0 };
  });
}

/** 1,000 series × 1,000 samples, one second apart, ending a little before `end`. */
function backlog(end: number, job: string): Series[] {
  const series: Series[] = [];
  for (let k = 0; k < SERIES; k++) {
    const samples = Array.from({ length: PER_SERIES }, (_, i) => ({ value: k * PER_SERIES + i, timestamp: end - (PER_SERIES - i) * 1000 }));
    series.push({ labels: ["__name__", "bench_send_value", "job", job, "series", String(k).padStart(4, "0")], samples });
  }
  return series;
}

/** Write the backlog at once, close; the time from the write to close() resolving, ms. */
async function send(url: string, series: Series[], shards: number | undefined): Promise<{ ms: number; sent: number; failed: number }> {
  const t0 = performance.now();
  const rw = remoteWrite({ url, maxPendingSamples: TOTAL, ...(shards === undefined ? {} : { shards }) });
  rw.write(series);
  const stats = await rw.close();
  return { ms: performance.now() - t0, sent: stats.sent, failed: stats.failed + stats.dropped };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const delayMs = Number(process.env.BENCH_DELAY_MS ?? 50);
  const rows = (process.env.BENCH_SHARDS ?? `1,4,8,${DEFAULT_SHARDS},32`).split(",").map(Number);
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: "receiver", delayMs } });
  const port = await new Promise<number>((resolve) => worker.once("message", (m: { port: number }) => resolve(m.port)));
  const url = `http://127.0.0.1:${port}/api/v1/write`;
  const tally = (): Promise<Tally> =>
    new Promise((resolve) => {
      worker.once("message", resolve);
      worker.postMessage("tally");
    });
  console.log(`promwire send benchmark — node ${process.version}: ${TOTAL.toLocaleString("en")} samples (${SERIES} series × ${PER_SERIES}) written at once, receiver answers after ${delayMs} ms, ${rounds} rounds\n`);
  const times = new Map<number, number[]>(rows.map((r) => [r, []]));
  const checks = new Map<number, string>();
  for (let round = 0; round < rounds; round++) {
    for (const shards of rows) {
      // New series names each run: the receiver checks order per run, from scratch.
      const series = backlog(Date.now(), `r${round}s${shards}`);
      const r = await send(url, series, shards === DEFAULT_SHARDS ? undefined : shards);
      const t = await tally();
      times.get(shards)!.push(r.ms);
      const ok = r.sent === TOTAL && r.failed === 0 && t.samples === TOTAL && t.outOfOrder === 0 && t.complete === SERIES;
      const line = `${ok ? "ok" : "FAILED"}: ${t.samples.toLocaleString("en")} received in ${t.requests} requests, ${t.outOfOrder} out of order, ${t.complete}/${SERIES} series complete, ≤ ${t.maxConcurrent} at once`;
      if (!ok || !checks.has(shards)) checks.set(shards, line);
      process.stderr.write(`round ${round + 1}, shards ${shards}: ${(r.ms / 1000).toFixed(2)} s — ${line}\n`);
    }
  }
  await worker.terminate();
  const base = median(times.get(rows[0])!);
  console.log(
    table(
      ["writer", "median s", "samples/s", "speed-up", "receiver's check"],
      rows.map((shards) => {
        const m = median(times.get(shards)!);
        const label = shards === 1 ? "shards: 1 (one request in flight, as before)" : shards === DEFAULT_SHARDS ? `default (shards: ${shards})` : `shards: ${shards}`;
        return [label, (m / 1000).toFixed(2), Math.round(TOTAL / (m / 1000)).toLocaleString("en"), `${(base / m).toFixed(1)}×`, checks.get(shards)!];
      }),
    ),
  );
  await victoriaMetricsRow();
}

/** The same backlog, default settings, to a real VictoriaMetrics; read back with /api/v1/export. */
async function victoriaMetricsRow(): Promise<void> {
  const { startVictoriaMetrics, victoriaMetricsInstalled } = await import("../test/support/victoria-metrics.ts");
  if (!victoriaMetricsInstalled()) {
    console.log("\nVictoriaMetrics: not installed (apt-get install -y victoria-metrics); row skipped");
    return;
  }
  const vm = await startVictoriaMetrics();
  try {
    const series = backlog(Date.now(), "vm");
    const r = await send(`${vm.url}/api/v1/write`, series, undefined);
    const exported = await vm.exportRaw('{__name__="bench_send_value",job="vm"}');
    let samples = 0;
    let ordered = 0;
    let exact = 0;
    const expected = new Map(series.map((s) => [s.labels[5], s.samples!]));
    for (const e of exported) {
      samples += e.values.length;
      if (e.timestamps.every((t, i) => i === 0 || t > e.timestamps[i - 1])) ordered++;
      const want = expected.get(e.metric.series);
      if (want !== undefined && want.length === e.values.length && want.every((x, i) => x.timestamp === e.timestamps[i] && x.value === e.values[i])) exact++;
    }
    console.log(
      `\nVictoriaMetrics (real, local): default settings, ${(r.ms / 1000).toFixed(2)} s; read back ${samples.toLocaleString("en")} of ${TOTAL.toLocaleString("en")} samples, ` +
        `${exported.length} series, ${exact}/${SERIES} series exactly as written (values and timestamps), ${ordered} in timestamp order — ${samples === TOTAL && exact === SERIES ? "complete" : "INCOMPLETE"}`,
    );
  } finally {
    await vm.stop();
  }
}

if (isMainThread) await main();
