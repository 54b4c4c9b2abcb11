/**
 * `isolateMetrics()`: the isolate-wide state (isolate.ts) with get-or-create helpers for each
 * metric type, so code that runs on every request can ask for its metric by name without
 * registering it twice. Kept apart from the state so that a Worker that defines its metrics once
 * (as `withMetrics` does) does not bundle the metric types it never uses.
 */

import { MetricError } from "../errors.ts";
import { Counter, type CounterOptions } from "../metrics/counter.ts";
import { Gauge, type GaugeOptions } from "../metrics/gauge.ts";
import { Histogram, type HistogramOptions } from "../metrics/histogram.ts";
import type { Collector } from "../metrics/metric.ts";
import { Summary, type SummaryOptions } from "../metrics/summary.ts";
import { isolateState, type IsolateMetricsOptions, type IsolateState } from "./isolate.ts";

/** The isolate-wide metrics: the shared state plus get-or-create helpers. */
export interface IsolateMetrics extends IsolateState {
  /** The counter of this name, created on first call (later calls must agree on type and label names). */
  counter<const N extends string = never>(options: Omit<CounterOptions<N>, "registry">): Counter<N>;
  gauge<const N extends string = never>(options: Omit<GaugeOptions<N>, "registry">): Gauge<N>;
  histogram<const N extends string = never>(options: Omit<HistogramOptions<N>, "registry">): Histogram<N>;
  summary<const N extends string = never>(options: Omit<SummaryOptions<N>, "registry">): Summary<N>;
}

/** Where a state keeps its helper object: on the state itself, so two copies of this module hand out the same one. */
const HELPERS = Symbol.for("promwire.isolate-metrics.helpers.v1");

function getOrCreate<T extends Collector>(state: IsolateState, name: string, type: string, labelNames: readonly string[] | undefined, make: () => T): T {
  const existing = state.registry.get(name) as (Collector & { labelNames?: readonly string[] }) | undefined;
  if (existing === undefined) return make();
  const want = labelNames ?? [];
  const have = existing.labelNames ?? [];
  if (existing.type !== type || have.length !== want.length || have.some((n, i) => n !== want[i])) {
    throw new MetricError("duplicate-registration", name, `already registered in the isolate registry as a ${existing.type ?? "collector"} with labels [${have.join(", ")}]`);
  }
  return existing as unknown as T;
}

/**
 * The isolate-wide (process-wide) metrics of this name: created on the first call, the same
 * object on every later call in this isolate, even from another copy of promwire.
 *
 * @example
 * // Worker: module scope runs once per isolate; every request increments the same counter.
 * const iso = isolateMetrics({ defaultLabels: { service: "api" } });
 * export default {
 *   async fetch(req, env, ctx) {
 *     iso.counter({ name: "worker_requests_total", help: "Requests." }).inc();
 *     const done = iso.flush({ writer: (o) => remoteWrite({ ...o, url: env.RW_URL, flushOnExit: false }) });
 *     if (done) ctx.waitUntil(done);
 *     return new Response("ok");
 *   },
 * };
 */
export function isolateMetrics(options: IsolateMetricsOptions = {}): IsolateMetrics {
  const state = isolateState(options) as IsolateState & { [HELPERS]?: IsolateMetrics };
  let m = state[HELPERS];
  if (m === undefined) {
    const registry = state.registry;
    m = {
      get id() {
        return state.id;
      },
      registry,
      timestamps: state.timestamps,
      flush: (o) => state.flush(o),
      nextFlushIn: (ms) => state.nextFlushIn(ms),
      stats: () => state.stats(),
      counter: (o) => getOrCreate(state, o.name, "counter", o.labelNames, () => new Counter({ ...o, registry })),
      gauge: (o) => getOrCreate(state, o.name, "gauge", o.labelNames, () => new Gauge({ ...o, registry })),
      histogram: (o) => getOrCreate(state, o.name, "histogram", o.labelNames, () => new Histogram({ ...o, registry })),
      summary: (o) => getOrCreate(state, o.name, "summary", o.labelNames, () => new Summary({ ...o, registry })),
    };
    Object.defineProperty(state, HELPERS, { value: m, enumerable: false });
  }
  return m;
}
