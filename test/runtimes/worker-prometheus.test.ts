// The example Worker (examples/workers) run locally in workerd (miniflare): it answers each
// request before its metrics push completes (the push runs in ctx.waitUntil), and the pushed
// metrics arrive at a real Prometheus remote-write receiver, read back with PromQL.
// Between the Worker and Prometheus sits a small proxy that holds each push for HOLD_MS and
// records when it arrived and when it was answered: a response that comes back while its push
// is still held proves the response did not wait for the push.
import { build } from "esbuild";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";

const HOLD_MS = 400;

interface Push {
  arrivedAt: number;
  answeredAt?: number;
  status?: number;
}

describe("example Worker in workerd → real Prometheus", () => {
  let prom: Prometheus;
  let proxy: Server;
  let proxyUrl: string;
  let mf: Miniflare;
  const pushes: Push[] = [];

  beforeAll(async () => {
    prom = await startPrometheus();
    const target = new URL(prom.url);
    proxy = createServer((req, res) => {
      const push: Push = { arrivedAt: performance.now() };
      pushes.push(push);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        setTimeout(() => {
          const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
            push.status = r.statusCode;
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
            r.on("end", () => (push.answeredAt = performance.now()));
          });
          up.end(Buffer.concat(chunks));
        }, HOLD_MS);
      });
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    const outdir = resolve(".cache/worker-e2e");
    mkdirSync(outdir, { recursive: true });
    await build({
      entryPoints: ["examples/workers/src/index.ts"],
      bundle: true,
      format: "esm",
      platform: "neutral",
      mainFields: ["module", "main"],
      conditions: ["workerd", "worker", "browser", "import"],
      outfile: `${outdir}/worker.mjs`,
      alias: { "promwire/workers": resolve("adapters/workers.ts") },
      external: ["./snappy.wasm"],
      logLevel: "error",
    });
    mf = new Miniflare({
      modules: [
        { type: "ESModule", path: `${outdir}/worker.mjs`, contents: readFileSync(`${outdir}/worker.mjs`, "utf8") },
        { type: "CompiledWasm", path: `${outdir}/snappy.wasm`, contents: readFileSync("adapters/snappy.wasm") },
      ],
      modulesRoot: outdir,
      compatibilityDate: "2025-01-01",
      // As wrangler.toml's [vars] would: the Worker reads its configuration from env.
      // Flush after every request that finds no flush running (the default waits 10 s between flushes).
      bindings: { PROMWIRE_REMOTE_WRITE_URL: `${proxyUrl}/api/v1/write`, PROMWIRE_FLUSH_INTERVAL_MS: "0" },
      outboundService: { network: { allow: ["public", "private", "local"] } },
    });
    await mf.ready;
  });

  afterAll(async () => {
    await mf?.dispose();
    proxy?.closeAllConnections();
    await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    await prom?.stop();
  });

  it("answers before its push completes, and the pushed counters are queryable in Prometheus", async () => {
    const paths = ["/", "/", "/", "/other"];
    const answered: number[] = [];
    for (const p of paths) {
      const t0 = performance.now();
      const res = await mf.dispatchFetch(`http://worker${p}`);
      expect(await res.text()).toBe(p === "/" ? "hello from home\n" : "hello from other\n");
      answered.push(performance.now());
      // Far quicker than the held push.
      expect(answered.at(-1)! - t0).toBeLessThan(HOLD_MS);
      // Let this request's flush pass the proxy before the next request (a running flush is never doubled).
      const deadline = Date.now() + 10_000;
      while ((pushes.length < answered.length || pushes.some((x) => x.answeredAt === undefined)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    expect(pushes.length).toBe(paths.length);
    expect(pushes.map((p) => p.status)).toEqual(paths.map(() => 204));
    // Each response was back before Prometheus's answer to its own push (held by the proxy).
    for (let i = 0; i < paths.length; i++) expect(answered[i]).toBeLessThan(pushes[i].answeredAt!);
    console.log(
      pushes.map((p, i) => `request ${i}: response at +${(answered[i] - p.arrivedAt).toFixed(1)} ms from push arrival, push answered at +${(p.answeredAt! - p.arrivedAt).toFixed(1)} ms`).join("\n"),
    );

    // One isolate-wide counter per route, cumulative across requests (no per-request restarts).
    const result = await prom.query('sum by (route) (worker_requests_total{worker="promwire-example"})');
    const byRoute = Object.fromEntries(result.map((r) => [r.metric.route, r.value?.[1]]));
    expect(byRoute).toEqual({ home: "3", other: "1" });
    const resets = await prom.query('resets(worker_requests_total{route="home"}[5m])');
    expect(resets[0]?.value?.[1]).toBe("0");
    const samples = await prom.query('count_over_time(worker_requests_total{route="home"}[5m])');
    expect(samples[0]?.value?.[1]).toBe("4"); // one sample per flush: 1, 2, 3, 3
  });

  it("without PROMWIRE_REMOTE_WRITE_URL the Worker still answers (the push is skipped and logged)", async () => {
    const outdir = resolve(".cache/worker-e2e");
    const logged: string[] = [];
    const bare = new Miniflare({
      modules: [
        { type: "ESModule", path: `${outdir}/worker.mjs`, contents: readFileSync(`${outdir}/worker.mjs`, "utf8") },
        { type: "CompiledWasm", path: `${outdir}/snappy.wasm`, contents: readFileSync("adapters/snappy.wasm") },
      ],
      modulesRoot: outdir,
      compatibilityDate: "2025-01-01",
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        stdout.on("data", (d: Buffer) => logged.push(d.toString()));
        stderr.on("data", (d: Buffer) => logged.push(d.toString()));
      },
    });
    try {
      const res = await bare.dispatchFetch("http://worker/");
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("hello from home\n");
      const deadline = Date.now() + 5_000;
      while (!logged.join("").includes("promwire: metrics not pushed") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(logged.join("")).toContain("promwire: metrics not pushed: option-invalid: no remote-write URL: pass options.url or set PROMWIRE_REMOTE_WRITE_URL");
    } finally {
      await bare.dispose();
    }
  });
});
