/**
 * `withMetrics`: a Worker's fetch/scheduled handler wrapped so that each invocation gets its
 * metrics and the push happens after the response, in `ctx.waitUntil`. Runtime-agnostic: it
 * needs only a `waitUntil` and a way to make writers (the Workers adapter hands in its
 * `remoteWrite`), so vitest reaches it directly.
 */

import { idleHandle } from "../client/periodic.ts";
import type { RemoteWriteOptions, WriterStats } from "../client/remote-write/options.ts";
import type { RemoteWriter } from "../client/remote-write/remote-writer.ts";
import { Registry } from "../metrics/registry.ts";
import { remoteWriteOptionsFromEnv } from "../runtime/env-config.ts";
import type { RuntimeRemoteWriteOptions } from "../runtime/api.ts";
import { DEFAULT_FLUSH_DEADLINE_MS } from "./flush.ts";
import { isolateState, type IsolateMetricsOptions, type IsolateState } from "./isolate.ts";

/** Default least time between two isolate flushes, ms (`PROMWIRE_FLUSH_INTERVAL_MS` overrides it). */
export const DEFAULT_FLUSH_INTERVAL_MS = 10_000;

/** Default longest time a background push may take, ms (Workers allow about 30 s of `waitUntil`). */
export const DEFAULT_PUSH_TIMEOUT_MS = 10_000;

/** How often a trailing flush looks again whether the running flush has finished, ms. */
const TRAIL_POLL_MS = 100;

/** The first pause before a trailing flush sends again what a failed delivery left waiting, ms (doubling after). */
const TRAIL_RETRY_MS = 1_000;

/** The least time a trailing flush keeps for itself within the `waitUntil` budget, ms. */
const TRAIL_MIN_FLUSH_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A trailing flush: after requests whose own flush was skipped (one was running, or the interval
 * had not passed), flush once more when allowed — so that the last requests' values go out
 * within the interval instead of waiting for a later request that may never come before the
 * isolate is evicted. Runs inside `waitUntil`: it ends by `endsBy()`, the end of the budget of the
 * latest request that handed it to its `waitUntil` (each does: the runtime keeps the isolate for
 * that long), and past the point where a flush would no longer fit, it flushes regardless of the
 * interval. It flushes again if requests ended while its flush ran (`generation` moved on).
 */
async function trailingFlush<O extends { readonly intervalMs: number; readonly deadlineMs: number }>(
  iso: IsolateFlusher<O>,
  options: O,
  generation: () => number,
  endsBy: () => number,
): Promise<void> {
  let sent = -1;
  const firstPause = Math.max(options.intervalMs, TRAIL_RETRY_MS);
  let backoff = firstPause;
  for (;;) {
    const left = endsBy() - Date.now();
    const gen = generation();
    if (left <= 0) return;
    if (gen === sent) {
      // Every request is in a flush; but a delivery that failed left its values waiting (reports
      // to the aggregator), and with no further request nothing would send them: try again after
      // a growing pause, shortened to what still leaves a whole flush time in the budget (never
      // a tight loop: no pause under a second).
      const s = iso.stats();
      if (s.flushing) {
        // A flush is running (a request's own): its delivery may fail too; see how it ends.
        await sleep(Math.min(TRAIL_POLL_MS, left));
        continue;
      }
      if (!((s.pending ?? 0) > 0)) return;
      const wait = Math.min(backoff, left - TRAIL_MIN_FLUSH_MS);
      backoff *= 2;
      if (wait < TRAIL_RETRY_MS) return;
      await sleep(wait);
      const again = iso.flush({ ...options, force: true, deadlineMs: endsBy() - Date.now() });
      if (again === undefined) return; // a request's own flush took over
      await again;
      continue;
    }
    const wait = iso.stats().flushing ? TRAIL_POLL_MS : Math.min(iso.nextFlushIn(options.intervalMs), left - TRAIL_MIN_FLUSH_MS);
    if (wait > 0) {
      await sleep(wait);
      continue;
    }
    const done = iso.flush({ ...options, force: true, deadlineMs: left });
    if (done === undefined) {
      await sleep(TRAIL_POLL_MS);
      continue;
    }
    sent = gen; // the snapshot is taken when flush() is called: it holds every request up to `gen`
    await done;
    // What this flush delivered leaves nothing waiting: a later retry starts from the first pause.
    if (!((iso.stats().pending ?? 0) > 0)) backoff = firstPause;
  }
}

