/**
 * promwire for Node.js: snappy's WASM instantiated at import (embedded, no file access), the
 * global `fetch`, configuration from `process.env` when no URL is given, and open writers flushed
 * on `beforeExit` and on SIGTERM/SIGINT (within `exitTimeoutMs`, then the signal takes effect).
 *
 * @example
 * import { Counter, Registry, remoteWrite } from "promwire/node";
 * const registry = new Registry();
 * new Counter({ name: "rows_copied_total", help: "Rows copied.", registry }).inc(42);
 * const rw = remoteWrite();   // PROMWIRE_REMOTE_WRITE_URL, PROMWIRE_USERNAME, PROMWIRE_PASSWORD…
 * rw.collect(registry);       // delivered before the process exits
 */
import { runtimeClients, type RuntimeClients, type RuntimeGlue } from "../core/client/runtime-clients.ts";
import { installProcessExitHooks } from "./process-hooks.ts";
import { initEmbeddedSnappy } from "./snappy-embedded.ts";
import { unrefLoopRunner } from "./unref-clock.ts";

initEmbeddedSnappy();

export * from "../core/index.ts";

const glue: RuntimeGlue = {
  getEnv: (name) => process.env[name],
  runLoop: unrefLoopRunner((timer) => timer.unref()),
  installExitHooks: installProcessExitHooks,
};
const clients = runtimeClients(glue);

/** A remote-write writer; see `RuntimeClients.remoteWrite` (options from `process.env` when no `url` is given). */
export const remoteWrite: RuntimeClients["remoteWrite"] = clients.remoteWrite;

/** A Pushgateway client (`PROMWIRE_PUSHGATEWAY_URL`, `PROMWIRE_JOB` when no `url` is given). */
export const pushgateway: RuntimeClients["pushgateway"] = clients.pushgateway;

/** Flush every open writer, waiting at most `timeoutMs` (default: their `exitTimeoutMs`). */
export const flushAll: RuntimeClients["flushAll"] = clients.flushAll;
