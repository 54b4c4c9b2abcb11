/**
 * Metrics that live as long as the process or isolate, not the invocation.
 *
 * A Worker isolate serves many requests; a Lambda-style process runs its handler many times. A
 * registry made per invocation pushes counters that restart at 1 every time, which Prometheus
 * reads as a reset per push (`resets()` counts them, `rate()` is garbage). The isolate registry
 * is made once, anchored on `globalThis` under a `Symbol.for` key (so two copies of promwire in
 * one bundle still share it): counters stay cumulative, gauges keep the last value written, and
 * {@link IsolateState.flush} sends it all in one batch per interval, with timestamps that never
 * go back for any series (see {@link SeriesTimestamps}), one flush in flight at a time.
 */

import { familiesToSeries } from "../exposition/to-series.ts";
import type { RemoteWriter } from "../client/remote-write/remote-writer.ts";
import type { RemoteWriteOptions } from "../client/remote-write/options.ts";
import { systemClock, type Clock } from "../metrics/clock.ts";
import { Registry, type RegistryOptions } from "../metrics/registry.ts";
import type { MetricFamily } from "../exposition/model.ts";
import { closeWithin, DEFAULT_FLUSH_DEADLINE_MS, EDGE_REMOTE_WRITE_DEFAULTS, type FlushReport } from "./flush.ts";
import { SeriesTimestamps, type SeriesTimestampsOptions } from "./series-timestamps.ts";

/** The `globalThis` key of the store (versioned: a future incompatible shape gets a new key). */
export const ISOLATE_STORE_KEY = Symbol.for("promwire.isolate-metrics.v1");

/** Options of {@link isolateMetrics}; only the first call for a `name` uses them. */
export interface IsolateMetricsOptions {
  /** Which shared set: one per name per isolate. Default `"default"`. */
  readonly name?: string;
  /** Cardinality cap for every metric (see `RegistryOptions.maxSeriesPerMetric`). Default 1,000. */
  readonly maxSeriesPerMetric?: number;
  /** Labels on every series (e.g. `{ service: "api" }`). */
  readonly defaultLabels?: Readonly<Record<string, string>>;
  /**
   * A label whose value is this isolate's random id ({@link IsolateState.id}), added to every
   * series. Many isolates (or processes) run at once, each with its own cumulative counter: they
   * must not write the same series, or the receiver sees values jump back and forth (false
   * resets) and refuses samples as out of order. Aggregate with `sum without (isolate) (rate(…))`.
   * `false` when only one process ever writes these series. Default `"isolate"`.
   */
  readonly isolateLabel?: string | false;
  /** Per-series timestamp policy settings. */
  readonly timestamps?: SeriesTimestampsOptions;
  /** Time source. Default the system clock. */
  readonly clock?: Clock;
}

/** Options of {@link IsolateState.flush}. */
export interface IsolateFlushOptions {
  /**
   * Make the writer for this flush; called only when a flush runs, and closed by it. It gets
   * settings sized for an isolate ({@link EDGE_REMOTE_WRITE_DEFAULTS}) to spread into its
   * options. In a Worker make it per invocation (I/O objects cannot cross requests). Do not give
   * it a `timestamps` policy: the flush restamps itself.
   */
  readonly writer: (defaults: Partial<RemoteWriteOptions>) => RemoteWriter;
  /** Least time between two flushes, ms; calls in between return undefined. Default 10,000. */
  readonly intervalMs?: number;
  /** Flush even if the interval has not passed (still never two at once). */
  readonly force?: boolean;
  /** Give up after this long, ms: keep it below `waitUntil`'s 30 s. Default 25,000. */
  readonly deadlineMs?: number;
}

/** Counts of {@link IsolateState.flush} calls. */
export interface IsolateStats {
  /** Flushes started. */
  readonly flushes: number;
  /** Calls that found the interval not yet passed. */
  readonly notDue: number;
  /** Calls that found another flush still running. */
  readonly busy: number;
  /** Flushes given up on as lost (still "running" long past their deadline, e.g. cancelled with their request). */
  readonly lost: number;
  /** Samples abandoned at a deadline, over all flushes. */
  readonly abandoned: number;
  /** The last finished flush's report. */
  readonly lastReport: FlushReport | undefined;
  /** A flush is running now. */
  readonly flushing: boolean;
}

/** The isolate-wide registry and its flushing: see {@link isolateState} (and `isolateMetrics`, which adds get-or-create helpers). */
export interface IsolateState {
  /** This isolate's random id (16 hex digits), made on first use (Workers refuse random numbers in global scope). */
  readonly id: string;
  /** The shared registry. Register metrics once, or use the get-or-create helpers below. */
  readonly registry: Registry;
  /** The per-series timestamp policy every flush uses. */
  readonly timestamps: SeriesTimestamps;
  /**
   * Snapshot the registry and send it, if the interval has passed and no other flush is running;
   * else return undefined. Hand the promise to `ctx.waitUntil`. It never rejects.
   */
  flush(options: IsolateFlushOptions): Promise<FlushReport> | undefined;
  /** Milliseconds until `intervalMs` will have passed since the last flush started (0: a flush is due now). */
  nextFlushIn(intervalMs: number): number;
  stats(): IsolateStats;
}

type Store = Map<string, IsolateState>;

