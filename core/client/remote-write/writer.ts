/**
 * The remote-write writer, Promise API: derived once from the Effect writer (effect-writer.ts).
 * Writes enqueue and return at once; the sender loop batches, sends and retries in the
 * background; `flush()` and `close()` wait for it.
 */

import * as Effect from "effect/Effect";
import { makeWriterInternals, type LoopRunner, type OpenSpool, type RemoteWriterEffect } from "./effect-writer.ts";
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
  /** Opens `options.spool` (runtimes with a file system). */
  readonly openSpool?: OpenSpool;
}

/**
 * The Promise form of an Effect writer.
 * @example const rw = promiseWriter(makeWriter({ url }));
 */
export function promiseWriter(w: RemoteWriterEffect, hooks: WriterHooks = {}): RemoteWriter {
  const hold = hooks.holdOpen ?? (<T>(p: Promise<T>): Promise<T> => p);
  let closing: Promise<WriterStats> | undefined;
  return {
    collect: (source) => Effect.runSync(w.collect(source)),
    write: (series, metadata) => Effect.runSync(w.write(series, metadata)),
    writeText: (text) => Effect.runSync(w.writeText(text)),
    flush: () => hold(Effect.runPromise(w.flush)),
    close(options) {
      if (closing === undefined) {
        hooks.onClose?.();
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
  return makeRemoteWriterInternals(options, hooks).writer;
}

/**
 * {@link makeRemoteWriter}, with `spoolNow` for a process's last moments (see `WriterInternals`).
 * @example const { writer, spoolNow } = makeRemoteWriterInternals({ url, spool: { dir } }, { openSpool });
 */
export function makeRemoteWriterInternals(options: RemoteWriteOptions, hooks: WriterHooks = {}): { writer: RemoteWriter; spoolNow: () => number } {
  const internals = makeWriterInternals(options, hooks.runLoop, { openSpool: hooks.openSpool });
  return { writer: promiseWriter(internals.writer, hooks), spoolNow: internals.spoolNow };
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
  return makeRemoteWriter(options);
}
