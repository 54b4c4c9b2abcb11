/**
 * promwire for Node.js: snappy's WASM embedded (compiled on first use, no file access), the
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
import type { RuntimeClientApi } from "../core/runtime/api.ts";
import { runtimePushgateway, runtimeRemoteWrite, type RuntimeGlue } from "../core/runtime/clients.ts";
import { OpenWriters } from "../core/runtime/open-writers.ts";
import { installProcessExitHooks } from "./process-hooks.ts";
import { useEmbeddedSnappy } from "../core/wire/snappy-embedded.ts";
import { unrefLoopRunner } from "./unref-loop-runner.ts";
import { startPeriodic } from "../core/client/periodic.ts";

useEmbeddedSnappy();

export * from "../core/runtime/entry.ts";

const glue: RuntimeGlue = {
  getEnv: (name) => process.env[name],
  runLoop: unrefLoopRunner((timer) => timer.unref()),
  unrefTimer: (timer) => timer.unref(),
  startPeriodic,
  installExitHooks: installProcessExitHooks,
};
const open = /* @__PURE__ */ new OpenWriters();

/** A remote-write writer (options from `process.env` when no `url` is given). */
export const remoteWrite: RuntimeClientApi["remoteWrite"] = (options) => runtimeRemoteWrite(glue, open, options);

/** A Pushgateway client (`PROMWIRE_PUSHGATEWAY_URL`, `PROMWIRE_JOB` when no `url` is given). */
export const pushgateway: RuntimeClientApi["pushgateway"] = (options) => runtimePushgateway(glue, open, options);

/** Flush every open writer, waiting at most `timeoutMs` (default: their `exitTimeoutMs`). */
export const flushAll: RuntimeClientApi["flushAll"] = (timeoutMs = open.exitTimeoutMs) => open.flushAll(timeoutMs);
