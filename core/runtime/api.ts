/**
 * The client API every runtime entry (`promwire/node`, `/deno`, `/bun`, `/workers`) exports, and
 * its options: the clients' own, where the URL and credentials may come from the environment,
 * plus exit handling. Types only (no Effect).
 */

import type { PushgatewayClient, PushgatewayOptions } from "../client/pushgateway/options.ts";
import type { RemoteWriteOptions } from "../client/remote-write/options.ts";
import type { RemoteWriter } from "../client/remote-write/remote-writer.ts";
import type { FlushAllResult } from "./open-writers.ts";

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

/** Pushgateway options where `url` (and `job`) may come from the environment, plus exit handling. */
export interface PushgatewayEnvOptions extends Partial<PushgatewayOptions> {
  /**
   * When the process ends (the same hooks as `remoteWrite`'s `flushOnExit`), each running
   * `pushEvery` makes its final push; then, with `deleteOnClose`, the group is deleted. Default
   * true. Workers have no process: see `withMetrics`.
   */
  readonly flushOnExit?: boolean;
  /** How long the exit hooks wait for those final pushes, ms. Default 5,000. */
  readonly exitTimeoutMs?: number;
}

/** `remoteWrite`, `pushgateway` and `flushAll`, as every runtime entry exports them. */
export interface RuntimeClientApi {
  /**
   * A remote-write writer. Without `options.url`, the options come from the environment
   * (`PROMWIRE_REMOTE_WRITE_URL`, `PROMWIRE_USERNAME`/`PROMWIRE_PASSWORD` or
   * `PROMWIRE_BEARER_TOKEN`, `PROMWIRE_PROTOCOL`, `PROMWIRE_EXTERNAL_LABELS`, `PROMWIRE_TIMEOUT_MS`,
   * `PROMWIRE_SPOOL_DIR`; on Node, Deno and Bun also `PROMWIRE_SIGV4_*`, `PROMWIRE_OAUTH2_*`,
   * `PROMWIRE_PROXY_URL`, `PROMWIRE_TLS_*_FILE`).
   * @example const rw = remoteWrite({ url, auth: { sigv4: { region: "eu-west-1" } }, proxy: "http://proxy:3128" });
   */
  remoteWrite(options?: RuntimeRemoteWriteOptions): RemoteWriter;
  /** A Pushgateway client; without `options.url`, `PROMWIRE_PUSHGATEWAY_URL` (and `PROMWIRE_JOB`, credentials). */
  pushgateway(options: PushgatewayEnvOptions): PushgatewayClient;
  /** Flush every open writer made here (those with `flushOnExit: false` excepted), waiting at most `timeoutMs` (default: the writers' largest `exitTimeoutMs`). */
  flushAll(timeoutMs?: number): Promise<FlushAllResult>;
}
