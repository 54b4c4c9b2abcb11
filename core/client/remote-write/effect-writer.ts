/**
 * The remote-write writer, Effect first: the shared state (state.ts), the intake (intake.ts) and
 * the sender loop (sender.ts) exposed as Effects. The Promise API (writer.ts) and the Effect
 * services (`promwire/effect`) are both derived from {@link makeWriter}.
 */

import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import { ClosedError, PromwireError, ValidationError } from "../../errors.ts";
import { parseExposition } from "../../exposition/parse.ts";
import { familiesToSeries } from "../../exposition/to-series.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import { WriteRequestEncoder } from "../../wire/encode.ts";
import type { MetricMetadata, ProtocolVersion, Series } from "../../wire/types.ts";
import { splitUrlCredentials } from "../http/auth.ts";
import type { FetchLike } from "../http/types.ts";
import { Intake } from "./intake.ts";
import { resolveOptions, type RemoteWriteOptions, type SpoolOptions, type WriterStats } from "./options.ts";
import type { CloseOptions } from "./remote-writer.ts";
import { encodeEntries, reportFailed, senderLoop, type SenderDeps } from "./sender.ts";
import type { SpoolHandle } from "./spool/handle.ts";
import { WriterState } from "./state.ts";

/**
 * Opens a writer's spool: given by a runtime with a file system (see spool/spool.ts), so that
 * the spool's code stays out of the writers of runtimes without one.
 */
export type OpenSpool = (options: SpoolOptions, target: URL) => SpoolHandle;

/** What a runtime adds to the Effect writer. */
export interface WriterExtras {
  readonly openSpool?: OpenSpool;
}

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
  /** Snapshot and enqueue a registry. */
  readonly collect: (source: Collectable) => Effect.Effect<void, PromwireError>;
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
 * default runtime).
 * @example const rw = makeWriter({ url }); yield* rw.collect(registry); yield* rw.close();
 */
export function makeWriter(options: RemoteWriteOptions, runLoop: LoopRunner = (loop) => Effect.runFork(loop), extras: WriterExtras = {}): RemoteWriterEffect {
  return makeWriterInternals(options, runLoop, extras).writer;
}

/**
 * {@link makeWriter}, with the internals promwire's runtimes and CLI use.
 * @example const { writer, spoolNow } = makeWriterInternals({ url, spool: { dir } }, runLoop, { openSpool });
 */
export function makeWriterInternals(options: RemoteWriteOptions, runLoop: LoopRunner = (loop) => Effect.runFork(loop), extras: WriterExtras = {}): WriterInternals {
  const resolved = resolveOptions(options);
  const { url, auth } = splitUrlCredentials(options.url, options.auth);
  if (options.spool !== undefined && extras.openSpool === undefined) {
    throw new ValidationError("option-invalid", "spool: this runtime has no file system for a spool (use promwire/node, /bun or /deno; on Workers, push from a Durable Object instead)");
  }
  // Opened now: a directory that cannot be used is an error of remoteWrite() itself.
  const spool = options.spool === undefined ? undefined : extras.openSpool!(options.spool, url);
  const now = options.now ?? Date.now;
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const log = options.log ?? ((m: string) => console.warn(m));
  const state = new WriterState(resolved.protocol, resolved.maxPendingSamples);
  const intake = new Intake(state, options, resolved, now);
  const deps: SenderDeps = {
    url,
    http: { fetch: fetchFn, auth, headers: options.headers, timeoutMs: resolved.timeoutMs, now },
    options: resolved,
    encoder: new WriteRequestEncoder(),
    now,
    random: options.random ?? Math.random,
    // Without an onError, failures are logged: silently losing data is the one thing not to do.
    onError: options.onError ?? ((e) => log(`promwire: ${e.message}`)),
    onRetry: options.onRetry,
    onDrop: options.onDrop,
    log,
    spool,
  };
  let fiber: Fiber.Fiber<void> | undefined;
  let closing: Deferred.Deferred<WriterStats> | undefined;
  // What earlier runs left for this target goes out first, even if this run writes nothing.
  if (spool?.waiting()) {
    state.spoolAhead = true;
    fiber = runLoop(senderLoop(state, deps));
  }

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

  const enqueue = (series: readonly Series[], metadata: readonly MetricMetadata[] | undefined): void => {
    if (state.closed) throw new ClosedError();
    const wake = intake.add(series, metadata);
    if (state.queue.isEmpty) return;
    fiber ??= runLoop(senderLoop(state, deps));
    if (wake) state.signal();
  };

  const stop = (closeOptions: CloseOptions): Effect.Effect<WriterStats> =>
    Effect.gen(function* () {
      const drain = Effect.gen(function* () {
        yield* state.settled;
        if (closeOptions.markStale && state.delivered.size > 0) {
          const t = now();
          const stale: Series[] = [];
          for (const { labels, last } of state.delivered.values()) {
            stale.push({ labels, samples: [{ value: Number.NaN, timestamp: Math.max(t, last + 1), stale: true }] });
          }
          // Labels already carry the external labels; merging again is a no-op.
          if (intake.add(stale, undefined)) state.signal();
          fiber ??= runLoop(senderLoop(state, deps));
          yield* state.settled;
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
    write: (series, metadata) => attemptSync(() => enqueue(series, metadata)) as Effect.Effect<void, ClosedError>,
    collect: (source) =>
      attemptSync(() => {
        if (state.closed) throw new ClosedError();
        const { series, metadata } = familiesToSeries(source.collect(), { timestamp: now(), version: state.protocol });
        enqueue(series, metadata);
      }),
    writeText: (text) =>
      attemptSync(() => {
        if (state.closed) throw new ClosedError();
        const { series, metadata } = familiesToSeries(parseExposition(text), { timestamp: now(), version: state.protocol });
        enqueue(series, metadata);
      }),
    flush: Effect.map(state.settled, () => state.stats()),
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
    metrics: {
      collect: () => {
        state.metrics.pending = state.queue.samples;
        return state.metrics.collect(resolved.shards, spool?.families(state));
      },
    },
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
