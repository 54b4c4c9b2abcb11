/**
 * promwire for Bun: snappy's WASM embedded (loaded and compiled on first use, no file access), Bun's `fetch` (with its `proxy` and
 * `tls` options when a client sets them; it reads `HTTPS_PROXY`/`NO_PROXY` itself), configuration
 * from `process.env` when no URL is given, and open writers flushed on `beforeExit` and on
 * SIGTERM/SIGINT (within `exitTimeoutMs`, then the signal takes effect).
 *
 * @example
 * import { Counter, Registry, remoteWrite } from "promwire/bun";
 * const registry = new Registry();
 * new Counter({ name: "rows_copied_total", help: "Rows copied.", registry }).inc(42);
 * const rw = remoteWrite();   // PROMWIRE_REMOTE_WRITE_URL, PROMWIRE_USERNAME, PROMWIRE_PASSWORD…
 * rw.collect(registry);       // delivered before the process exits
 */
// Bun runs Node's process model (process.env, beforeExit, signals, unref'd timers): the Node
// adapter's hooks are Bun's too; only the transport for proxies and TLS is Bun's own fetch.
import { lazyTransport, runtimeConnect } from "../core/client/http/runtime-connect.ts";
import { withConnectionFromEnv } from "../core/runtime/env-connection.ts";
import type { RuntimeClientApi } from "../core/runtime/api.ts";
import { runtimePushgateway, runtimeRemoteWrite, type RuntimeGlue } from "../core/runtime/clients.ts";
import { OpenWriters } from "../core/runtime/open-writers.ts";
import { useEmbeddedSnappyOnDemand } from "../core/wire/snappy-on-demand.ts";
import { installProcessExitHooks } from "./process-hooks.ts";
import { fsSpoolOpener, type NodeFileModules } from "./spool-fs.ts";
import { startPeriodic } from "../core/client/periodic.ts";

useEmbeddedSnappyOnDemand();

export * from "../core/runtime/entry.ts";

const getEnv = (name: string): string | undefined => process.env[name];
// node:fs, node:os and node:path are taken when first needed, not imported: at import they
// would cost every Bun job 5–8 ms (measured), and only a spool or a certificate file named in
// the environment reads files. Bun has `process.getBuiltinModule` (synchronous, as these callers need).
const fileModules = (): NodeFileModules => ({
  fs: process.getBuiltinModule("node:fs"),
  os: process.getBuiltinModule("node:os"),
  path: process.getBuiltinModule("node:path"),
});
const glue: RuntimeGlue = {
  getEnv,
  unrefTimer: (timer) => timer.unref(),
  installExitHooks: installProcessExitHooks,
  connect: runtimeConnect({ getEnv, readsProxyEnv: false, transport: lazyTransport(() => import("./bun-fetch.ts").then((m) => m.bunFetch)) }),
  connectionFromEnv: (given, resolved) => withConnectionFromEnv(getEnv, (path) => fileModules().fs.readFileSync(path, "utf8"), given, resolved),
  openSpool: fsSpoolOpener(fileModules),
  startPeriodic,
};
const open = /* @__PURE__ */ new OpenWriters();

/** A remote-write writer (options from `process.env` when no `url` is given). */
export const remoteWrite: RuntimeClientApi["remoteWrite"] = (options) => runtimeRemoteWrite(glue, open, options);

/** A Pushgateway client (`PROMWIRE_PUSHGATEWAY_URL`, `PROMWIRE_JOB` when no `url` is given). */
export const pushgateway: RuntimeClientApi["pushgateway"] = (options) => runtimePushgateway(glue, open, options);

/** Flush every open writer, waiting at most `timeoutMs` (default: their `exitTimeoutMs`). */
export const flushAll: RuntimeClientApi["flushAll"] = (timeoutMs = open.exitTimeoutMs) => open.flushAll(timeoutMs);
