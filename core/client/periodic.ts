/**
 * Periodic collection for jobs that live minutes (`rw.collectEvery`, `pg.pushEvery`): the loop
 * every user otherwise writes by hand, with the parts a hand-written loop gets wrong —
 * - never two runs of one handle in flight: a tick that finds the previous run still going is
 *   skipped and counted (a slow or hung endpoint must not pile requests up behind it);
 * - `jitter: true` delays the first run by up to 10 % of the interval, so a fleet started by the
 *   same cron line does not push in the same second;
 * - a final run on `stop()` (the last values, not those of the last tick), and the exit hooks of a
 *   runtime entry call it too;
 * - tick timers that a runtime can `unref`: they never keep a finished process alive, while a
 *   pending final run does (through the runtime's `holdOpen`).
 * What a run does (a Pushgateway push, a remote-write collect) is the caller's; runtime-agnostic.
 */

import type { MetricFamily } from "../exposition/model.ts";
import type { Collectable } from "../metrics/collectable.ts";
import { TimeoutError, ValidationError } from "../errors.ts";

/** Options of `collectEvery` and `pushEvery`. */
export interface PeriodicOptions {
  /**
   * Delay the first run by a random time up to 10 % of the interval (default: the first run
   * starts at once), so that many processes started together do not all send in the same second.
   */
  readonly jitter?: boolean;
  /**
   * Send the handle's own metrics (`promwire_periodic_runs_total`, `…_skipped_total`,
   * `…_failures_total`) along with the source's in every run. Default false (they are always
   * readable from `handle.metrics`).
   */
  readonly selfMetrics?: boolean;
  /**
   * Called for every run that failed (the final one included, which `stop()` also rejects with).
   * Default: the first failure of a streak is logged, and the recovery, not every tick.
   */
  readonly onError?: (error: unknown) => void;
  /** Random numbers in [0, 1) for the jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** Options of {@link PeriodicHandle.stop}. */
export interface PeriodicStopOptions {
  /** Make the final run with the source's current values. Default true; false just stops. */
  readonly final?: boolean;
  /**
   * Give up on the final run after this long, ms: it is aborted and `stop()` rejects with a
   * `TimeoutError` (exit hooks pass what is left of their deadline). Default: the run's own
   * timeouts only.
   */
  readonly timeoutMs?: number;
}

/** Counts of a handle so far. */
export interface PeriodicStats {
  /** Runs started: ticks that ran, and the final run. */
  readonly runs: number;
  /** Ticks skipped because the previous run was still in flight. */
  readonly skipped: number;
  /** Runs that failed. */
  readonly failed: number;
  /** When the last successful run ended (ms since the epoch), if one did. */
  readonly lastSuccessAt: number | undefined;
}

/** A running `collectEvery` / `pushEvery`. */
export interface PeriodicHandle {
  /**
   * Stop the ticks; a run still in flight is abandoned (aborted where it can be: its values are
   * superseded); then the final run, unless `{ final: false }`. Resolves when the final run is
   * done and rejects with its error if it failed. Idempotent: every call returns the same promise.
   */
  stop(options?: PeriodicStopOptions): Promise<void>;
  /** True once `stop()` was called (or the client closed). */
  readonly stopped: boolean;
  /** The interval, ms. */
  readonly intervalMs: number;
  /** Counts so far. */
  stats(): PeriodicStats;
  /** The handle's own metrics: `promwire_periodic_runs_total`, `…_skipped_total`, `…_failures_total`. */
  readonly metrics: Collectable;
}

/** What a runtime hands the scheduler. */
export interface PeriodicHooks {
  /** Let a tick timer not keep the process alive (Node/Bun `timer.unref()`, Deno `Deno.unrefTimer`). Default: ordinary timers. */
  readonly unrefTimer?: (timer: ReturnType<typeof setTimeout>) => void;
  /** Wraps the pending `stop()` promise, e.g. to keep the process alive until the final run is done. */
  readonly holdOpen?: <T>(pending: Promise<T>) => Promise<T>;
  /** Called when a handle starts (a runtime tracks it for its exit hooks)… */
  readonly onStart?: (handle: PeriodicHandle) => void;
  /** …and when it stops. */
  readonly onStop?: (handle: PeriodicHandle) => void;
}

/**
 * `hooks` that also keep `handles` current: the running handles of one client, which it stops
 * when it closes.
 * @example start(task, ms, options, trackingHooks(handles, hooks.periodic))
 */
export function trackingHooks(handles: Set<PeriodicHandle>, hooks: PeriodicHooks = {}): PeriodicHooks {
  return {
    ...hooks,
    onStart: (h) => {
      handles.add(h);
      hooks.onStart?.(h);
    },
    onStop: (h) => {
      handles.delete(h);
      hooks.onStop?.(h);
    },
  };
}

/**
 * One run: send what `source` holds now (the handle's own metrics appended with `selfMetrics`).
 * `final` is true for the run `stop()` makes; `signal` is aborted when `stop()` abandons a
 * periodic run in flight. Rejects when the run failed; resolves `false` for a failure already
 * reported elsewhere (a writer's `onError`): counted, not passed to `onError`.
 */
export type PeriodicRun = (source: Collectable, final: boolean, signal: AbortSignal) => Promise<boolean | void>;

/** Shortest interval accepted, ms: below it, timers and requests cost more than they tell. */
export const MIN_INTERVAL_MS = 10;

/** Longest interval accepted, ms (about 24.8 days): timers take a signed 32-bit delay, and a longer one fires at once. */
export const MAX_INTERVAL_MS = 2 ** 31 - 1;

/** Share of the interval the first run may be delayed by with `jitter: true`. */
export const JITTER_SHARE = 0.1;

/** Share of the interval a periodic request may take before it is timed out. */
export const TIMEOUT_SHARE = 0.9;

/**
 * Check an interval, ms.
 * @example checkInterval(2_000, "pushEvery") // 2000
 */
export function checkInterval(intervalMs: number, what: string): number {
  if (typeof intervalMs !== "number" || !(intervalMs >= MIN_INTERVAL_MS && intervalMs <= MAX_INTERVAL_MS)) {
    throw new ValidationError("option-invalid", `${what}: the interval must be a number of milliseconds from ${MIN_INTERVAL_MS} to ${MAX_INTERVAL_MS}, got ${String(intervalMs)}`);
  }
  return intervalMs;
}

/**
 * The timeout of one periodic request: the client's, but below the interval, so that a hung
 * endpoint is given up on before the next tick and that tick can try afresh with newer values.
 * @example periodicTimeoutMs(30_000, 2_000) // 1800
 */
export function periodicTimeoutMs(clientTimeoutMs: number, intervalMs: number): number {
  return Math.max(1, Math.min(clientTimeoutMs, Math.floor(intervalMs * TIMEOUT_SHARE)));
}

/** A run's promise; a run that throws instead of rejecting becomes a rejection. */
function attempt<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (e) {
    return Promise.reject(e);
  }
}

