/**
 * The runtime-neutral test harness behind the behaviour tests that run on every runtime (Node
 * via vitest, Deno via `deno test`, Bun via `bun test`, workerd via miniflare). A case gets the
 * runtime's own promwire adapter module and the addresses of the servers the runner started, and
 * throws on failure; each runtime's runner registers the cases with its native test API.
 */

import type * as Exposition from "../../core/exposition/index.ts";
import type * as RuntimeEntry from "../../core/runtime/entry.ts";
import type { RuntimeClientApi } from "../../core/runtime/api.ts";
import type * as Wire from "../../core/wire/index.ts";

/** What every runtime entry exports: metrics, errors and the runtime's clients. */
export type AdapterModule = typeof RuntimeEntry & RuntimeClientApi;

/** What a case gets. */
export interface SharedContext {
  /** The adapter module of the runtime under test (`promwire/node`, `/deno`, `/bun`, `/workers`). */
  readonly promwire: AdapterModule;
  /** `promwire/wire`, loaded on that runtime next to the adapter (its snappy comes from the adapter). */
  readonly wire: typeof Wire;
  /** `promwire/exposition`, loaded on that runtime. */
  readonly exposition: typeof Exposition;
  /**
   * Base URL of the local remote-write receiver (cli/receiver.ts; any POST path is a write
   * endpoint); `GET <url>/_test/requests?path=<prefix>` answers what it decoded, as JSON.
   * Started once by scripts/test-all.mjs or scripts/with-test-servers.mjs.
   */
  readonly receiverUrl?: string;
  /** Base URL of a real Pushgateway (started by the runner). */
  readonly pushgatewayUrl?: string;
  /** Name of the runtime, for messages. */
  readonly runtime: "node" | "deno" | "bun" | "workerd";
}

export interface SharedCase {
  readonly name: string;
  readonly run: (ctx: SharedContext) => void | Promise<void>;
}

export class AssertionError extends Error {
  override readonly name = "AssertionError";
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return `Uint8Array[${Array.from(v.subarray(0, 64), (b) => b.toString(16).padStart(2, "0")).join("")}${v.length > 64 ? "…" : ""}]`;
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x))?.slice(0, 500) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Structural equality: NaN equals NaN, -0 differs from 0, typed arrays compared by bytes. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function assertEqual(actual: unknown, expected: unknown, what = "value"): void {
  if (!deepEqual(actual, expected)) throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function assert(cond: unknown, what: string): asserts cond {
  if (!cond) throw new AssertionError(what);
}

/** Runs `fn`, which must throw an error with the given `_tag` and a message matching `pattern`. */
export async function assertRejects(fn: () => unknown, tag: string, pattern?: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const err = e as { _tag?: string; message?: string };
    assertEqual(err._tag, tag, "error tag");
    if (pattern) assert(pattern.test(err.message ?? ""), `error message ${JSON.stringify(err.message)} should match ${pattern}`);
    return;
  }
  throw new AssertionError(`expected a ${tag}, nothing was thrown`);
}

/**
 * Read until `ok` holds, bounded: for servers that acknowledge before they apply (Pushgateway
 * 1.5.1 answers DELETE with 202 and removes the group a moment later). Returns the last value
 * read; the caller's assertion then shows it.
 */
export async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() >= end) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
