/**
 * promwire for Deno: snappy's WASM embedded (compiled on first use, no file access), Deno's
 * `fetch`, configuration from `Deno.env` when no URL is given, and open writers flushed when the
 * program ends or is signalled (see deno-hooks.ts). Runs with `--allow-net` alone when the code
 * passes a URL; add `--allow-env` for configuration from the environment.
 *
 * @example
 * import { Gauge, Registry, remoteWrite } from "jsr:@promwire/promwire/deno";
 * const registry = new Registry();
 * new Gauge({ name: "backup_last_success_timestamp_seconds", help: "Last backup.", registry }).setToCurrentTime();
 * remoteWrite({ url: "https://prom.example/api/v1/write" }).collect(registry);
 */
import type { RuntimeClientApi } from "../core/runtime/api.ts";
import { runtimePushgateway, runtimeRemoteWrite, type RuntimeGlue } from "../core/runtime/clients.ts";
import { OpenWriters } from "../core/runtime/open-writers.ts";
import { denoGetEnv, denoUnref, installDenoExitHooks } from "./deno-hooks.ts";
import { useEmbeddedSnappy } from "../core/wire/snappy-embedded.ts";
import { unrefLoopRunner } from "./unref-loop-runner.ts";
import { startPeriodic } from "../core/client/periodic.ts";

useEmbeddedSnappy();

export * from "../core/runtime/entry.ts";

const glue: RuntimeGlue = { getEnv: denoGetEnv, runLoop: unrefLoopRunner(denoUnref), installExitHooks: installDenoExitHooks, unrefTimer: denoUnref, startPeriodic };
const open = /* @__PURE__ */ new OpenWriters();

/** A remote-write writer (options from `Deno.env` when no `url` is given). */
export const remoteWrite: RuntimeClientApi["remoteWrite"] = (options) => runtimeRemoteWrite(glue, open, options);

/** A Pushgateway client (`PROMWIRE_PUSHGATEWAY_URL`, `PROMWIRE_JOB` when no `url` is given). */
export const pushgateway: RuntimeClientApi["pushgateway"] = (options) => runtimePushgateway(glue, open, options);

/** Flush every open writer, waiting at most `timeoutMs` (default: their `exitTimeoutMs`). */
export const flushAll: RuntimeClientApi["flushAll"] = (timeoutMs = open.exitTimeoutMs) => open.flushAll(timeoutMs);
