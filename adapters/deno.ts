/**
 * promwire for Deno: snappy's WASM instantiated from embedded bytes at import (no file access),
 * Deno's `fetch`, configuration from `Deno.env` when no URL is given (a missing `--allow-env`
 * becomes an {@link EnvPermissionError} naming the flag), and open writers flushed on
 * `beforeunload` (the event loop ran dry) and on SIGTERM/SIGINT, after which the process exits
 * with status 128+n as the signal would have made it. Runs with `--allow-net` alone when the
 * code passes a URL; add `--allow-env` for configuration from the environment.
 *
 * @example
 * import { Gauge, Registry, remoteWrite } from "jsr:@promwire/promwire/deno";
 * const registry = new Registry();
 * new Gauge({ name: "backup_last_success_timestamp_seconds", help: "Last backup.", registry }).setToCurrentTime();
 * remoteWrite({ url: "https://prom.example/api/v1/write" }).collect(registry);
 */
import { EnvPermissionError, REMOTE_WRITE_ENV_VARS } from "../core/client/env-config.ts";
import type { OpenWriters } from "../core/client/open-writers.ts";
import { runtimeClients, type RuntimeClients, type RuntimeGlue } from "../core/client/runtime-clients.ts";
import { initEmbeddedSnappy } from "./snappy-embedded.ts";
import { unrefLoopRunner } from "./unref-clock.ts";

declare const Deno: {
  env: { get(name: string): string | undefined };
  errors: { PermissionDenied: new () => Error; NotCapable?: new () => Error };
  addSignalListener(signal: "SIGTERM" | "SIGINT", handler: () => void): void;
  removeSignalListener(signal: "SIGTERM" | "SIGINT", handler: () => void): void;
  exit(code: number): never;
  unrefTimer(id: number): void;
};

initEmbeddedSnappy();

export * from "../core/index.ts";

function getEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (e) {
    const denied = e instanceof Deno.errors.PermissionDenied || (Deno.errors.NotCapable !== undefined && e instanceof Deno.errors.NotCapable);
    if (!denied) throw e;
    throw new EnvPermissionError(
      name,
      `run with --allow-env (or --allow-env=${REMOTE_WRITE_ENV_VARS.join(",")}), or pass the URL and credentials in code`,
    );
  }
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

function installExitHooks(writers: OpenWriters): void {
  const flush = (): Promise<void> => writers.flushForExit();
  // Work scheduled in `beforeunload` keeps the program running (Deno's beforeExit).
  globalThis.addEventListener("beforeunload", () => {
    if (writers.size > 0 && !writers.exitFlushRunning) void flush();
  });
  globalThis.addEventListener("unload", () => {
    const left = writers.pendingSamples();
    if (left > 0) console.warn(`promwire: exiting with ${left} samples not delivered`);
  });
  for (const [signal, number] of Object.entries(SIGNALS) as [keyof typeof SIGNALS, number][]) {
    // Deno cannot restore a signal's default action once listened to: exit as it would have.
    const onSignal = (): void => {
      if (writers.exitFlushRunning) Deno.exit(128 + number); // second signal: stop waiting
      void flush().then(() => Deno.exit(128 + number));
    };
    try {
      Deno.addSignalListener(signal, onSignal);
    } catch {
      // Windows has no SIGTERM.
    }
  }
}

const glue: RuntimeGlue = {
  getEnv,
  runLoop: unrefLoopRunner((timer) => Deno.unrefTimer(timer as unknown as number)),
  installExitHooks,
};
const clients = runtimeClients(glue);

/** A remote-write writer; see `RuntimeClients.remoteWrite` (options from `Deno.env` when no `url` is given). */
export const remoteWrite: RuntimeClients["remoteWrite"] = clients.remoteWrite;

/** A Pushgateway client (`PROMWIRE_PUSHGATEWAY_URL`, `PROMWIRE_JOB` when no `url` is given). */
export const pushgateway: RuntimeClients["pushgateway"] = clients.pushgateway;

/** Flush every open writer, waiting at most `timeoutMs` (default: their `exitTimeoutMs`). */
export const flushAll: RuntimeClients["flushAll"] = clients.flushAll;