function counter(name: string, help: string, value: number): MetricFamily {
  return { name, type: "counter", help, samples: [{ name, labels: [], value }] };
}

/** What a handle runs, for {@link startPeriodic}. */
export interface PeriodicTask {
  /** What each run sends. */
  readonly source: Collectable;
  readonly run: PeriodicRun;
  /** What a run does, for messages: `"push"`, `"add"`, `"collect"`. */
  readonly kind: string;
  /** Where it sends, for messages (credentials removed), e.g. `http://pg:9091/metrics/job/x`. */
  readonly target: string;
  readonly log: (message: string) => void;
  /**
   * Whether `stop()` waits for an abandoned run to end before the final run starts. Default
   * true (two requests must never overlap); false when runs only wait for something else to send
   * (`collectEvery`, whose final snapshot must be taken synchronously, before the writer closes).
   */
  readonly waitAbandoned?: boolean;
}

/**
 * Run `task` every `intervalMs`: at once (or after the jitter), then on every tick whose previous
 * run has ended.
 *
 * @example
 * const handle = startPeriodic({ source: registry, run: (s, final, signal) => push(s, signal), kind: "push", target: url, log: console.warn }, 2_000, { jitter: true }, {});
 * await handle.stop(); // the final push
 */
export function startPeriodic(task: PeriodicTask, intervalMs: number, options: PeriodicOptions, hooks: PeriodicHooks): PeriodicHandle {
  checkInterval(intervalMs, task.kind === "collect" ? "collectEvery" : "pushEvery");
  const { source, run, log } = task;
  const describe = `periodic ${task.kind} ${task.kind === "collect" ? "for" : "to"} ${task.target}`;
  let runs = 0;
  let skipped = 0;
  let failed = 0;
  let lastSuccessAt: number | undefined;
  let streak = 0;
  let logged = false;
  let inFlight: { readonly done: Promise<void>; readonly abort: AbortController } | undefined;
  let stopping: Promise<void> | undefined;
  let first: ReturnType<typeof setTimeout> | undefined;
  let every: ReturnType<typeof setInterval> | undefined;

  const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  const onError =
    options.onError ??
    ((e: unknown): void => {
      // One line per streak: a gateway down for an hour at a 2 s interval must not print 1,800.
      if (logged) return;
      logged = true;
      log(`promwire: ${describe} failed: ${message(e)} (further failures are counted in promwire_periodic_failures_total until one succeeds)`);
    });
  const succeeded = (): void => {
    lastSuccessAt = Date.now();
    if (logged) log(`promwire: ${describe} succeeded again after ${streak} failed run${streak === 1 ? "" : "s"}`);
    logged = false;
    streak = 0;
  };
  const failedQuietly = (): void => {
    failed++;
    streak++;
  };
  const failedWith = (e: unknown): void => {
    failed++;
    streak++;
    try {
      onError(e);
    } catch {
      // the user's reporting failed: nothing better to report it to
    }
  };

  let sent: Collectable = source;

  const tick = (): void => {
    if (stopping !== undefined) return;
    if (inFlight !== undefined) {
      skipped++;
      return;
    }
    runs++;
    const abort = new AbortController();
    const done = attempt(() => run(sent, false, abort.signal)).then(
      (ok) => {
        if (abort.signal.aborted) return;
        if (ok === false) failedQuietly();
        else succeeded();
      },
      (e: unknown) => {
        // A run abandoned by stop() did not fail: the final run supersedes it.
        if (!abort.signal.aborted) failedWith(e);
      },
    );
    inFlight = { done, abort };
    void done.finally(() => {
      if (inFlight?.done === done) inFlight = undefined;
    });
  };

  const startTicking = (): void => {
    tick();
    if (stopping !== undefined) return;
    every = setInterval(tick, intervalMs);
    hooks.unrefTimer?.(every);
  };

  const metrics: Collectable = {
    collect: () => [
      counter("promwire_periodic_runs_total", "Periodic runs started (pushes or collections), the final one included.", runs),
      counter("promwire_periodic_skipped_total", "Ticks skipped because the previous run was still in flight.", skipped),
      counter("promwire_periodic_failures_total", "Periodic runs that failed.", failed),
    ],
  };

  const handle: PeriodicHandle = {
    stop(stopOptions = {}) {
      if (stopping !== undefined) return stopping;
      clearTimeout(first);
      clearInterval(every);
      const previous = inFlight;
      previous?.abort.abort();
      const final = (): Promise<void> => {
        runs++;
        const abort = new AbortController();
        const limit = stopOptions.timeoutMs;
        const timer = limit === undefined ? undefined : setTimeout(() => abort.abort(), limit);
        const ran = attempt(() => run(sent, true, abort.signal)).then(
          (ok) => ok,
          (e: unknown) => {
            throw abort.signal.aborted && limit !== undefined ? new TimeoutError(task.target, limit) : e;
          },
        );
        return ran.finally(() => clearTimeout(timer)).then(
          (ok) => {
            if (ok === false) failedQuietly();
            else succeeded();
          },
          (e: unknown) => {
            failedWith(e);
            throw e;
          },
        );
      };
      const stop = async (): Promise<void> => {
        if (stopOptions.final === false) {
          await previous?.done;
          return;
        }
        if (task.waitAbandoned === false) {
          // Started now, synchronously: see PeriodicTask.waitAbandoned.
          await Promise.all([final(), previous?.done]);
          return;
        }
        if (previous !== undefined) {
          await previous.done;
          // An aborted fetch's connection is closed on the runtime's next turn: let that happen
          // before the final request opens another, so the server never sees the two overlap.
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        return final();
      };
      // Set before onStop runs, so that `stopped` reads true inside it.
      stopping = Promise.resolve();
      hooks.onStop?.(handle);
      const hold = hooks.holdOpen ?? (<T>(p: Promise<T>): Promise<T> => p);
      stopping = hold(stop());
      return stopping;
    },
    get stopped() {
      return stopping !== undefined;
    },
    intervalMs,
    stats: () => ({ runs, skipped, failed, lastSuccessAt }),
    metrics,
  };

  if (options.selfMetrics === true) sent = { collect: () => [...source.collect(), ...metrics.collect()] };
  hooks.onStart?.(handle);
  if (options.jitter === true) {
    const delay = Math.floor((options.random ?? Math.random)() * JITTER_SHARE * intervalMs);
    first = setTimeout(startTicking, delay);
    hooks.unrefTimer?.(first);
  } else {
    startTicking();
  }
  return handle;
}

/** {@link startPeriodic}'s type: what a runtime hands its clients (Workers hand nothing: no process to run in). */
export type StartPeriodic = typeof startPeriodic;

/**
 * Why `collectEvery`/`pushEvery` are refused where no scheduler was handed in (Workers).
 * @example throw periodicUnavailable("pushEvery")
 */
export function periodicUnavailable(what: string): ValidationError {
  return new ValidationError(
    "option-invalid",
    `${what} is for processes (Node, Deno, Bun): a Worker's timers stop with its request; use withMetrics, which pushes the isolate's metrics after each request (README: Cloudflare Workers)`,
  );
}

/**
 * A handle that never runs (for a writer that discards everything): stopped from the start.
 * @example const handle = idleHandle(15_000); handle.stopped // true
 */
export function idleHandle(intervalMs: number): PeriodicHandle {
  return {
    stop: () => Promise.resolve(),
    stopped: true,
    intervalMs,
    stats: () => ({ runs: 0, skipped: 0, failed: 0, lastSuccessAt: undefined }),
    metrics: { collect: () => [] },
  };
}
