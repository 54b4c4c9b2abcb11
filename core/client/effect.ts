/**
 * promwire for Effect users: the remote-write writer and the Pushgateway client as services
 * provided by layers, with typed errors, on your own `effect` (a peer dependency of this entry
 * only). The writer's sender loop runs in the layer's context — a `Clock` or scheduler you
 * provide applies to its batching deadline, backoff and timeouts — and closing the layer's scope
 * flushes and stops it. Snappy's WASM is the embedded copy, compiled on first use (on Workers,
 * import `promwire/workers` too: Workers cannot compile WASM from bytes).
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

import * as Clock from "effect/Clock";
import * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import type * as Scope from "effect/Scope";
import type { PromwireError } from "../errors.ts";
import { pushgatewayEffect, type PushgatewayEffect } from "./pushgateway/effect-client.ts";
import type { PushgatewayOptions } from "./pushgateway/options.ts";
import { attemptSync, makeWriter, type RemoteWriterEffect } from "./remote-write/effect-writer.ts";
import type { RemoteWriteOptions } from "./remote-write/options.ts";
import { useEmbeddedSnappy } from "../wire/snappy-embedded.ts";

useEmbeddedSnappy({ fallback: true });

export type { PushgatewayEffect } from "./pushgateway/effect-client.ts";
export type { PushgatewayError, PushgatewayOptions } from "./pushgateway/options.ts";
export type { RemoteWriterEffect } from "./remote-write/effect-writer.ts";
export type { RemoteWriteOptions, WriterStats } from "./remote-write/options.ts";
export type { CloseOptions } from "./remote-write/remote-writer.ts";
export { retrySchedule } from "./http/retry-schedule.ts";
export { retryPolicy, type RetryOptions, type RetryPolicy } from "./http/retry-policy.ts";

// Explicitly typed bases: JSR's fast type check cannot infer a class from a call expression.
const RemoteWriteKey: Context.ServiceClass<RemoteWrite, "promwire/RemoteWrite", RemoteWriterEffect> = Context.Service<RemoteWrite, RemoteWriterEffect>()("promwire/RemoteWrite");
const PushgatewayKey: Context.ServiceClass<Pushgateway, "promwire/Pushgateway", PushgatewayEffect> = Context.Service<Pushgateway, PushgatewayEffect>()("promwire/Pushgateway");

/** Service key of the remote-write writer. */
export class RemoteWrite extends RemoteWriteKey {}

/** Service key of the Pushgateway client. */
export class Pushgateway extends PushgatewayKey {}

/**
 * A writer whose sender loop runs in the current context (your Clock, your scheduler) and which
 * is closed — flushed, then stopped — when the scope ends. Its wall clock (sample timestamps,
 * the flush deadline, the retry budget) is the context's `Clock` unless `options.now` is given.
 * @example Effect.scoped(Effect.gen(function* () { const rw = yield* makeRemoteWrite({ url }); yield* rw.collect(registry) }))
 */
export const makeRemoteWrite = (options: RemoteWriteOptions): Effect.Effect<RemoteWriterEffect, PromwireError, Scope.Scope> =>
  Effect.gen(function* () {
    const context = yield* Effect.context<never>();
    const clock = yield* Clock.Clock;
    const now = options.now ?? (() => clock.currentTimeMillisUnsafe());
    const writer = yield* attemptSync(() => makeWriter({ ...options, now }, (loop) => Effect.runForkWith(context)(loop)));
    yield* Effect.addFinalizer(() => Effect.asVoid(writer.close()));
    return writer;
  });

/**
 * Layer providing {@link RemoteWrite}; fails with `ValidationError` for bad options; closing the
 * layer flushes and stops the writer.
 * @example program.pipe(Effect.provide(remoteWriteLayer({ url, protocol: "v2" })))
 */
export const remoteWriteLayer = (options: RemoteWriteOptions): Layer.Layer<RemoteWrite, PromwireError> => Layer.effect(RemoteWrite, makeRemoteWrite(options));

/**
 * Layer providing {@link Pushgateway}. Fails at construction with `ValidationError` for a bad job or grouping.
 * @example Effect.gen(function* () { yield* (yield* Pushgateway).push(registry) }).pipe(Effect.provide(pushgatewayLayer({ url, job: "backup" })))
 */
export const pushgatewayLayer = (options: PushgatewayOptions): Layer.Layer<Pushgateway, PromwireError> =>
  Layer.effect(
    Pushgateway,
    attemptSync(() => pushgatewayEffect(options)),
  );
