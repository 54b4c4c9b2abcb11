// withMetrics with `aggregate: reportToAggregator()`, driven as a Worker runtime drives it (a
// fetch handler, a `waitUntil` that keeps every promise), reporting to aggregator objects in
// memory: the trailing flush carries the last requests' increments to the aggregator without a
// further request, and the merged series carry no isolate label.
import { beforeEach, describe, expect, it, vi } from "vitest";
import { reportToAggregator } from "../../../core/edge/aggregate/report-to-aggregator.ts";
import { dropIsolateMetrics } from "../../../core/edge/isolate.ts";
import { makeWithMetrics, type WaitUntilContext } from "../../../core/edge/with-metrics.ts";
import { Counter } from "../../../core/metrics/counter.ts";
import { aggregatorNamespace, CaptureWriters, floatValues } from "./helpers.ts";

beforeEach(() => {
  dropIsolateMetrics("withMetrics:aggregate");
});

function context(): WaitUntilContext & { settled(): Promise<void> } {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil: (p) => void pending.push(p),
    async settled() {
      for (let n = 0; n !== pending.length; ) {
        n = pending.length;
        await Promise.allSettled(pending);
      }
    },
  };
}

// The isolate's own writer is never used with aggregation: a factory that fails if it is.
const withMetrics = makeWithMetrics(() => {
  throw new Error("no remote write from the isolate");
});

describe("withMetrics → reportToAggregator", () => {
  it("8 requests then silence: all 8 increments reach the aggregator (trailing flush), one series, no isolate label", async () => {
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers);
    const aggregate = reportToAggregator<{ PROMWIRE_AGGREGATOR: typeof ns }>();
    const worker = withMetrics<{ PROMWIRE_AGGREGATOR: typeof ns }, { requests: Counter }>(
      async (_req, _env, _ctx, { metrics }) => {
        metrics.requests.inc();
        return new Response("ok");
      },
      { metrics: (registry) => ({ requests: new Counter({ name: "worker_requests_total", help: "Requests.", registry }) }), flushIntervalMs: 200, aggregate },
    );
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const ctx = context();
    const t0 = Date.now();
    for (let i = 0; i < 8; i++) expect(await (await worker.fetch!(new Request("http://worker/"), { PROMWIRE_AGGREGATOR: ns }, ctx)).text()).toBe("ok");
    await ctx.settled();
    const elapsed = Date.now() - t0;
    await ns.runAlarms();
    errors.mockRestore();
    expect(floatValues(writers.last()).get("worker_requests_total{}")).toBe(8);
    expect(writers.last()!.series.every((s) => !s.labels.includes("isolate"))).toBe(true);
    expect(aggregate.stats()).toMatchObject({ pending: 0, failures: 0, refused: 0 });
    expect(aggregate.stats()!.reports).toBeGreaterThanOrEqual(2); // the first request's, then the trailing one
    expect(elapsed).toBeLessThan(200 + 1_000);
  });

  it("8 requests then silence, the trailing report's answer lost: sent again 1 s later, counted once", async () => {
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers);
    const aggregate = reportToAggregator<{ PROMWIRE_AGGREGATOR: typeof ns }>();
    const worker = withMetrics<{ PROMWIRE_AGGREGATOR: typeof ns }, { requests: Counter }>(
      async (_req, _env, _ctx, { metrics }) => {
        metrics.requests.inc();
        return new Response("ok");
      },
      { metrics: (registry) => ({ requests: new Counter({ name: "worker_requests_total", help: "Requests.", registry }) }), flushIntervalMs: 200, aggregate },
    );
    // The first request's delivery goes through; the trailing one reaches the aggregator but its answer is lost.
    ns.fault = (call) => (call === 2 ? "drop-response" : "none");
    const ctx = context();
    for (let i = 0; i < 8; i++) await worker.fetch!(new Request("http://worker/"), { PROMWIRE_AGGREGATOR: ns }, ctx);
    await ctx.settled();
    await ns.runAlarms();
    expect(ns.calls).toBe(3); // the lost one was sent again without a 9th request
    expect(floatValues(writers.last()).get("worker_requests_total{}")).toBe(8);
    expect(floatValues(writers.last()).get('promwire_aggregator_reports_total{result="duplicate",shard="0"}')).toBe(1);
    expect(aggregate.stats()).toMatchObject({ pending: 0, failures: 1 });
  });

  it("an aggregator that never answers: the trailing flush gives up within its deadline, without a tight loop", async () => {
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers);
    const aggregate = reportToAggregator<{ PROMWIRE_AGGREGATOR: typeof ns }>();
    const worker = withMetrics<{ PROMWIRE_AGGREGATOR: typeof ns }, { requests: Counter }>(
      async (_req, _env, _ctx, { metrics }) => {
        metrics.requests.inc();
        return new Response("ok");
      },
      // 7 s of waitUntil: the trailing flush, one retry 1 s later; the next (2 s later) would not leave 5 s for itself.
      { metrics: (registry) => ({ requests: new Counter({ name: "worker_requests_total", help: "Requests.", registry }) }), flushIntervalMs: 300, pushTimeoutMs: 7_000, aggregate },
    );
    ns.fault = () => "drop-request";
    const ctx = context();
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await worker.fetch!(new Request("http://worker/"), { PROMWIRE_AGGREGATOR: ns }, ctx);
    await ctx.settled();
    expect(Date.now() - t0).toBeLessThan(7_000);
    expect(ns.calls).toBe(3); // the first request's flush, the trailing flush, one retry
    expect(aggregate.stats()!.pending).toBeGreaterThan(0); // kept for the next request
  });

  it("a Worker without the binding still answers; it says so once, and reports once the binding is there", async () => {
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers);
    const aggregate = reportToAggregator<{ PROMWIRE_AGGREGATOR?: typeof ns }>();
    const worker = withMetrics<{ PROMWIRE_AGGREGATOR?: typeof ns }, { requests: Counter }>(
      async (_req, _env, _ctx, { metrics }) => {
        metrics.requests.inc();
        return new Response("ok");
      },
      { metrics: (registry) => ({ requests: new Counter({ name: "worker_requests_total", help: "Requests.", registry }) }), flushIntervalMs: 0, aggregate },
    );
    const logged: string[] = [];
    const errors = vi.spyOn(console, "error").mockImplementation((m: unknown) => void logged.push(String(m)));
    const ctx = context();
    for (let i = 0; i < 3; i++) expect((await worker.fetch!(new Request("http://worker/"), {}, ctx)).status).toBe(200);
    await ctx.settled();
    expect(logged.filter((m) => m.includes("env.PROMWIRE_AGGREGATOR is not a Durable Object namespace"))).toHaveLength(1);
    await worker.fetch!(new Request("http://worker/"), { PROMWIRE_AGGREGATOR: ns }, ctx);
    await ctx.settled();
    errors.mockRestore();
    await ns.runAlarms();
    expect(floatValues(writers.last()).get("worker_requests_total{}")).toBe(4);
  });
});
