/**
 * `reportToAggregator()`: the value a Worker passes as `withMetrics`' `aggregate` option. Kept
 * out of `withMetrics` itself so that a Worker that does not aggregate bundles none of it: the
 * reporting code is reachable only from this import.
 */

import type { IsolateFlusher, IsolateReporting } from "../with-metrics.ts";
import type { IsolateState } from "../isolate.ts";
import { AggregateReporter, type AggregatorStub, type ReporterStats } from "./reporter.ts";

/** The part of a Durable Object namespace binding the reporter uses. */
export interface AggregatorNamespace {
  idFromName(name: string): unknown;
  get(id: never): AggregatorStub;
}

/** Options of {@link reportToAggregator}. */
export interface ReportToAggregatorOptions<Env> {
  /**
   * The `MetricsAggregator` namespace: the name of its binding in `env` (default
   * `"PROMWIRE_AGGREGATOR"`), or a function of `env` returning it.
   */
  readonly binding?: string | ((env: Env) => AggregatorNamespace);
  /**
   * Aggregator objects to spread metric families over, by a hash of the family name (each
   * object writes its own families). One object takes a few thousand reports a second; use more
   * when many isolates report many families. Default 1. Changing it moves families to other
   * objects, where they start again from zero (one counter reset).
   */
  readonly shards?: number;
  /** Object names are `${objectName}${index}`. Default `"promwire-aggregator-"`. */
  readonly objectName?: string;
  /** Largest report request, bytes. Default 512 KiB (the aggregator takes up to 1 MiB). */
  readonly maxBatchBytes?: number;
  /** Reports kept per object while it does not acknowledge them; further changes wait in the registry. Default 16. */
  readonly maxPendingReports?: number;
}

/** What {@link reportToAggregator} returns: the `aggregate` option of `withMetrics`, plus its counts. */
export interface AggregatorReporting<Env> extends IsolateReporting<Env> {
  readonly shards: number;
  /** The isolate's reporting counts (undefined before the first request). */
  stats(): ReporterStats | undefined;
}

/**
 * Report the isolate's metrics to the metrics aggregator (a Durable Object) instead of writing
 * them from each isolate: pass it as `withMetrics`' `aggregate` option, and bind the exported
 * `MetricsAggregator` class (README, "Aggregating isolates").
 *
 * @example
 * import { MetricsAggregator, reportToAggregator, withMetrics } from "promwire/workers";
 * export { MetricsAggregator };
 * export default withMetrics(handler, { metrics, aggregate: reportToAggregator({ binding: "PROMWIRE_AGGREGATOR" }) });
 */
export function reportToAggregator<Env = unknown>(options: ReportToAggregatorOptions<Env> = {}): AggregatorReporting<Env> {
  const shards = options.shards ?? 1;
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > 1024) throw new RangeError(`reportToAggregator: shards must be an integer 1…1024, got ${String(shards)}`);
  const binding = options.binding ?? "PROMWIRE_AGGREGATOR";
  const prefix = options.objectName ?? "promwire-aggregator-";
  let reporter: AggregateReporter | undefined;
  let warned = false;
  const namespace = (env: Env): AggregatorNamespace => {
    const ns = typeof binding === "function" ? binding(env) : (env as Record<string, unknown> | undefined)?.[binding];
    const ok = typeof (ns as AggregatorNamespace | undefined)?.idFromName === "function" && typeof (ns as AggregatorNamespace | undefined)?.get === "function";
    if (!ok) {
      const what = typeof binding === "function" ? "the binding function's result" : `env.${binding}`;
      const message = `${what} is not a Durable Object namespace: bind the MetricsAggregator class (wrangler.toml [[durable_objects.bindings]])`;
      if (!warned) {
        warned = true;
        console.error(`promwire: metrics not reported: ${message}`);
      }
      throw new Error(message);
    }
    return ns as AggregatorNamespace;
  };
  return {
    state: { name: "withMetrics:aggregate", isolateLabel: false },
    shards,
    stats: () => reporter?.stats(),
    attach(iso: IsolateState): IsolateFlusher<{ readonly env: Env; readonly intervalMs: number; readonly deadlineMs: number }> {
      const r = (reporter ??= new AggregateReporter(iso.registry, () => iso.id, { shards, maxBatchBytes: options.maxBatchBytes, maxPendingReports: options.maxPendingReports }));
      return {
        flush: (o) =>
          r.flush({
            ...o,
            stub: (i) => {
              const ns = namespace(o.env);
              return ns.get(ns.idFromName(`${prefix}${i}`) as never);
            },
          }),
        nextFlushIn: (ms) => r.nextFlushIn(ms),
        stats: () => r.stats(),
      };
    },
  };
}
