/**
 * Snappy **block** format (what remote write uses; not the framed stream format), through the
 * `snappy-wasm` build. The core never loads the WASM itself: each adapter hands it in
 * (bytes, or a precompiled `WebAssembly.Module` where compiling from bytes is forbidden, as in
 * Cloudflare Workers) through {@link initSnappy}.
 */

import { compress_raw, decompress_raw, initSync } from "snappy-wasm";
import { DecodeError, PromwireError } from "../errors.ts";

/** Snappy was used before an adapter (or the caller) initialised it. */
export class SnappyNotInitialisedError extends PromwireError {
  readonly _tag = "SnappyNotInitialisedError" as const;
  override readonly name = "SnappyNotInitialisedError";
  constructor() {
    super("snappy WASM is not initialised: import promwire from an adapter (promwire/node, /deno, /bun, /workers) or call initSnappy()");
  }
}

/** Where the snappy WASM comes from. */
export type SnappyWasmSource = BufferSource | WebAssembly.Module;

let wasmModule: WebAssembly.Module | undefined;

/** Default limit for a declared uncompressed size: Prometheus's own remote-write body limit. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024;

/**
 * Initialise snappy from the WASM bytes or a compiled module. Idempotent.
 * @example initSnappy(wasmBytes) // or a precompiled WebAssembly.Module (Workers)
 */
export function initSnappy(source: SnappyWasmSource): void {
  if (wasmModule !== undefined) return;
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  initSync(module);
  wasmModule = module;
}

/** True once {@link initSnappy} has run. */
export function isSnappyReady(): boolean {
  return wasmModule !== undefined;
}

function ready(): WebAssembly.Module {
  if (wasmModule === undefined) throw new SnappyNotInitialisedError();
  return wasmModule;
}

/**
 * A trapped WASM instance (a Rust panic aborts) may have a corrupt stack pointer: start a fresh
 * instance from the same module before the next call.
 */
function recover(module: WebAssembly.Module): void {
  initSync(module);
}

/** Compress bytes to a snappy block. */
export function compress(input: Uint8Array): Uint8Array {
  const module = ready();
  try {
    return compress_raw(input);
  } catch (err) {
    recover(module);
    throw err;
  }
}

/**
 * Read the uncompressed length a snappy block declares (its leading varint), without
 * decompressing. Throws {@link DecodeError} when the header itself is malformed.
 */
export function snappyDeclaredLength(input: Uint8Array): number {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= input.length) throw new DecodeError("snappy: truncated length header", i);
    const b = input[i];
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      if (result > 0xffffffff) throw new DecodeError("snappy: declared length exceeds 32 bits", 0);
      return result;
    }
    shift += 7;
  }
  throw new DecodeError("snappy: length header longer than 5 bytes", 0);
}

/** Options of {@link decompress}. */
export interface DecompressOptions {
  /** Refuse blocks that declare more than this many uncompressed bytes (default 32 MiB). */
  readonly maxBytes?: number;
}

/**
 * Decompress a snappy block. The declared length is checked against `maxBytes` before anything
 * is allocated; corrupt or truncated input throws {@link DecodeError}, never crashes or hangs.
 */
export function decompress(input: Uint8Array, options: DecompressOptions = {}): Uint8Array {
  const module = ready();
  const max = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const declared = snappyDeclaredLength(input);
  if (declared > max) {
    throw new DecodeError(`snappy: declared uncompressed length ${declared} exceeds the limit of ${max} bytes`, 0);
  }
  let out: Uint8Array;
  try {
    out = decompress_raw(input);
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) recover(module);
    throw new DecodeError(`snappy: corrupt input (${err instanceof Error ? err.message : String(err)})`);
  }
  if (out.length !== declared) throw new DecodeError(`snappy: decompressed ${out.length} bytes, header declared ${declared}`);
  return out;
}
