/**
 * promwire for Cloudflare Workers: Workers forbid compiling WASM from bytes at run time, so the
 * snappy module is imported as a precompiled `WebAssembly.Module` (wrangler bundles `.wasm`
 * imports as `CompiledWasm` by itself). A Worker has no process to hook and no global
 * environment: {@link withMetrics} reads `env`, keeps the metrics for the whole isolate and hands
 * each flush to `ctx.waitUntil` (see README, "Cloudflare Workers").
 *
 * @example
 * import { Counter, withMetrics } from "promwire/workers";
 * export default withMetrics(
 *   async (request, env, ctx, { metrics }) => {
 *     metrics.requests.inc();
 *     return new Response("hello");
 *   },
 *   { metrics: (registry) => ({ requests: new Counter({ name: "worker_requests_total", help: "Requests.", registry }) }) },
 * );
 */
import snappyModule from "./snappy.wasm";
import { MetricsAggregatorBase, type AggregatorContext, type MetricsAggregatorClass, type MetricsAggregatorOptions } from "../core/edge/aggregate/aggregator.ts";
import { makeWithMetrics, type WithMetrics } from "../core/edge/with-metrics.ts";
import { runtimePushgateway, runtimeRemoteWrite, type RuntimeGlue } from "../core/runtime/clients.ts";
import { OpenWriters } from "../core/runtime/open-writers.ts";
import type { RuntimeClientApi } from "../core/runtime/api.ts";
import { setSnappySource } from "../core/wire/snappy.ts";

setSnappySource(() => snappyModule);

export * from "../core/runtime/entry.ts";
export type {
  MetricsExportedHandler,
  MetricsFetchHandler,
  MetricsScheduledHandler,
  RequestMetrics,
  WaitUntilContext,
  WithMetrics,
  WithMetricsOptions,
} from "../core/edge/with-metrics.ts";
export { reportToAggregator, type AggregatorNamespace, type AggregatorReporting, type ReportToAggregatorOptions } from "../core/edge/aggregate/report-to-aggregator.ts";
export type { ReporterStats } from "../core/edge/aggregate/reporter.ts";
export type { AggregatorContext, AggregatorStats, MetricsAggregatorClass, MetricsAggregatorOptions } from "../core/edge/aggregate/aggregator.ts";

// No global environment: `url` (and credentials) come from code, or from `env` via withMetrics.
// No file system: no spool. One request in flight: an invocation writes little, and a Worker's
// connections are few.
const glue: RuntimeGlue = { getEnv: () => undefined, defaults: { shards: 1 } };
const open = /* @__PURE__ */ new OpenWriters();

/** A remote-write writer; pass `url` (`flushOnExit` does nothing here: hand `rw.close()` to `ctx.waitUntil`). */
export const remoteWrite: RuntimeClientApi["remoteWrite"] = (options) => runtimeRemoteWrite(glue, open, options);

/** A Pushgateway client; pass `url`. */
export const pushgateway: RuntimeClientApi["pushgateway"] = (options) => runtimePushgateway(glue, open, options);

/** Flush every writer made by {@link remoteWrite} and not yet closed. */
export const flushAll: RuntimeClientApi["flushAll"] = (timeoutMs = open.exitTimeoutMs) => open.flushAll(timeoutMs);

/** Wrap a Worker's handler so that its metrics are pushed after each response, in `ctx.waitUntil`. */
export const withMetrics: WithMetrics = /* @__PURE__ */ makeWithMetrics(remoteWrite);

/** The metrics aggregator Durable Object, configured from its `env`: re-export it and bind it (README, "Aggregating isolates"). */
export class MetricsAggregator extends MetricsAggregatorBase {
  constructor(ctx: AggregatorContext, env: unknown) {
    super(ctx, env, remoteWrite);
  }
}

/** The metrics aggregator Durable Object with options: `export const MetricsAggregator = metricsAggregator({ … })`. */
export const metricsAggregator = <Env = unknown>(options: MetricsAggregatorOptions<Env> = {}): MetricsAggregatorClass =>
  class extends MetricsAggregatorBase {
    constructor(ctx: AggregatorContext, env: unknown) {
      super(ctx, env, remoteWrite, options as MetricsAggregatorOptions);
    }
  };
