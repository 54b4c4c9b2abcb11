/**
 * The remote-write writer, Promise API. Writes go to the writer's front (writer-front.ts) and
 * return at once; the sender — the Effect writer (effect-writer.ts), with Effect, the encoders
 * and snappy — is loaded when the first data is queued or `flush()`/`close()` is first called
 * (send-engine.ts), and from then on `flush()` and `close()` are the Effect writer's, run as
 * promises. A job pays for the sender only once it has something to send.
 */

import type { OpenSpool } from "./writer-front.ts";
import { redactUrl } from "../http/auth.ts";
import { periodicUnavailable, startPeriodic, trackingHooks, type PeriodicHandle, type PeriodicHooks, type PeriodicTask, type StartPeriodic } from "../periodic.ts";
import type { RemoteWriteOptions, WriterStats } from "./options.ts";
import type { RemoteWriter } from "./remote-writer.ts";
import type { Connect } from "../http/connection.ts";
import type { SendEngine } from "./send-engine.ts";
import { WriterFront } from "./writer-front.ts";
import { isSnappyReady, loadSnappy } from "../../wire/snappy.ts";

/** Lets a timer not keep the process alive (a runtime's own way: Node's `unref`, `Deno.unrefTimer`). */
export type UnrefTimer = (timer: ReturnType<typeof setTimeout>) => void;

