// withMetrics, runtime-agnostic (core/edge/with-metrics.ts), driven the way a Worker runtime
// drives it — a fetch handler and a `waitUntil` — with real writers to the local receiver.
import "../support/snappy-node.ts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import { dropIsolateMetrics } from "../../core/edge/isolate.ts";
import { makeWithMetrics, type WaitUntilContext } from "../../core/edge/with-metrics.ts";
import { Counter } from "../../core/metrics/counter.ts";
import type { RuntimeRemoteWriteOptions } from "../../core/runtime/api.ts";

let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver({ port: 0 });
});
afterAll(async () => {
  await rx?.close();
});
beforeEach(() => {
  dropIsolateMetrics("withMetrics");
});

const withMetrics = makeWithMetrics(({ flushOnExit: _, exitTimeoutMs: __, ...o }: RuntimeRemoteWriteOptions) => remoteWrite({ url: "http://unset.invalid", ...o }));

/** A `waitUntil` that keeps every promise, as the runtime would keep the request alive for it. */
function context(): WaitUntilContext & { settled(): Promise<void> } {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil: (p) => void pending.push(p),
    async settled() {
      // Waiting may add more (a trailing flush is handed to a later request's waitUntil too).
      for (let n = 0; n !== pending.length; ) {
        n = pending.length;
        await Promise.allSettled(pending);
      }
    },
  };
}

/** The newest value of the counter the receiver got under `path`, and how many requests carried it. */
function lastValue(path: string): { value: number | undefined; requests: number } {
  let value: number | undefined;
  let requests = 0;
  for (const r of rx.requests) {
    if (r.kind !== "remote-write" || r.path !== path) continue;
    for (const s of r.request.series) {
      if (s.labels[1] !== "worker_requests_total") continue;
      requests++;
      value = s.samples?.at(-1)?.value;
    }
  }
  return { value, requests };
}

describe("withMetrics (isolate scope)", () => {
  it("8 requests in a row, then silence: all 8 increments arrive without a 9th request (trailing flush)", async () => {
    const path = "/api/v1/write/trailing";
    const ctx = context();
    const worker = withMetrics<{ PROMWIRE_REMOTE_WRITE_URL: string }, { requests: Counter }>(
      async (_req, _env, _ctx, { metrics }) => {
        metrics.requests.inc();
        return new Response("ok");
      },
      { metrics: (registry) => ({ requests: new Counter({ name: "worker_requests_total", help: "Requests.", registry }) }), flushIntervalMs: 300 },
    );
    const env = { PROMWIRE_REMOTE_WRITE_URL: `${rx.url}${path}` };
    for (let i = 0; i < 8; i++) {
      const res = await worker.fetch!(new Request("http://worker/"), env, ctx);
      expect(await res.text()).toBe("ok");
    }
    // Only the first request's flush was due; the other seven found it running or not due.
    expect(lastValue(path).value ?? 0).toBeLessThan(8);
    await ctx.settled();
    const { value, requests } = lastValue(path);
    expect(value).toBe(8);
    expect(requests).toBeGreaterThanOrEqual(2);
  });

  it("a flush that was running when the last requests ended is followed by one more that carries them", async () => {
    const path = "/api/v1/write/busy";
    const ctx = context();
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    // Every request to this receiver waits for the gate: the first flush stays busy.
    const slow = makeWithMetrics(({ flushOnExit: _, exitTimeoutMs: __, ...o }: RuntimeRemoteWriteOptions) =>
      remoteWrite({ url: "http://unset.invalid", ...o, fetch: async (input, init) => (await gate, fetch(input, init)) }),
    );
    const worker = slow<{ PROMWIRE_REMOTE_WRITE_URL: string }, { requests: Counter }>(
      async (_req, _env, _ctx, { metrics }) => {
        metrics.requests.inc();
        return new Response("ok");
      },
      { metrics: (registry) => ({ requests: new Counter({ name: "worker_requests_total", help: "Requests.", registry }) }), flushIntervalMs: 0 },
    );
    const env = { PROMWIRE_REMOTE_WRITE_URL: `${rx.url}${path}` };
    for (let i = 0; i < 5; i++) await worker.fetch!(new Request("http://worker/"), env, ctx);
    expect(lastValue(path).requests).toBe(0);
    release?.();
    await ctx.settled();
    expect(lastValue(path).value).toBe(5);
  });

  it("one request whose own report loses its answer, then silence: the report is sent again within that request's waitUntil", async () => {
    const ctx = context();
    const deliveries: Array<{ at: number; pending: number }> = [];
    let pending = 0;
    let flushing = false;
    // An aggregator reporter whose first delivery is applied but its answer lost: the values stay waiting.
    const worker = withMetrics<{ PROMWIRE_REMOTE_WRITE_URL: string }, { requests: Counter }>(
      async (_req, _env, _ctx, { metrics }) => {
        metrics.requests.inc();
        return new Response("ok");
      },
      {
        metrics: (registry) => ({ requests: new Counter({ name: "worker_requests_total", help: "Requests.", registry }) }),
        flushIntervalMs: 200,
        aggregate: {
          state: { name: "withMetrics" },
          attach: () => ({
            flush: () => {
              if (flushing) return undefined;
              flushing = true;
              return (async () => {
                await new Promise((r) => setTimeout(r, 5));
                deliveries.push({ at: Date.now(), pending });
                pending = deliveries.length === 1 ? 1 : 0; // the first answer is lost
                flushing = false;
              })();
            },
            nextFlushIn: () => 0,
            stats: () => ({ flushing, pending }),
          }),
        },
      },
    );
    const res = await worker.fetch!(new Request("http://worker/"), { PROMWIRE_REMOTE_WRITE_URL: "http://unset.invalid" }, ctx);
    expect(await res.text()).toBe("ok");
    await ctx.settled();
    expect(deliveries.map((d) => d.pending)).toEqual([0, 1]);
    expect(pending).toBe(0);
  });
});
