/**
 * The client API every adapter exports (`remoteWrite`, `pushgateway`, `flushAll`), built from
 * the few things a runtime hands in: how to read the environment, how to unref the sender's timers,
 * and how to hook process exit. Runtime-agnostic; the adapters are the only callers, each
 * exporting the three as separate functions so that a bundler drops the ones a program does not
 * use (a Worker that only writes never carries the Pushgateway client).
 */

import { makePushgateway } from "../client/pushgateway/client.ts";
import type { Connect, ConnectionOptions } from "../client/http/connection.ts";
import { trackingHooks, type PeriodicHandle, type PeriodicHooks, type StartPeriodic } from "../client/periodic.ts";
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
  /** Let timers not keep the process alive: the sender loop's, `collectEvery`/`pushEvery` ticks. */
  readonly unrefTimer?: UnrefTimer;
  /** Called once, when the first writer (or periodic handle) that wants exit handling is created. */
  readonly installExitHooks?: (writers: OpenWriters) => void;
  /** The scheduler of `collectEvery`/`pushEvery`, where there is a process to run it (not on Workers). */
  readonly startPeriodic?: StartPeriodic;
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

function hookExit(glue: RuntimeGlue, open: OpenWriters): void {
  if (glue.installExitHooks !== undefined && !hooked.has(open)) {
    hooked.add(open);
    glue.installExitHooks(open);
  }
}

/**
 * Periodic handles' runtime side: unref'd ticks, a final run that keeps the process alive, and —
 * when `exit` is given — the final run made by the exit hooks (within what is left of their deadline).
 */
function periodicHooks(glue: RuntimeGlue, open: OpenWriters, exit: { readonly timeoutMs: number; readonly finish?: (handle: PeriodicHandle, timeoutMs: number) => Promise<unknown> } | undefined): PeriodicHooks {
  return {
    unrefTimer: glue.unrefTimer,
    holdOpen: keepAlive,
    onStart: (handle) => {
      if (exit === undefined) return;
      hookExit(glue, open);
      open.trackTask(handle, (ms) => (exit.finish ?? ((h, t) => h.stop({ timeoutMs: t })))(handle, ms), exit.timeoutMs);
    },
    onStop: (handle) => open.untrackTask(handle),
  };
}

/**
 * A runtime's writer: options completed from the environment when no `url` is given, tracked for
 * the exit hooks unless `flushOnExit` is false.
 * @example export const remoteWrite = (o?: RuntimeRemoteWriteOptions) => runtimeRemoteWrite(glue, open, o);
 */
export function runtimeRemoteWrite(glue: RuntimeGlue, open: OpenWriters, options: RuntimeRemoteWriteOptions = {}): RemoteWriter {
  const { flushOnExit = true, exitTimeoutMs = DEFAULT_EXIT_TIMEOUT_MS, ...rest } = options;
  let resolved: RemoteWriteOptions = { ...glue.defaults, ...remoteWriteOptionsFromEnv(glue.getEnv, rest) };
  if (rest.url === undefined && glue.connectionFromEnv !== undefined) resolved = glue.connectionFromEnv(rest, resolved);
  const hooks = { unrefTimer: glue.unrefTimer, holdOpen: keepAlive, connect: glue.connect, openSpool: glue.openSpool, startPeriodic: glue.startPeriodic };
  if (!flushOnExit) return makeRemoteWriterInternals(resolved, { ...hooks, periodic: periodicHooks(glue, open, undefined) }).writer;
  hookExit(glue, open);
  const made = makeRemoteWriterInternals(resolved, { ...hooks, onClose: () => open.untrack(made.writer), periodic: periodicHooks(glue, open, { timeoutMs: exitTimeoutMs }) });
  open.track(made.writer, exitTimeoutMs, made.spoolNow);
  return made.writer;
}

/**
 * A runtime's Pushgateway client: `url`, `job` and credentials from the environment when no
 * `url` is given; its `pushEvery` handles make their final push in the exit hooks (then, with
 * `deleteOnClose`, the client's last handle closes it: the group is deleted).
 * @example export const pushgateway = (o: PushgatewayEnvOptions) => runtimePushgateway(glue, open, o);
 */
export function runtimePushgateway(glue: RuntimeGlue, open: OpenWriters, options: PushgatewayEnvOptions): PushgatewayClient {
  const { flushOnExit = true, exitTimeoutMs = DEFAULT_EXIT_TIMEOUT_MS, ...rest } = options;
  let resolved = pushgatewayOptionsFromEnv(glue.getEnv, rest);
  if (rest.url === undefined && glue.connectionFromEnv !== undefined) resolved = glue.connectionFromEnv(rest, resolved);
  const running = new Set<PeriodicHandle>();
  const finish = async (handle: PeriodicHandle, timeoutMs: number): Promise<void> => {
    try {
      await handle.stop({ timeoutMs });
    } finally {
      // stop() took it out of `running`; the last one out closes the client (deleteOnClose).
      if (resolved.deleteOnClose === true && running.size === 0) await client.close();
    }
  };
  const hooks = periodicHooks(glue, open, flushOnExit ? { timeoutMs: exitTimeoutMs, finish } : undefined);
  const client: PushgatewayClient = makePushgateway(resolved, {
    startPeriodic: glue.startPeriodic,
    connect: glue.connect,
    periodic: trackingHooks(running, hooks),
  });
  return client;
}
