/**
 * The remote-write writer, Effect first: the front that takes data (writer-front.ts) and the
 * sender loop (sender.ts) exposed as Effects. The Promise API (writer.ts, through
 * send-engine.ts) and the Effect services (`promwire/effect`) are both derived from
 * {@link effectWriter}.
 */

import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import { ClosedError, PromwireError } from "../../errors.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import { WriteRequestEncoder } from "../../wire/encode.ts";
import type { MetricMetadata, ProtocolVersion, Series } from "../../wire/types.ts";
import type { Connect } from "../http/connection.ts";
import type { RemoteWriteOptions, WriterStats } from "./options.ts";
import type { CloseOptions } from "./remote-writer.ts";
import { encodeEntries, reportFailed, senderLoop, type SenderDeps } from "./sender.ts";
import type { SpoolHandle } from "./spool/handle.ts";
import { settled } from "./state-effects.ts";
import { WriterFront } from "./writer-front.ts";
import { runOptions } from "../run-options.ts";

export type { OpenSpool } from "./writer-front.ts";

/** A writer and what only promwire's own code uses of it. */
export interface WriterInternals {
  readonly writer: RemoteWriterEffect;
  /**
   * In a process's last moments (a signal the CLI reports, `process.exit()`): write everything
   * not yet delivered to the spool, synchronously. Returns the samples spooled (0 without a spool).
   */
  readonly spoolNow: () => number;
  /** The spool, if any. */
  readonly spool: SpoolHandle | undefined;
}

/** Starts a writer's sender loop: on Effect's default runtime, in an Effect user's context, or with timers that let a process end. */
export type LoopRunner = (loop: Effect.Effect<void>) => Fiber.Fiber<void>;

/** The remote-write writer as Effects. */
export interface RemoteWriterEffect {
  /** Enqueue series; fails with {@link ClosedError} after close. */
  readonly write: (series: readonly Series[], metadata?: readonly MetricMetadata[]) => Effect.Effect<void, ClosedError>;
  /**
   * Snapshot and enqueue a registry, stamped with the writer's clock — or `after + 1` ms when the
   * clock is not past `after` (a periodic collector's snapshots then never repeat or go back in
   * time, whatever the clock does). Succeeds with the timestamp used.
   */
  readonly collect: (source: Collectable, options?: { readonly after?: number }) => Effect.Effect<number, PromwireError>;
  /** Parse exposition text and enqueue it; fails with `ParseError` on a bad page. */
  readonly writeText: (text: string) => Effect.Effect<void, PromwireError>;
  /** Wait until everything enqueued so far is settled. */
  readonly flush: Effect.Effect<WriterStats>;
  /** Flush, refuse further data, stop; every call completes with the same stats. */
  readonly close: (options?: CloseOptions) => Effect.Effect<WriterStats>;
  readonly stats: Effect.Effect<WriterStats>;
  readonly metrics: Collectable;
  readonly protocol: Effect.Effect<ProtocolVersion>;
  /** True once close started (read synchronously by the Promise API). */
  readonly isClosed: () => boolean;
  /** The protocol now (read synchronously by the Promise API). */
  readonly currentProtocol: () => ProtocolVersion;
  /** Counts now (read synchronously by the Promise API). */
  readonly currentStats: () => WriterStats;
}

/**
 * Run a throwing call: promwire's typed errors fail, anything else is a defect.
 * @example attemptSync(() => parseExposition(text)) // Effect<MetricFamily[], PromwireError>
 */
export function attemptSync<A>(f: () => A): Effect.Effect<A, PromwireError> {
  return Effect.suspend(() => {
    try {
      return Effect.succeed(f());
    } catch (e) {
      return e instanceof PromwireError ? Effect.fail(e) : Effect.die(e);
    }
  });
}

/**
 * A writer; its sender loop starts with the first data, through `runLoop` (default: Effect's
 * default runtime); `connect` (default: the plain one, without proxy, TLS settings or the SigV4
 * and OAuth2 data forms) is the runtime's.
 * @example const rw = makeWriter({ url }); yield* rw.collect(registry); yield* rw.close();
 */
export function makeWriter(options: RemoteWriteOptions, runLoop: LoopRunner = defaultLoopRunner, connect?: Connect): RemoteWriterEffect {
  return effectWriter(new WriterFront(options, { connect }), runLoop).writer;
}

