/**
 * The remote-write writer, Effect first: the shared state (state.ts), the intake (intake.ts) and
 * the sender loop (sender.ts) exposed as Effects. The Promise API (writer.ts) and the Effect
 * services (`promwire/effect`) are both derived from {@link makeWriter}.
 */

import * as Deferred from "effect/Deferred";
import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import { ClosedError, PromwireError, RejectedError } from "../../errors.ts";
import { parseExposition } from "../../exposition/parse.ts";
import { familiesToSeries } from "../../exposition/to-series.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import { WriteRequestEncoder } from "../../wire/encode.ts";
import type { MetricMetadata, ProtocolVersion, Series } from "../../wire/types.ts";
import { splitUrlCredentials } from "../http/auth.ts";
import type { FetchLike } from "../http/types.ts";
import { Intake } from "./intake.ts";
import { notify } from "./notify.ts";
import { resolveOptions, type RemoteWriteOptions, type WriterStats } from "./options.ts";
import type { CloseOptions } from "./remote-writer.ts";
import { senderLoop, type SenderDeps } from "./sender.ts";
import { WriterState } from "./state.ts";

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
 * default runtime).
 * @example const rw = makeWriter({ url }); yield* rw.collect(registry); yield* rw.close();
 */
export function makeWriter(options: RemoteWriteOptions, runLoop: LoopRunner = (loop) => Effect.runFork(loop)): RemoteWriterEffect {
  const resolved = resolveOptions(options);
  const { url, auth } = splitUrlCredentials(options.url, options.auth);
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
    log,
  };
  let fiber: Fiber.Fiber<void> | undefined;
  let closing: Deferred.Deferred<WriterStats> | undefined;

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
        const lost = state.abandon();
        if (lost > 0) notify(options.onError, new RejectedError("closed", lost, 0), { samples: lost, attempts: 0 });
      }
      state.stopping = true;
      state.signal();
      if (fiber !== undefined) yield* Fiber.join(fiber);
      return state.stats();
    });

  return {
    write: (series, metadata) => attemptSync(() => enqueue(series, metadata)) as Effect.Effect<void, ClosedError>,
    collect: (source, collectOptions) =>
      attemptSync(() => {
        if (state.closed) throw new ClosedError();
        const after = collectOptions?.after;
        const timestamp = after === undefined ? now() : Math.max(now(), after + 1);
        const { series, metadata } = familiesToSeries(source.collect(), { timestamp, version: state.protocol });
        enqueue(series, metadata);
        return timestamp;
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
        return state.metrics.collect();
      },
    },
    protocol: Effect.sync(() => state.protocol),
    isClosed: () => state.closed,
    currentProtocol: () => state.protocol,
    currentStats: () => state.stats(),
  };
}
