/**
 * promwire for Node.js: snappy's WASM embedded (loaded and compiled on first use, no file access),
 * requests over `node:http` (the global `fetch` once something replaced it, a `fetch` option, or
 * node-fetch.ts for a proxy or TLS settings), configuration from `process.env` when no URL is
 * given, and open writers flushed on `beforeExit` and on SIGTERM/SIGINT (within `exitTimeoutMs`,
 * then the signal takes effect);
 * with `spool: { dir }`, what could not be delivered is kept there (node:fs) for the next run.
 *
 * @example
 * import { Counter, Registry, remoteWrite } from "promwire/node";
 * const registry = new Registry();
 * new Counter({ name: "rows_copied_total", help: "Rows copied.", registry }).inc(42);
 * const rw = remoteWrite();   // PROMWIRE_REMOTE_WRITE_URL, PROMWIRE_USERNAME, PROMWIRE_PASSWORD…
 * rw.collect(registry);       // delivered before the process exits
 */
import { readFileSync } from "node:fs";
import { lazyTransport, runtimeConnect } from "../core/client/http/runtime-connect.ts";
import type { Transport } from "../core/client/http/types.ts";
import { withConnectionFromEnv } from "../core/runtime/env-connection.ts";
import type { RuntimeClientApi } from "../core/runtime/api.ts";
import { runtimePushgateway, runtimeRemoteWrite, type RuntimeGlue } from "../core/runtime/clients.ts";
import { OpenWriters } from "../core/runtime/open-writers.ts";
import { installProcessExitHooks } from "./process-hooks.ts";
import { openNodeSpool } from "./spool-node.ts";
import { useEmbeddedSnappyOnDemand } from "../core/wire/snappy-on-demand.ts";
import { startPeriodic } from "../core/client/periodic.ts";

useEmbeddedSnappyOnDemand();

export * from "../core/runtime/entry.ts";

const getEnv = (name: string): string | undefined => process.env[name];

/**
 * Node's own `fetch` as the process started with it, if it is Node's (its lazy undici wrapper):
 * a `fetch` replaced before or after this import (a test's mock, a polyfill, an interceptor) is
 * always the one called.
 */
const startFetch: unknown = globalThis.fetch;
const startFetchIsNodes = typeof startFetch === "function" && /undici/.test(Function.prototype.toString.call(startFetch));
let nodeHttp: Promise<Transport> | undefined;
/** Plain connections send over `node:http` (node-http.ts: why), unless `fetch` was replaced. */
const direct: Transport = async (input, init) =>
  startFetchIsNodes && globalThis.fetch === startFetch
    ? (await (nodeHttp ??= import("./node-http.ts").then((m) => m.nodeHttpSend)))(input, init)
    : globalThis.fetch(input, init);
const glue: RuntimeGlue = {
  getEnv,
  unrefTimer: (timer) => timer.unref(),
  startPeriodic,
  installExitHooks: installProcessExitHooks,
  // Node 20's fetch knows no proxy, CA or client certificate: node-fetch.ts does, loaded when needed.
  connect: runtimeConnect({ getEnv, readsProxyEnv: true, transport: lazyTransport(() => import("./node-fetch.ts").then((m) => m.nodeFetch)), direct }),
  connectionFromEnv: (given, resolved) => withConnectionFromEnv(getEnv, (path) => readFileSync(path, "utf8"), given, resolved),
  openSpool: openNodeSpool,
};
const open = /* @__PURE__ */ new OpenWriters();

/** A remote-write writer (options from `process.env` when no `url` is given). */
export const remoteWrite: RuntimeClientApi["remoteWrite"] = (options) => runtimeRemoteWrite(glue, open, options);

/** A Pushgateway client (`PROMWIRE_PUSHGATEWAY_URL`, `PROMWIRE_JOB` when no `url` is given). */
export const pushgateway: RuntimeClientApi["pushgateway"] = (options) => runtimePushgateway(glue, open, options);

/** Flush every open writer, waiting at most `timeoutMs` (default: their `exitTimeoutMs`). */
export const flushAll: RuntimeClientApi["flushAll"] = (timeoutMs = open.exitTimeoutMs) => open.flushAll(timeoutMs);