/** What a trailing flush drives: an isolate state's own flushing, or its reports to an aggregator. */
export interface IsolateFlusher<O> {
  /** Start a flush if due (or `force`) and none is running; else undefined. The promise never rejects. */
  flush(options: O & { readonly force?: boolean; readonly deadlineMs?: number }): Promise<unknown> | undefined;
  nextFlushIn(intervalMs: number): number;
  /** `pending`: values a failed delivery left waiting (the trailing flush retries them). */
  stats(): { readonly flushing: boolean; readonly pending?: number };
}

/**
 * Where isolate scope sends its values instead of remote-writing them itself. Made by
 * `reportToAggregator()` (`promwire/workers`), so that only Workers that aggregate bundle it.
 */
export interface IsolateReporting<Env> {
  /** The isolate state to use: its series carry no isolate label (the aggregator merges isolates). */
  readonly state: IsolateMetricsOptions;
  /** The flusher of this isolate's state (called once per isolate). */
  attach(iso: IsolateState): IsolateFlusher<{ readonly env: Env; readonly intervalMs: number; readonly deadlineMs: number }>;
}

/** Makes a writer: the runtime's `remoteWrite`. */
export type WriterFactory = (options: RuntimeRemoteWriteOptions) => RemoteWriter;

/** The part of a Worker's `ExecutionContext` promwire uses. */
export interface WaitUntilContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** What a request handler gets from {@link withMetrics}. */
export interface RequestMetrics<M> {
  /** The isolate's registry (default), or one for this request only with `scope: "request"`. */
  readonly registry: Registry;
  /** What `options.metrics` defined on that registry. */
  readonly metrics: M;
  /** This request's own writer: `write`/`writeText` add more; it is closed after the response, in `ctx.waitUntil`. */
  readonly writer: RemoteWriter;
}

/** A fetch handler that also receives its metrics. */
export type MetricsFetchHandler<Env, M> = (
  request: Request,
  env: Env,
  ctx: WaitUntilContext,
  metrics: RequestMetrics<M>,
) => Response | Promise<Response>;

/** A cron-triggered handler that also receives its metrics. */
export type MetricsScheduledHandler<Env, M> = (controller: unknown, env: Env, ctx: WaitUntilContext, metrics: RequestMetrics<M>) => void | Promise<void>;

/** Options of {@link withMetrics}. */
export interface WithMetricsOptions<Env, M> {
  /**
   * `"isolate"` (default): one registry for the whole isolate, `metrics` defined once; counters
   * stay cumulative across requests and a flush (at most one per `flushIntervalMs`, never two at
   * once) runs in `ctx.waitUntil`. Series carry an `isolate` label (many isolates run at once);
   * aggregate with `sum without (isolate) (…)`. `"request"`: a fresh registry per request, pushed
   * after each response — only for values that belong to one invocation (a counter made per
   * request restarts at 1 every time, and `rate()` of it is 0).
   */
  readonly scope?: "isolate" | "request";
  /**
   * Isolate scope: least time between two flushes, ms (0: after every request unless one is
   * running). Default: `PROMWIRE_FLUSH_INTERVAL_MS` from `env`, else {@link DEFAULT_FLUSH_INTERVAL_MS}.
   */
  readonly flushIntervalMs?: number;
  /** Define the metrics on a registry: once per isolate, or once per request with `scope: "request"`. */
  readonly metrics?: (registry: Registry) => M;
  /**
   * Remote-write options, or a function of `env` returning them. Without a `url`, it and the
   * credentials come from `env`: `PROMWIRE_REMOTE_WRITE_URL`, `PROMWIRE_USERNAME` /
   * `PROMWIRE_PASSWORD` or `PROMWIRE_BEARER_TOKEN`, `PROMWIRE_PROTOCOL`, `PROMWIRE_EXTERNAL_LABELS`.
   */
  readonly remoteWrite?: Partial<RemoteWriteOptions> | ((env: Env) => Partial<RemoteWriteOptions>);
  /** Longest time the background push may take, ms (Workers allow 30 s of `waitUntil`). Default {@link DEFAULT_PUSH_TIMEOUT_MS}. */
  readonly pushTimeoutMs?: number;
  /**
   * Isolate scope: report to the metrics aggregator (a Durable Object) instead of remote-writing
   * from each isolate: one series per label set, no `isolate` label. Pass
   * `reportToAggregator({ binding?, shards? })` from `promwire/workers`.
   */
  readonly aggregate?: IsolateReporting<Env>;
}