/** Runs a sender loop on Effect's default runtime. */
export const defaultLoopRunner: LoopRunner = (loop) => Effect.runFork(loop, runOptions());

/**
 * The Effect writer on a front that may already hold data (the Promise API queues data before
 * its sender is loaded): the sender loop starts now if there is, else with the first data.
 * @example const rw = effectWriter(new WriterFront({ url }), defaultLoopRunner);
 */
export function effectWriter(front: WriterFront, runLoop: LoopRunner): WriterInternals {
  const { options, resolved, state, intake, now, log, spool } = front;
  const deps: SenderDeps = {
    url: front.url,
    http: { fetch: front.fetch, auth: front.auth, headers: options.headers, timeoutMs: resolved.timeoutMs, now, describeError: front.describeError },
    options: resolved,
    encoder: new WriteRequestEncoder(),
    now,
    random: options.random ?? Math.random,
    onError: front.onError,
    onRetry: options.onRetry,
    onDrop: options.onDrop,
    log,
    spool,
  };
  let fiber: Fiber.Fiber<void> | undefined;
  let closing: Deferred.Deferred<WriterStats> | undefined;
  /** Everything not yet delivered goes to the spool, or is counted as failed (the loop is stopped or about to end). */
  const giveUpUnsettled = (): number => {
    const u = state.takeUnsettled();
    state.abandoned += u.samples;
    if (u.samples === 0) return 0;
    if (spool === undefined) {
      reportFailed(state, deps, u.samples, "closed", 0);
      return 0;
    }
    return spool.keep(state, deps, [...u.requests, ...encodeEntries(state, deps, undefined, u.entries)], "closed");
  };

  const start = (): void => {
    fiber ??= runLoop(senderLoop(state, deps));
  };
  front.onData = start;
  // Queued before the sender was loaded, or left by earlier runs in the spool (sent first).
  if (!state.queue.isEmpty || state.spoolAhead) start();

  const stop = (closeOptions: CloseOptions): Effect.Effect<WriterStats> =>
    Effect.gen(function* () {
      const drain = Effect.gen(function* () {
        yield* settled(state);
        if (closeOptions.markStale && state.delivered.size > 0) {
          const t = now();
          const stale: Series[] = [];
          for (const { labels, last } of state.delivered.values()) {
            stale.push({ labels, samples: [{ value: Number.NaN, timestamp: Math.max(t, last + 1), stale: true }] });
          }
          // Labels already carry the external labels; merging again is a no-op.
          if (intake.add(stale, undefined)) state.signal();
          start();
          yield* settled(state);
        }
      });
      const limit = closeOptions.timeoutMs;
      const timedOut =
        limit === undefined ? yield* Effect.as(drain, false) : yield* drain.pipe(Effect.as(false), Effect.timeoutOrElse({ duration: limit, orElse: () => Effect.succeed(true) }));
      if (timedOut) {
        if (fiber !== undefined) yield* Fiber.interrupt(fiber);
        fiber = undefined;
        giveUpUnsettled();
      }
      state.stopping = true;
      state.signal();
      if (fiber !== undefined) yield* Fiber.join(fiber);
      return state.stats();
    });

  const writer: RemoteWriterEffect = {
    write: (series, metadata) => attemptSync(() => front.write(series, metadata)) as Effect.Effect<void, ClosedError>,
    collect: (source, collectOptions) => attemptSync(() => front.collect(source, collectOptions)),
    writeText: (text) => attemptSync(() => front.writeText(text)),
    flush: Effect.map(settled(state), () => state.stats()),
    close: (closeOptions = {}) =>
      Effect.suspend(() => {
        if (closing !== undefined) return Deferred.await(closing);
        const done = Deferred.makeUnsafe<WriterStats>();
        closing = done;
        state.closed = true;
        // Every later close() waits for this one, whatever its end (an Effect user's scope may interrupt it).
        return stop(closeOptions).pipe(Effect.onExit((exit) => Deferred.done(done, exit)));
      }),
    stats: Effect.sync(() => state.stats()),
    metrics: front.metrics,
    protocol: Effect.sync(() => state.protocol),
    isClosed: () => state.closed,
    currentProtocol: () => state.protocol,
    currentStats: () => state.stats(),
  };
  return {
    writer,
    spool,
    spoolNow: () => {
      if (spool === undefined) return 0;
      state.closed = true;
      return giveUpUnsettled();
    },
  };
}
