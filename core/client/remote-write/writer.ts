/**
 * The remote-write writer, Promise API. Writes go to the writer's front (writer-front.ts) and
 * return at once; the sender — the Effect writer (effect-writer.ts), with Effect, the encoders
 * and snappy — is loaded when the first data is queued or `flush()`/`close()` is first called
 * (send-engine.ts), and from then on `flush()` and `close()` are the Effect writer's, run as
 * promises. A job pays for the sender only once it has something to send.
 */

import type { RemoteWriteOptions, WriterStats } from "./options.ts";
import type { RemoteWriter } from "./remote-writer.ts";
import type { Connect } from "../http/connection.ts";
import type { SendEngine } from "./send-engine.ts";
import { WriterFront } from "./writer-front.ts";

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
}

/**
 * Create a remote-write writer with hooks (runtime entries use this; see `remoteWrite`).
 * @example const rw = makeRemoteWriter({ url }, { unrefTimer: (t) => t.unref() });
 */
export function makeRemoteWriter(options: RemoteWriteOptions, hooks: WriterHooks = {}): RemoteWriter {
  const front = new WriterFront(options, hooks.connect);
  const hold = hooks.holdOpen ?? (<T>(p: Promise<T>): Promise<T> => p);
  let engine: Promise<SendEngine> | undefined;
  const load = (): Promise<SendEngine> =>
    (engine ??= import("./send-engine.ts").then((m) => m.attachSender(front, hooks.unrefTimer)));
  front.onData = () => {
    // The loop starts once the sender is loaded (then with this data); a failed load is said
    // once here, and again by whoever waits on flush() or close().
    load().catch((e: unknown) => front.log(`promwire: the remote-write sender could not be loaded: ${e instanceof Error ? e.message : String(e)}`));
  };
  let closing: Promise<WriterStats> | undefined;
  return {
    collect: (source) => front.collect(source),
    write: (series, metadata) => front.write(series, metadata),
    writeText: (text) => front.writeText(text),
    // Until the sender is loaded nothing was ever queued: there is nothing to wait for, and the
    // Effect writer would answer with these same counts.
    flush: () => (engine === undefined ? Promise.resolve(front.state.stats()) : hold(load().then((e) => e.flush()))),
    close(options = {}) {
      if (closing === undefined) {
        hooks.onClose?.();
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
  return makeRemoteWriter(options, { connect });
}
