/**
 * The client API every adapter exports (`remoteWrite`, `pushgateway`, `flushAll`), built from
 * the few things a runtime hands in: how to read the environment, how to unref the sender's timers,
 * and how to hook process exit. Runtime-agnostic; the adapters are the only callers, each
 * exporting the three as separate functions so that a bundler drops the ones a program does not
 * use (a Worker that only writes never carries the Pushgateway client).
 */

import { pushgateway as makePushgateway } from "../client/pushgateway/client.ts";
import type { Connect, ConnectionOptions } from "../client/http/connection.ts";
import type { PushgatewayClient } from "../client/pushgateway/options.ts";
import type { OpenSpool } from "../client/remote-write/writer-front.ts";
import type { RemoteWriteOptions } from "../client/remote-write/options.ts";
import type { RemoteWriter } from "../client/remote-write/remote-writer.ts";
import { makeRemoteWriterInternals, type UnrefTimer } from "../client/remote-write/writer.ts";
import { pushgatewayOptionsFromEnv, remoteWriteOptionsFromEnv, type GetEnv } from "./env-config.ts";
import { OpenWriters } from "./open-writers.ts";
import type { PushgatewayEnvOptions, RuntimeRemoteWriteOptions } from "./api.ts";

/** What a runtime hands in. */
export interface RuntimeGlue {
  /** Read one environment variable (or binding). */
  readonly getEnv: GetEnv;
  /** Let the sender loop's timers not keep the process alive. */
  readonly unrefTimer?: UnrefTimer;
  /** Called once, when the first writer that wants exit flushing is created. */
  readonly installExitHooks?: (writers: OpenWriters) => void;
  /** How clients connect (proxy, TLS, SigV4 and OAuth2 data forms); default: plain `fetch`. */
  readonly connect?: Connect;
  /**
   * Completes options from the `PROMWIRE_*` connection variables (SigV4, OAuth2, proxy, TLS
   * files) when the code gives no URL (see env-connection.ts); Node, Deno and Bun.
   */
  readonly connectionFromEnv?: <O extends ConnectionSettings>(given: Partial<O>, resolved: O) => O;
  /** Opens `spool` directories; a runtime without a file system leaves it out, and the option is refused. */
  readonly openSpool?: OpenSpool;
  /** This runtime's defaults for options the code leaves out (e.g. `shards: 1` on Workers). */
  readonly defaults?: Partial<RemoteWriteOptions>;
}

/** The options the connection variables can set. */
export type ConnectionSettings = Pick<ConnectionOptions, "auth" | "proxy" | "tls">;

/** How long an exit hook waits for the writers' flush by default, ms. */
export const DEFAULT_EXIT_TIMEOUT_MS = 5_000;

/** The longest a keep-alive interval could ever wait: it only exists to be cleared. */
const KEEP_ALIVE_INTERVAL_MS = 2 ** 30;

/**
 * The sender's timers do not keep a process alive (a finished job must not wait for a flush
 * deadline), so a `flush()` or `close()` that is waiting out a retry backoff would otherwise let
 * the process end under it — with the data neither delivered nor reported. While either is
 * pending, a plain interval holds the event loop open (Node, Bun and Deno all count it).
 */
function keepAlive<T>(pending: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, KEEP_ALIVE_INTERVAL_MS);
  return pending.finally(() => clearInterval(timer));
}

const hooked = new WeakSet<OpenWriters>();

/**
 * A runtime's writer: options completed from the environment when no `url` is given, tracked for
 * the exit hooks unless `flushOnExit` is false.
 * @example export const remoteWrite = (o?: RuntimeRemoteWriteOptions) => runtimeRemoteWrite(glue, open, o);
 */
export function runtimeRemoteWrite(glue: RuntimeGlue, open: OpenWriters, options: RuntimeRemoteWriteOptions = {}): RemoteWriter {
  const { flushOnExit = true, exitTimeoutMs = DEFAULT_EXIT_TIMEOUT_MS, ...rest } = options;
  let resolved: RemoteWriteOptions = { ...glue.defaults, ...remoteWriteOptionsFromEnv(glue.getEnv, rest) };
  if (rest.url === undefined && glue.connectionFromEnv !== undefined) resolved = glue.connectionFromEnv(rest, resolved);
  const hooks = { unrefTimer: glue.unrefTimer, holdOpen: keepAlive, connect: glue.connect, openSpool: glue.openSpool };
  if (!flushOnExit) return makeRemoteWriterInternals(resolved, hooks).writer;
  if (glue.installExitHooks !== undefined && !hooked.has(open)) {
    hooked.add(open);
    glue.installExitHooks(open);
  }
  const made = makeRemoteWriterInternals(resolved, { ...hooks, onClose: () => open.untrack(made.writer) });
  open.track(made.writer, exitTimeoutMs, made.spoolNow);
  return made.writer;
}

/**
 * A runtime's Pushgateway client: `url`, `job` and credentials from the environment when no `url` is given.
 * @example export const pushgateway = (o: PushgatewayEnvOptions) => runtimePushgateway(glue, o);
 */
export function runtimePushgateway(glue: RuntimeGlue, options: PushgatewayEnvOptions): PushgatewayClient {
  let resolved = pushgatewayOptionsFromEnv(glue.getEnv, options);
  if (options.url === undefined && glue.connectionFromEnv !== undefined) resolved = glue.connectionFromEnv(options, resolved);
  return makePushgateway(resolved, glue.connect);
}
