/**
 * promwire for Deno: snappy's WASM embedded (loaded and compiled on first use, no file access), Deno's
 * `fetch`, configuration from `Deno.env` when no URL is given, and open writers flushed when the
 * program ends or is signalled (see deno-hooks.ts). Runs with `--allow-net` alone when the code
 * passes a URL; add `--allow-env` for configuration from the environment, and
 * `--allow-read=DIR --allow-write=DIR` for a `spool: { dir: DIR }`.
 *
 * @example
 * import { Gauge, Registry, remoteWrite } from "jsr:@promwire/promwire/deno";
 * const registry = new Registry();
 * new Gauge({ name: "backup_last_success_timestamp_seconds", help: "Last backup.", registry }).setToCurrentTime();
 * remoteWrite({ url: "https://prom.example/api/v1/write" }).collect(registry);
 */
import { lazyTransport, runtimeConnect } from "../core/client/http/runtime-connect.ts";
import { withConnectionFromEnv } from "../core/runtime/env-connection.ts";
import type { RuntimeClientApi } from "../core/runtime/api.ts";
import { runtimePushgateway, runtimeRemoteWrite, type RuntimeGlue } from "../core/runtime/clients.ts";
import { OpenWriters } from "../core/runtime/open-writers.ts";
import { denoGetEnv, denoReadTextFile, denoUnref, installDenoExitHooks } from "./deno-hooks.ts";
import { openDenoSpool } from "./spool-deno.ts";
import { useEmbeddedSnappyOnDemand } from "../core/wire/snappy-on-demand.ts";
import { startPeriodic } from "../core/client/periodic.ts";
import { useFiberDispatch } from "../core/client/fiber-dispatch.ts";

useEmbeddedSnappyOnDemand();
// Effect's default scheduler would read Deno's lazy `setImmediate` global (see fiber-dispatch.ts).
useFiberDispatch((task) => {
  const timer = setTimeout(task, 0);
  return () => clearTimeout(timer);
});

export * from "../core/runtime/entry.ts";

const glue: RuntimeGlue = {
  getEnv: denoGetEnv,
  unrefTimer: denoUnref,
  installExitHooks: installDenoExitHooks,
  // Deno's fetch reads HTTPS_PROXY/NO_PROXY itself; a proxy option or TLS settings need a Deno.HttpClient.
  connect: runtimeConnect({ getEnv: denoGetEnv, readsProxyEnv: false, transport: lazyTransport(() => import("./deno-fetch.ts").then((m) => m.denoFetch)) }),
  connectionFromEnv: (given, resolved) => withConnectionFromEnv(denoGetEnv, denoReadTextFile, given, resolved),
  openSpool: openDenoSpool,
  startPeriodic,
};
const open = /* @__PURE__ */ new OpenWriters();

/** A remote-write writer (options from `Deno.env` when no `url` is given). */
export const remoteWrite: RuntimeClientApi["remoteWrite"] = (options) => runtimeRemoteWrite(glue, open, options);

/** A Pushgateway client (`PROMWIRE_PUSHGATEWAY_URL`, `PROMWIRE_JOB` when no `url` is given). */
export const pushgateway: RuntimeClientApi["pushgateway"] = (options) => runtimePushgateway(glue, open, options);

/** Flush every open writer, waiting at most `timeoutMs` (default: their `exitTimeoutMs`). */
export const flushAll: RuntimeClientApi["flushAll"] = (timeoutMs = open.exitTimeoutMs) => open.flushAll(timeoutMs);
