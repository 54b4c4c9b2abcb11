/**
 * promwire for Bun: snappy's WASM embedded (loaded and compiled on first use, no file access), Bun's
 * global `fetch`, configuration from `process.env` when no URL is given, and open writers flushed
 * on `beforeExit` and on SIGTERM/SIGINT (within `exitTimeoutMs`, then the signal takes effect).
 *
 * @example
 * import { Counter, Registry, remoteWrite } from "promwire/bun";
 * const registry = new Registry();
 * new Counter({ name: "rows_copied_total", help: "Rows copied.", registry }).inc(42);
 * const rw = remoteWrite();   // PROMWIRE_REMOTE_WRITE_URL, PROMWIRE_USERNAME, PROMWIRE_PASSWORD…
 * rw.collect(registry);       // delivered before the process exits
 */
// Bun runs Node's process model (process.env, beforeExit, signals, unref'd timers) and the same
// fetch: the Node adapter's glue is Bun's too, proven by the same tests under `bun test`.
export * from "./node.ts";