function store(): Store {
  const g = globalThis as unknown as Record<symbol, Store | undefined>;
  let s = g[ISOLATE_STORE_KEY];
  if (s === undefined) {
    s = new Map();
    Object.defineProperty(globalThis, ISOLATE_STORE_KEY, { value: s, enumerable: false, configurable: true, writable: false });
  }
  return s;
}

function randomId(): string {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/**
 * The isolate-wide (process-wide) registry and flushing of this name: created on the first call,
 * the same object on every later call in this isolate, even from another copy of promwire.
 * (`isolateMetrics` adds get-or-create helpers for the metric types; this alone carries none of
 * them, so a Worker bundles only the metric types it uses.)
 * @example const iso = isolateState({ name: "withMetrics" }); new Counter({ name: "x_total", help: "X.", registry: iso.registry });
 */
export function isolateState(options: IsolateMetricsOptions = {}): IsolateState {
  const name = options.name ?? "default";
  const s = store();
  let m = s.get(name);
  if (m === undefined) {
    m = createIsolateState(options);
    s.set(name, m);
  }
  return m;
}

/** Forget the isolate metrics of a name (tests; a later `isolateMetrics` starts afresh). */
export function dropIsolateMetrics(name = "default"): boolean {
  return store().delete(name);
}

/**
 * The isolate's registry: the isolate label is added on the first snapshot, not at creation,
 * because Workers refuse random numbers in global scope (where the isolate metrics are made).
 */
class IsolateRegistry extends Registry {
  constructor(
    options: RegistryOptions,
    private readonly beforeCollect: () => void,
  ) {
    super(options);
  }

  override collect(): MetricFamily[] {
    this.beforeCollect();
    return super.collect();
  }
}

function createIsolateState(options: IsolateMetricsOptions): IsolateState {
  let id: string | undefined;
  const getId = (): string => (id ??= randomId());
  const clock = options.clock ?? systemClock;
  const isolateLabel = options.isolateLabel ?? "isolate";
  const defaultLabels = { ...(options.defaultLabels ?? {}) };
  let labelled = isolateLabel === false;
  const registry: Registry = new IsolateRegistry({ defaultLabels, maxSeriesPerMetric: options.maxSeriesPerMetric ?? 1_000 }, () => {
    if (labelled) return;
    labelled = true;
    registry.setDefaultLabels({ ...defaultLabels, [isolateLabel as string]: getId() });
  });
  const timestamps = new SeriesTimestamps(options.timestamps);
  let inFlight: { since: number; deadlineMs: number } | undefined;
  let lastStart: number | undefined;
  let flushes = 0;
  let notDue = 0;
  let busy = 0;
  let lost = 0;
  let abandoned = 0;
  let lastReport: FlushReport | undefined;

  const flush = (o: IsolateFlushOptions): Promise<FlushReport> | undefined => {
    const now = clock.now();
    if (inFlight !== undefined) {
      // A flush whose request was cancelled never settles: do not wait for it forever.
      if (now - inFlight.since <= 2 * inFlight.deadlineMs) {
        busy++;
        return undefined;
      }
      lost++;
      inFlight = undefined;
    }
    const interval = o.intervalMs ?? 10_000;
    if (!o.force && lastStart !== undefined && now - lastStart < interval) {
      notDue++;
      return undefined;
    }
    const deadlineMs = o.deadlineMs ?? DEFAULT_FLUSH_DEADLINE_MS;
    const mine = { since: now, deadlineMs };
    inFlight = mine;
    lastStart = now;
    flushes++;
    const run = async (): Promise<FlushReport> => {
      const t0 = clock.monotonic();
      let enqueued = 0;
      let writer: RemoteWriter | undefined;
      try {
        writer = o.writer({ ...EDGE_REMOTE_WRITE_DEFAULTS });
        const t = clock.now();
        const { series, metadata } = familiesToSeries(registry.collect(), { timestamp: t, version: writer.protocol });
        const stamped = timestamps.apply(series, t);
        for (const x of stamped) enqueued += (x.samples?.length ?? 0) + (x.histograms?.length ?? 0);
        writer.write(stamped, metadata);
      } catch (error) {
        // Nothing was sent: the values stay in the registry for the next flush.
        await writer?.close({ timeoutMs: 0 }).catch(() => undefined);
        return { enqueued, sent: 0, failed: 0, dropped: 0, abandoned: 0, timedOut: false, elapsedMs: clock.monotonic() - t0, error };
      }
      const r = await closeWithin(writer, { deadlineMs, clock });
      return { ...r, enqueued, elapsedMs: clock.monotonic() - t0 };
    };
    return run()
      .catch((error: unknown): FlushReport => ({ enqueued: 0, sent: 0, failed: 0, dropped: 0, abandoned: 0, timedOut: false, elapsedMs: 0, error }))
      .then((report) => {
        abandoned += report.abandoned;
        lastReport = report;
        return report;
      })
      .finally(() => {
        if (inFlight === mine) inFlight = undefined;
      });
  };

  return {
    get id() {
      return getId();
    },
    registry,
    timestamps,
    flush,
    nextFlushIn: (intervalMs) => (lastStart === undefined ? 0 : Math.max(0, lastStart + intervalMs - clock.now())),
    stats: () => ({ flushes, notDue, busy, lost, abandoned, lastReport, flushing: inFlight !== undefined }),
  };
}
