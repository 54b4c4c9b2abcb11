// A Worker for test/edge/workerd-isolate.test.ts: every request increments one isolate-wide
// counter; at most one flush per FLUSH_INTERVAL_MS goes out through ctx.waitUntil, with its own
// writer (Workers forbid I/O objects shared across requests).
import { Counter, pushgateway, Registry, remoteWrite, type PromwireError } from "../../adapters/workers.ts";
import { isolateMetrics } from "../../core/edge/index.ts";

interface Env {
  readonly RECEIVER_URL: string;
  readonly FLUSH_INTERVAL_MS: string;
  readonly PUSHGATEWAY_URL: string;
}

interface Ctx {
  waitUntil(p: Promise<unknown>): void;
}

// Module scope: runs once per isolate.
const iso = isolateMetrics({ defaultLabels: { service: "edge-test" } });
const errors: string[] = [];
const clockReadings: { first?: number; frozenWithinRequest: number; requests: number } = { frozenWithinRequest: 0, requests: 0 };

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/stats") {
      return Response.json({ id: iso.id, stats: iso.stats(), timestamps: iso.timestamps.stats(), errors, clock: clockReadings });
    }
    if (url.pathname === "/pushgateway") {
      // A short job in a Worker: push gzip-compressed (CompressionStream), then close: with
      // deleteOnClose the group is gone, unless ?keep asks to look at it first.
      const registry = new Registry();
      new Counter({ name: "edge_job_items_total", help: "Items.", registry }).inc(5);
      const notes: string[] = []; // would hold "no CompressionStream: sent uncompressed"
      const pg = pushgateway({
        url: env.PUSHGATEWAY_URL,
        job: "edge_job",
        grouping: { instance: "worker" },
        compression: "gzip",
        deleteOnClose: true,
        log: (m) => notes.push(m),
      });
      await pg.push(registry);
      if (notes.length > 0 || typeof CompressionStream !== "function") return new Response(`not gzipped: ${notes.join("; ")}`);
      if (url.searchParams.has("keep")) return new Response("pushed");
      await pg.close();
      return new Response("closed");
    }
    if (url.pathname === "/naive") {
      // What a per-invocation registry does (the contrast case): a fresh counter, pushed at 1.
      const registry = new Registry();
      new Counter({ name: "edge_naive_requests_total", help: "Requests, counted per request.", registry }).inc();
      const rw = remoteWrite({ url: env.RECEIVER_URL, flushOnExit: false, onError: () => {} });
      rw.collect(registry);
      ctx.waitUntil(rw.close());
      return new Response("ok");
    }
    const force = url.pathname === "/flush";
    if (!force) {
      const a = Date.now();
      // Busy work: Date.now() does not advance during a request's synchronous code in Workers.
      let x = 0;
      for (let i = 0; i < 20_000; i++) x += Math.sqrt(i);
      if (Date.now() === a && x > 0) clockReadings.frozenWithinRequest++;
      clockReadings.requests++;
      iso.counter({ name: "edge_requests_total", help: "Requests served by this isolate." }).inc();
      iso.gauge({ name: "edge_last_request_timestamp_seconds", help: "When the last request came." }).set(a / 1000);
    }
    const done = iso.flush({
      force,
      intervalMs: Number(env.FLUSH_INTERVAL_MS),
      writer: (defaults) =>
        remoteWrite({ ...defaults, url: env.RECEIVER_URL, flushOnExit: false, onError: (e: PromwireError) => errors.push(e.message) }),
    });
    if (done !== undefined) ctx.waitUntil(done);
    return new Response(force ? (done === undefined ? "busy" : "flushing") : "ok");
  },
};
