/**
 * What differs on Deno: reading `Deno.env` (a missing `--allow-env` becomes an
 * {@link EnvPermissionError} naming the flag) and exit handling — open writers flushed on
 * `beforeunload` (the event loop ran dry) and on SIGTERM/SIGINT, after which the process exits
 * with status 128+n as the signal would have made it.
 */
import { EnvPermissionError } from "../core/errors.ts";
import { REMOTE_WRITE_ENV_VARS } from "../core/runtime/env-config.ts";
import type { OpenWriters } from "../core/runtime/open-writers.ts";

declare const Deno: {
  env: { get(name: string): string | undefined };
  readTextFileSync(path: string): string;
  errors: { PermissionDenied: new () => Error; NotCapable?: new () => Error };
  addSignalListener(signal: "SIGTERM" | "SIGINT", handler: () => void): void;
  exit(code: number): never;
  unrefTimer(id: number): void;
};

/** `Deno.env.get`, with a clear error when `--allow-env` is missing. */
export function denoGetEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (e) {
    const denied = e instanceof Deno.errors.PermissionDenied || (Deno.errors.NotCapable !== undefined && e instanceof Deno.errors.NotCapable);
    if (!denied) throw e;
    throw new EnvPermissionError(name, `run with --allow-env (or --allow-env=${REMOTE_WRITE_ENV_VARS.includes(name) ? REMOTE_WRITE_ENV_VARS.join(",") : name}), or pass the URL and credentials in code`);
  }
}

/** `Deno.readTextFileSync` (TLS files named by PROMWIRE_TLS_*_FILE), naming the flag it lacks. */
export function denoReadTextFile(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    const denied = e instanceof Deno.errors.PermissionDenied || (Deno.errors.NotCapable !== undefined && e instanceof Deno.errors.NotCapable);
    throw denied ? Object.assign(new Error("permission"), { code: `run with --allow-read=${path}` }) : e;
  }
}

/** Let a timer not keep Deno alive. */
export function denoUnref(timer: ReturnType<typeof setTimeout>): void {
  Deno.unrefTimer(timer as unknown as number);
}

const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

/** Flush open writers when the event loop runs dry and on SIGTERM/SIGINT. */
export function installDenoExitHooks(writers: OpenWriters): void {
  const flush = (): Promise<void> => writers.flushForExit();
  // Work scheduled in `beforeunload` keeps the program running (Deno's beforeExit).
  globalThis.addEventListener("beforeunload", () => {
    if (writers.size > 0 && !writers.exitFlushRunning) void flush();
  });
  globalThis.addEventListener("unload", () => {
    const spooled = writers.spoolNow();
    if (spooled > 0) console.warn(`promwire: exiting with ${spooled} samples not delivered: spooled for the next run`);
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
