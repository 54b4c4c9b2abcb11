/**
 * The remote-write writer, Promise API: derived once from the Effect writer (effect-writer.ts).
 * Writes enqueue and return at once; the sender loop batches, sends and retries in the
 * background; `flush()` and `close()` wait for it.
 */

import * as Effect from "effect/Effect";
import { redactUrl } from "../http/auth.ts";
import { periodicUnavailable, startPeriodic, type PeriodicHandle, type PeriodicHooks, type PeriodicTask, type StartPeriodic } from "../periodic.ts";
import { makeWriter, type LoopRunner, type RemoteWriterEffect } from "./effect-writer.ts";
import type { RemoteWriteOptions, WriterStats } from "./options.ts";
import type { RemoteWriter } from "./remote-writer.ts";

/** What a runtime adds to a writer, handed in at construction. */
export interface WriterHooks {
  /** Starts the sender loop (default: Effect's default runtime). */
  readonly runLoop?: LoopRunner;
  /**
   * Wraps every pending `flush()`/`close()` promise, e.g. to keep a process alive while it waits
   * (the loop's own timers may not).
   */
  readonly holdOpen?: <T>(pending: Promise<T>) => Promise<T>;
  /** Called once, when `close()` is first called (e.g. to stop tracking the writer for exit hooks). */
  readonly onClose?: () => void;
  /**
   * The scheduler behind `collectEvery` (a runtime entry hands it in where there is a process to
   * run it; without it, `collectEvery` throws — and a Worker's bundle does not carry it).
   */
  readonly startPeriodic?: StartPeriodic;
  /** Timers and exit tracking of `collectEvery` handles. */
  readonly periodic?: PeriodicHooks;
  /** How `collectEvery`'s failure log names the receiver (default: the writer names none). */
  readonly describe?: string;
  /** Where `collectEvery`'s failure log goes. Default `console.warn`. */
  readonly log?: (message: string) => void;
}

/**
 * The Promise form of an Effect writer.
 * @example const rw = promiseWriter(makeWriter({ url }));
 */
export function promiseWriter(w: RemoteWriterEffect, hooks: WriterHooks = {}): RemoteWriter {
  const hold = hooks.holdOpen ?? (<T>(p: Promise<T>): Promise<T> => p);
  let closing: Promise<WriterStats> | undefined;
  const handles = new Set<PeriodicHandle>();
  const periodic = hooks.periodic ?? {};
  return {
    collect: (source) => {
      Effect.runSync(w.collect(source));
    },
    collectEvery(source, intervalMs, options = {}) {
      const start = hooks.startPeriodic;
      if (start === undefined) throw periodicUnavailable("collectEvery");
      if (w.isClosed()) Effect.runSync(w.write([])); // throws the writer's ClosedError
      // This handle's snapshots carry strictly increasing timestamps, whatever the clock does
      // (frozen, coarse, stepped back by NTP): a receiver refuses a repeated or older timestamp
      // for a series, and Prometheus then drops the whole request.
      let last: number | undefined;
      const task: PeriodicTask = {
        source,
        run: async (snapshot, _final, signal) => {
          const before = w.currentStats();
          last = Effect.runSync(w.collect(snapshot, { after: last }));
          // Wait until this snapshot is settled, so that a slow receiver makes ticks skip rather
          // than snapshots pile up in the queue. Not held open: a tick must not keep a process alive.
          const after = await Effect.runPromise(w.flush, { signal });
          // Samples given up on were reported by the writer's onError: count the run, say nothing more.
          return after.failed + after.dropped === before.failed + before.dropped;
        },
        kind: "collect",
        target: hooks.describe ?? "a remote-write writer",
        log: hooks.log ?? ((m) => console.warn(m)),
        waitAbandoned: false,
      };
      return start(task, intervalMs, options, {
          ...periodic,
          onStart: (h) => {
            handles.add(h);
            periodic.onStart?.(h);
          },
          onStop: (h) => {
            handles.delete(h);
            periodic.onStop?.(h);
          },
      });
    },
    write: (series, metadata) => Effect.runSync(w.write(series, metadata)),
    writeText: (text) => Effect.runSync(w.writeText(text)),
    flush: () => hold(Effect.runPromise(w.flush)),
    close(options) {
      if (closing === undefined) {
        hooks.onClose?.();
        // Each running collectEvery takes its final snapshot (synchronously, in stop()) before
        // the writer stops taking data; close's own flush then delivers it.
        for (const h of [...handles]) h.stop().catch(() => {});
        closing = hold(Effect.runPromise(w.close(options)));
      }
      return closing;
    },
    stats: w.currentStats,
    metrics: w.metrics,
    get protocol() {
      return w.currentProtocol();
    },
    get closed() {
      return w.isClosed();
    },
  };
}

/**
 * Create a remote-write writer with hooks (runtime entries use this; see `remoteWrite`).
 * @example const rw = makeRemoteWriter({ url }, { runLoop: (loop) => Effect.runFork(loop) });
 */
export function makeRemoteWriter(options: RemoteWriteOptions, hooks: WriterHooks = {}): RemoteWriter {
  const w = makeWriter(options, hooks.runLoop);
  return promiseWriter(w, { ...hooks, describe: hooks.describe ?? redactUrl(options.url), log: hooks.log ?? options.log });
}

/**
 * Create a remote-write writer.
 *
 * @example
 * const rw = remoteWrite({ url: "http://localhost:9090/api/v1/write", auth: { username, password } });
 * rw.collect(registry);   // returns at once
 * await rw.close();       // flush, then stop
 */
export function remoteWrite(options: RemoteWriteOptions): RemoteWriter {
  return makeRemoteWriter(options, { startPeriodic });
}