/** What a runtime adds to a writer, handed in at construction. */
export interface WriterHooks {
  /** The sender loop's sleeps (flush deadline, retry backoff) release their timers with this. */
  readonly unrefTimer?: UnrefTimer;
  /**
   * Wraps every pending `flush()`/`close()` promise, e.g. to keep a process alive while it waits
   * (the loop's own timers may not).
   */
  readonly holdOpen?: <T>(pending: Promise<T>) => Promise<T>;
  /** Called once, when `close()` is first called (e.g. to stop tracking the writer for exit hooks). */
  readonly onClose?: () => void;
  /** How requests are made: the runtime's proxy, TLS and auth-scheme support. Default: plain `fetch`. */
  readonly connect?: Connect;
  /** Opens `options.spool` (runtimes with a file system). */
  readonly openSpool?: OpenSpool;
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
 * Create a remote-write writer with hooks (runtime entries use this; see `remoteWrite`).
 * @example const rw = makeRemoteWriter({ url }, { unrefTimer: (t) => t.unref() });
 */
export function makeRemoteWriter(options: RemoteWriteOptions, hooks: WriterHooks = {}): RemoteWriter {
  return makeRemoteWriterInternals(options, hooks).writer;
}

/**
 * {@link makeRemoteWriter}, with `spoolNow` for a process's last moments: everything not yet
 * delivered written to the spool, synchronously; returns the samples spooled (0 without a spool).
 * @example const { writer, spoolNow } = makeRemoteWriterInternals({ url, spool: { dir } }, { openSpool });
 */
export function makeRemoteWriterInternals(options: RemoteWriteOptions, hooks: WriterHooks = {}): { writer: RemoteWriter; spoolNow: () => number } {
  const front = new WriterFront(options, { connect: hooks.connect, openSpool: hooks.openSpool });
  const hold = hooks.holdOpen ?? (<T>(p: Promise<T>): Promise<T> => p);
  let engine: Promise<SendEngine> | undefined;
  let attached: SendEngine | undefined;
  const load = (): Promise<SendEngine> => {
    if (engine === undefined) {
      // snappy's WASM is fetched and compiled while the sender's modules load, not after: the
      // compile runs on the engine's background threads, and each is a dynamic import (Deno:
      // 5–10 ms apiece at a job's start, measured). A failure is the sender's to report, when it
      // first compresses (sender.ts), as it always was.
      if (!isSnappyReady()) loadSnappy().catch(() => {});
      engine = import("./send-engine.ts")
        .then((m) => m.attachSender(front, hooks.unrefTimer))
        .then((e) => (attached = e));
    }
    return engine;
  };
  const loadInBackground = (): void => {
    // The loop starts once the sender is loaded (then with this data); a failed load is said
    // once here, and again by whoever waits on flush() or close().
    load().catch((e: unknown) => front.log(`promwire: the remote-write sender could not be loaded: ${e instanceof Error ? e.message : String(e)}`));
  };
  front.onData = loadInBackground;
  // A writer with a spool loads its sender at once: files left by earlier runs go out first, and
  // a process's last moments can write what is queued to the spool (spoolNow).
  if (front.spool !== undefined) loadInBackground();
  let closing: Promise<WriterStats> | undefined;
  // The sender's flush (nothing to wait for before it is loaded: nothing was ever queued).
  const settledStats = (signal?: AbortSignal): Promise<WriterStats> => (engine === undefined ? Promise.resolve(front.state.stats()) : load().then((e) => e.flush(signal)));
  const handles = new Set<PeriodicHandle>();
  const writer: RemoteWriter = {
    collect: (source) => {
      front.collect(source);
    },
    collectEvery(source, intervalMs, everyOptions = {}) {
      const start = hooks.startPeriodic;
      if (start === undefined) throw periodicUnavailable("collectEvery");
      if (front.state.closed) front.write([]); // throws the writer's ClosedError
      // This handle's snapshots carry strictly increasing timestamps, whatever the clock does
      // (frozen, coarse, stepped back by NTP): a receiver refuses a repeated or older timestamp
      // for a series, and Prometheus then drops the whole request.
      let last: number | undefined;
      const task: PeriodicTask = {
        source,
        run: async (snapshot, _final, signal) => {
          const before = front.state.stats();
          last = front.collect(snapshot, { after: last });
          // Wait until this snapshot is settled, so that a slow receiver makes ticks skip rather
          // than snapshots pile up in the queue. Not held open: a tick must not keep a process alive.
          const after = await settledStats(signal);
          // Samples given up on were reported by the writer's onError: count the run, say nothing more.
          return after.failed + after.dropped === before.failed + before.dropped;
        },
        kind: "collect",
        target: hooks.describe ?? redactUrl(front.url),
        log: hooks.log ?? front.log,
        waitAbandoned: false,
      };
      return start(task, intervalMs, everyOptions, trackingHooks(handles, hooks.periodic));
    },
    write: (series, metadata) => front.write(series, metadata),
    writeText: (text) => front.writeText(text),
    // Until the sender is loaded nothing was ever queued: there is nothing to wait for, and the
    // Effect writer would answer with these same counts.
    flush: () => hold(settledStats()),
    close(options = {}) {
      if (closing === undefined) {
        hooks.onClose?.();
        // Each running collectEvery takes its final snapshot (synchronously, in stop()) before
        // the writer stops taking data; close's own flush then delivers it.
        for (const h of [...handles]) h.stop().catch(() => {});
        // Refuse writes from now on, not only once the sender is loaded.
        front.state.closed = true;
        if (engine === undefined) {
          closing = Promise.resolve(front.state.stats());
        } else {
          const started = Date.now();
          // The close deadline counts from this call, the sender's loading included.
          const left = (o: typeof options): typeof options => (o.timeoutMs === undefined ? o : { ...o, timeoutMs: Math.max(0, o.timeoutMs - (Date.now() - started)) });
          closing = hold(load().then((e) => e.close(left(options))));
        }
      }
      return closing;
    },
    stats: () => front.state.stats(),
    metrics: front.metrics,
    get protocol() {
      return front.state.protocol;
    },
    get closed() {
      return front.state.closed;
    },
  };
  const spoolNow = (): number => {
    if (front.spool === undefined) return 0;
    // Loading is asynchronous; in the few milliseconds before it ends, what is queued cannot be
    // encoded for the spool: it is counted as failed and reported instead.
    return attached === undefined ? front.giveUpUnloaded() : attached.spoolNow();
  };
  return { writer, spoolNow };
}

/**
 * Create a remote-write writer.
 *
 * @example
 * const rw = remoteWrite({ url: "http://localhost:9090/api/v1/write", auth: { username, password } });
 * rw.collect(registry);   // returns at once
 * await rw.close();       // flush, then stop
 */
export function remoteWrite(options: RemoteWriteOptions, connect?: Connect): RemoteWriter {
  return makeRemoteWriter(options, { connect, startPeriodic });
}
