/**
 * promwire for Effect users: the remote-write writer and the Pushgateway client as services
 * provided by layers, with typed errors. The writer's sender loop runs in the layer's context
 * (so a provided `Clock` or scheduler applies) and the layer's scope flushes and closes it.
 *
 * @example
 * import { Effect } from "effect";
 * import { RemoteWrite, remoteWriteLayer } from "promwire/effect";
 *
 * const program = Effect.gen(function* () {
 *   const rw = yield* RemoteWrite;
 *   yield* rw.collect(registry);
 *   const stats = yield* rw.flush;
 * });
 * Effect.runPromise(program.pipe(Effect.provide(remoteWriteLayer({ url }))));
 */

import { Context, Effect, Layer, type Scope } from "effect";
import { ClosedError, PromwireError } from "../errors.ts";
import type { MetricMetadata, ProtocolVersion, Series } from "../wire/types.ts";
import { makeRemoteWriter, type CloseOptions } from "./remote-write.ts";
import type { RemoteWriteOptions, WriterStats } from "./remote-write-options.ts";
import { pushgatewayEffect, type PushgatewayEffect, type PushgatewayOptions } from "./pushgateway.ts";
import type { Collectable } from "./self-metrics.ts";

export { attempt, type AttemptError, type HttpConfig, type HttpRequest, type HttpResponse } from "./http.ts";
export { isRetryable, retryPolicy, retrySchedule, withRetry, type RetryOptions, type RetryPolicy } from "./retry.ts";
export type { PushgatewayEffect, PushgatewayError } from "./pushgateway.ts";

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
  readonly close: (options?: CloseOptions) => Effect.Effect<WriterStats>;
  readonly stats: Effect.Effect<WriterStats>;
  readonly metrics: Collectable;
  readonly protocol: Effect.Effect<ProtocolVersion>;
}

// Explicitly typed bases: JSR's fast type check cannot infer a class from a call expression.
const RemoteWriteKey: Context.ServiceClass<RemoteWrite, "promwire/RemoteWrite", RemoteWriterEffect> = Context.Service<RemoteWrite, RemoteWriterEffect>()("promwire/RemoteWrite");
const PushgatewayKey: Context.ServiceClass<Pushgateway, "promwire/Pushgateway", PushgatewayEffect> = Context.Service<Pushgateway, PushgatewayEffect>()("promwire/Pushgateway");

/** Service key of the remote-write writer. */
export class RemoteWrite extends RemoteWriteKey {}

/** Service key of the Pushgateway client. */
export class Pushgateway extends PushgatewayKey {}

/** Run a throwing call: promwire's typed errors fail, anything else is a defect. */
function attemptSync<A>(f: () => A): Effect.Effect<A, PromwireError> {
  return Effect.suspend(() => {
    try {
      return Effect.succeed(f());
    } catch (e) {
      return e instanceof PromwireError ? Effect.fail(e) : Effect.die(e);
    }
  });
}

/**
 * A writer whose sender loop runs with the current context and which is closed (flushed) when
 * the scope ends.
 * @example Effect.scoped(Effect.gen(function* () { const rw = yield* makeRemoteWrite({ url }); yield* rw.collect(registry) }))
 */
export const makeRemoteWrite = (options: RemoteWriteOptions): Effect.Effect<RemoteWriterEffect, never, Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<never>();
    const writer = makeRemoteWriter(options, (loop) => Effect.runForkWith(context)(loop));
    yield* Effect.addFinalizer(() => Effect.asVoid(Effect.promise(() => writer.close())));
    return {
      write: (series, metadata) =>
        Effect.suspend(() => {
          if (writer.closed) return Effect.fail(new ClosedError());
          writer.write(series, metadata);
          return Effect.void;
        }),
      collect: (source) => attemptSync(() => writer.collect(source)),
      writeText: (text) => attemptSync(() => writer.writeText(text)),
      flush: Effect.promise(() => writer.flush()),
      close: (o) => Effect.promise(() => writer.close(o)),
      stats: Effect.sync(() => writer.stats()),
      metrics: writer.metrics,
      protocol: Effect.sync(() => writer.protocol),
    } satisfies RemoteWriterEffect;
  });

/**
 * Layer providing {@link RemoteWrite}; closing the layer flushes and stops the writer.
 * @example program.pipe(Effect.provide(remoteWriteLayer({ url, protocol: "v2" })))
 */
export const remoteWriteLayer = (options: RemoteWriteOptions): Layer.Layer<RemoteWrite> => Layer.effect(RemoteWrite, makeRemoteWrite(options));

/**
 * Layer providing {@link Pushgateway}. Fails at construction with `ValidationError` for a bad job or grouping.
 * @example Effect.gen(function* () { yield* (yield* Pushgateway).push(registry) }).pipe(Effect.provide(pushgatewayLayer({ url, job: "backup" })))
 */
export const pushgatewayLayer = (options: PushgatewayOptions): Layer.Layer<Pushgateway, PromwireError> =>
  Layer.effect(
    Pushgateway,
    attemptSync(() => pushgatewayEffect(options)),
  );