/** The handler object a Worker module exports. */
export interface MetricsExportedHandler<Env> {
  fetch?: (request: Request, env: Env, ctx: WaitUntilContext) => Promise<Response>;
  scheduled?: (controller: unknown, env: Env, ctx: WaitUntilContext) => Promise<void>;
}

const NO_STATS: WriterStats = { sent: 0, retried: 0, failed: 0, dropped: 0, pending: 0, requests: 0, retries: 0, abandoned: 0, spooled: 0, resent: 0, evicted: 0 };

/** A writer that accepts everything and sends nothing (the configuration was unusable); it holds no state. */
const DISCARDING: RemoteWriter = {
  collect() {},
  collectEvery: (_source, intervalMs) => idleHandle(intervalMs),
  write() {},
  writeText() {},
  flush: async () => NO_STATS,
  close: async () => NO_STATS,
  stats: () => NO_STATS,
  metrics: { collect: () => [] },
  protocol: "v1",
  closed: false,
};

/** `PROMWIRE_FLUSH_INTERVAL_MS` from the Worker's vars, when set to a number. */
function intervalFromEnv(env: unknown): number | undefined {
  // A var given as a TOML number arrives as a number: both forms count (unset: NaN).
  const n = Number((env as Record<string, unknown> | undefined)?.PROMWIRE_FLUSH_INTERVAL_MS ?? NaN);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function bindingReader(env: unknown): (name: string) => string | undefined {
  return (name) => {
    const v = (env as Record<string, unknown> | undefined)?.[name];
    return typeof v === "string" ? v : undefined;
  };
}

/** The `withMetrics` a runtime exports: see {@link makeWithMetrics}. */
export type WithMetrics = <Env, M = undefined>(
  handler: MetricsFetchHandler<Env, M> | { fetch?: MetricsFetchHandler<Env, M>; scheduled?: MetricsScheduledHandler<Env, M> },
  options?: WithMetricsOptions<Env, M>,
) => MetricsExportedHandler<Env>;

/**
 * `withMetrics` for a runtime whose writers `remoteWrite` makes. The result wraps a Worker's
 * handler: each invocation gets a registry and a writer; once the handler has returned (or
 * thrown), the registry is collected and the writer closed inside `ctx.waitUntil`, so the push
 * never delays the response.
 *
 * @example
 * export const withMetrics = makeWithMetrics(remoteWrite);
 * export default withMetrics({ fetch: (req, env, ctx, m) => new Response("ok") }, { metrics: defineMetrics });
 */
export function makeWithMetrics(remoteWrite: WriterFactory): WithMetrics {
  return (handler, options = {}) => wrap(remoteWrite, handler, options);
}

function wrap<Env, M>(
  remoteWrite: WriterFactory,
  handler: MetricsFetchHandler<Env, M> | { fetch?: MetricsFetchHandler<Env, M>; scheduled?: MetricsScheduledHandler<Env, M> },
  options: WithMetricsOptions<Env, M>,
): MetricsExportedHandler<Env> {
  const h = typeof handler === "function" ? { fetch: handler } : handler;
  const timeoutMs = options.pushTimeoutMs ?? DEFAULT_PUSH_TIMEOUT_MS;
  const perRequest = options.scope === "request";
  let iso: IsolateState | undefined;
  let reporter: IsolateFlusher<{ readonly env: Env; readonly intervalMs: number; readonly deadlineMs: number }> | undefined;
  let isoMetrics: M | undefined;
  let defined = false;
  /**
   * Requests ended so far (isolate scope), the trailing flush that covers them, if running, and
   * when the budget of the latest request that waits for it ends (Date.now() ms).
   */
  let ended = 0;
  let trailer: Promise<void> | undefined;
  let trailerEndsBy = 0;
  const writerOptions = (env: Env): Partial<RemoteWriteOptions> => {
    const given = typeof options.remoteWrite === "function" ? options.remoteWrite(env) : (options.remoteWrite ?? {});
    return remoteWriteOptionsFromEnv(bindingReader(env), given);
  };
  const makeWriter = (env: Env, defaults: Partial<RemoteWriteOptions>): RemoteWriter => {
    try {
      return remoteWrite({ ...defaults, ...writerOptions(env), flushOnExit: false });
    } catch (e) {
      // Broken metrics configuration must not break the Worker's responses: say it, push nothing.
      console.error(`promwire: metrics not pushed: ${e instanceof Error ? e.message : String(e)}`);
      return DISCARDING;
    }
  };

  const begin = (env: Env): RequestMetrics<M> => {
    if (!perRequest) {
      // Module state lives as long as the isolate: define the metrics once.
      iso ??= isolateState(options.aggregate?.state ?? { name: "withMetrics" });
      reporter ??= options.aggregate?.attach(iso);
      if (!defined) {
        defined = true;
        isoMetrics = options.metrics?.(iso.registry);
      }
    }
    const registry = perRequest ? new Registry() : (iso as IsolateState).registry;
    const metrics = (perRequest ? options.metrics?.(registry) : isoMetrics) as M;
    // A writer per invocation: Workers forbid I/O objects shared across requests.
    return { registry, metrics, writer: makeWriter(env, {}) };
  };
  const end = (ctx: WaitUntilContext, m: RequestMetrics<M>, env: Env): void => {
    if (!perRequest) {
      // The request's own writer carries only what the handler wrote to it directly.
      ctx.waitUntil(m.writer.close({ timeoutMs }));
      const flushOptions = {
        env,
        intervalMs: options.flushIntervalMs ?? intervalFromEnv(env) ?? DEFAULT_FLUSH_INTERVAL_MS,
        deadlineMs: Math.min(timeoutMs, DEFAULT_FLUSH_DEADLINE_MS),
        writer: (defaults: Partial<RemoteWriteOptions>): RemoteWriter => makeWriter(env, defaults),
      };
      ended++;
      const target: IsolateFlusher<typeof flushOptions> = reporter ?? (iso as IsolateState);
      // This request's budget: the trailing flush it hands to its waitUntil may run until then.
      const endsBy = Date.now() + flushOptions.deadlineMs;
      const trail = (): Promise<void> => {
        trailerEndsBy = Math.max(trailerEndsBy, endsBy);
        return (trailer ??= trailingFlush(target, flushOptions, () => ended, () => trailerEndsBy).finally(() => {
          trailer = undefined;
        }));
      };
      const done = target.flush(flushOptions);
      if (done === undefined) {
        ctx.waitUntil(trail());
        return;
      }
      // This request's own flush. A delivery of it that fails (a report whose answer was lost)
      // leaves its values waiting; should no request follow, nothing else would send them: the
      // trailing flush retries them, within this request's budget.
      ctx.waitUntil(done.then(() => ((target.stats().pending ?? 0) > 0 ? trail() : undefined)));
      return;
    }
    ctx.waitUntil(
      (async () => {
        try {
          m.writer.collect(m.registry);
        } finally {
          await m.writer.close({ timeoutMs });
        }
      })(),
    );
  };

  const out: MetricsExportedHandler<Env> = {};
  const { fetch: onFetch, scheduled: onScheduled } = h;
  if (onFetch !== undefined) {
    out.fetch = async (request, env, ctx) => {
      const m = begin(env);
      try {
        return await onFetch(request, env, ctx, m);
      } finally {
        end(ctx, m, env);
      }
    };
  }
  if (onScheduled !== undefined) {
    out.scheduled = async (controller, env, ctx) => {
      const m = begin(env);
      try {
        await onScheduled(controller, env, ctx, m);
      } finally {
        end(ctx, m, env);
      }
    };
  }
  return out;
}
