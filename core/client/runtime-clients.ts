/**
 * The client API every adapter exports (`remoteWrite`, `pushgateway`, `flushAll`), built from
 * the few things a runtime hands in: how to read the environment, how to run the sender loop,
 * and how to hook process exit. Runtime-agnostic; the adapters are the only callers.
 */

// Per-module imports: through the "effect" barrel, bundlers keep whole namespaces (size matters on Workers).
import * as Effect from "effect/Effect";
import type * as Fiber from "effect/Fiber";
import { pushgatewayOptionsFromEnv, remoteWriteOptionsFromEnv, type GetEnv, type PushgatewayEnvOptions } from "./env-config.ts";
import { OpenWriters, type FlushAllResult } from "./open-writers.ts";
import { pushgateway as makePushgateway, type PushgatewayClient } from "./pushgateway.ts";
import { makeRemoteWriter, type RemoteWriter } from "./remote-write.ts";
import type { RemoteWriteOptions } from "./remote-write-options.ts";

/** `remoteWrite` options on a runtime: `url` may come from the environment, plus exit handling. */
export interface RuntimeRemoteWriteOptions extends Partial<RemoteWriteOptions> {
  /**
   * Flush this writer when the process ends: Node and Bun on `beforeExit` and SIGTERM/SIGINT, Deno
   * on `beforeunload` and SIGTERM/SIGINT. Default true. Workers have no process: use `withMetrics`
   * (or `ctx.waitUntil(rw.close())`).
   */
  readonly flushOnExit?: boolean;
  /** How long an exit hook waits for the flush, ms. Default 5,000. */
  readonly exitTimeoutMs?: number;
}

/** What a runtime hands in. */
export interface RuntimeGlue {
  /** Read one environment variable (or binding). */
  readonly getEnv: GetEnv;
  /** Start a writer's sender loop (e.g. with timers that do not keep the process alive). */
  readonly runLoop?: (loop: Effect.Effect<void>) => Fiber.Fiber<void>;
  /** Called once, when the first writer that wants exit flushing is created. */
  readonly installExitHooks?: (writers: OpenWriters) => void;
}

/** The API of {@link runtimeClients}. */
export interface RuntimeClients {
  /**
   * A remote-write writer. Without `options.url`, the options come from the environment
   * (`PROMWIRE_REMOTE_WRITE_URL`, `PROMWIRE_USERNAME`/`PROMWIRE_PASSWORD` or
   * `PROMWIRE_BEARER_TOKEN`, `PROMWIRE_PROTOCOL`, `PROMWIRE_EXTERNAL_LABELS`, `PROMWIRE_TIMEOUT_MS`).
   */
  remoteWrite(options?: RuntimeRemoteWriteOptions): RemoteWriter;
  /** A Pushgateway client; without `options.url`, `PROMWIRE_PUSHGATEWAY_URL` (and `PROMWIRE_JOB`, credentials). */
  pushgateway(options: PushgatewayEnvOptions): PushgatewayClient;
  /** Flush every open writer made here (those with `flushOnExit: false` excepted), waiting at most `timeoutMs` (default: the writers' largest `exitTimeoutMs`). */
  flushAll(timeoutMs?: number): Promise<FlushAllResult>;
}

export const DEFAULT_EXIT_TIMEOUT_MS = 5_000;

/**
 * A runtime's writer: options completed from the environment when no `url` is given, tracked for
 * the exit hooks unless `flushOnExit` is false.
 * @example export const remoteWrite = (o?: RuntimeRemoteWriteOptions) => runtimeRemoteWrite(glue, open, o);
 */
export function runtimeRemoteWrite(glue: RuntimeGlue, open: OpenWriters, options: RuntimeRemoteWriteOptions = {}): RemoteWriter {
  const { flushOnExit = true, exitTimeoutMs = DEFAULT_EXIT_TIMEOUT_MS, ...rest } = options;
  const writer = keepAliveWhileAwaited(makeRemoteWriter(remoteWriteOptionsFromEnv(glue.getEnv, rest), glue.runLoop ?? ((loop) => Effect.runFork(loop))));
  if (!flushOnExit) return writer;
  if (glue.installExitHooks !== undefined && !hooked.has(open)) {
    hooked.add(open);
    glue.installExitHooks(open);
  }
  return open.track(writer, exitTimeoutMs);
}

const hooked = new WeakSet<OpenWriters>();

/**
 * The sender's timers do not keep a process alive (a finished job must not wait for a flush
 * deadline), so a `flush()` or `close()` that is waiting out a retry backoff would otherwise let
 * the process end under it — with the data neither delivered nor reported. While either is
 * pending, a plain interval holds the event loop open (Node, Bun and Deno all count it).
 */
function keepAliveWhileAwaited(writer: RemoteWriter): RemoteWriter {
  const hold = <T>(p: Promise<T>): Promise<T> => {
    const timer = setInterval(() => {}, 1 << 30);
    return p.finally(() => clearInterval(timer));
  };
  const flush = writer.flush.bind(writer);
  const close = writer.close.bind(writer);
  const w = writer as { flush: RemoteWriter["flush"]; close: RemoteWriter["close"] };
  w.flush = () => hold(flush());
  w.close = (options) => hold(close(options));
  return writer;
}

/**
 * A runtime's Pushgateway client: `url`, `job` and credentials from the environment when no `url` is given.
 * @example export const pushgateway = (o: PushgatewayEnvOptions) => runtimePushgateway(glue, o);
 */
export function runtimePushgateway(glue: RuntimeGlue, options: PushgatewayEnvOptions): PushgatewayClient {
  return makePushgateway(pushgatewayOptionsFromEnv(glue.getEnv, options));
}

/**
 * Build an adapter's client API in one object (adapters export the three functions separately,
 * so a bundler can drop the ones a program does not use).
 * @example const { remoteWrite, pushgateway, flushAll } = runtimeClients({ getEnv: readEnvironmentVariable });
 */
export function runtimeClients(glue: RuntimeGlue): RuntimeClients {
  const open = new OpenWriters();
  return {
    remoteWrite: (options) => runtimeRemoteWrite(glue, open, options),
    pushgateway: (options) => runtimePushgateway(glue, options),
    flushAll: (timeoutMs = open.exitTimeoutMs) => open.flushAll(timeoutMs),
  };
}
