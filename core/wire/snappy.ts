/**
 * Snappy **block** format (what remote write uses; not the framed stream format), through the
 * `snappy-wasm` build. The core never loads the WASM itself: each runtime entry registers where
 * it comes from ({@link setSnappySource}: embedded bytes, or a precompiled `WebAssembly.Module`
 * where compiling from bytes is forbidden, as in Cloudflare Workers), and it is compiled on the
 * first compress or decompress — a job that never compresses never pays for it.
 *
 * The source and the compiled module live on `globalThis` (under a `Symbol.for` key), so that
 * every copy of this module in a program (two bundles of promwire) shares one compilation; each
 * copy instantiates its own glue from it.
 */

import { compress_raw, decompress_raw, type InitOutput, initSync } from "snappy-wasm";
import { DecodeError, SnappyNotInitialisedError } from "../errors.ts";

/** Where the snappy WASM comes from. */
export type SnappyWasmSource = BufferSource | WebAssembly.Module;

/**
 * Gives the WASM: at once, or a promise of it (a runtime entry that loads its embedded copy only
 * when something is first compressed: see {@link loadSnappy}).
 */
export type SnappySourceLoader = () => SnappyWasmSource | Promise<SnappyWasmSource>;

/** What all copies of this module share. */
interface SharedSnappy {
  source?: SnappySourceLoader;
  fallback?: SnappySourceLoader;
  module?: WebAssembly.Module;
  /** The compilation from an asynchronous source, while it runs. */
  compiling?: Promise<WebAssembly.Module>;
}

const SHARED_KEY = Symbol.for("promwire.snappy.v1");

function shared(): SharedSnappy {
  const g = globalThis as unknown as Record<symbol, SharedSnappy | undefined>;
  let s = g[SHARED_KEY];
  if (s === undefined) {
    s = {};
    Object.defineProperty(globalThis, SHARED_KEY, { value: s, enumerable: false, configurable: true, writable: false });
  }
  return s;
}

/** The module this copy's glue was instantiated from. */
let wasmModule: WebAssembly.Module | undefined;
/** The instance's raw exports (what {@link SnappyCompressor} calls); replaced by {@link recover}. */
let wasmExports: InitOutput | undefined;

/** Default limit for a declared uncompressed size: Prometheus's own remote-write body limit. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024;

/**
 * Say where the WASM comes from, without compiling it yet (runtime entries call this at import).
 * The first source registered wins; a `fallback` is used only when no source was registered.
 * @example setSnappySource(() => wasmModule) // Workers: the module wrangler bundled
 */
export function setSnappySource(source: SnappySourceLoader, options: { readonly fallback?: boolean } = {}): void {
  const s = shared();
  if (options.fallback === true) s.fallback ??= source;
  else s.source ??= source;
}

/**
 * Initialise snappy now from the WASM bytes or a compiled module (when no runtime entry is
 * imported, or to pay the compilation up front). Idempotent.
 * @example initSnappy(wasmBytes) // or a precompiled WebAssembly.Module (Workers)
 */
export function initSnappy(source: SnappyWasmSource): void {
  setSnappySource(() => source);
  ready();
}

/** True once this copy's WASM is compiled and instantiated. */
export function isSnappyReady(): boolean {
  return wasmModule !== undefined;
}

function ready(): WebAssembly.Module {
  if (wasmModule !== undefined) return wasmModule;
  const s = shared();
  if (s.module === undefined) {
    if (s.source === undefined && s.fallback === undefined) throw new SnappyNotInitialisedError();
    // A synchronous caller takes the first source that answers at once; an asynchronous one
    // (a runtime entry's embedded copy, loaded on demand) is left to loadSnappy().
    for (const load of [s.source, s.fallback]) {
      const source = load?.();
      if (source === undefined || source instanceof Promise) continue;
      s.module ??= source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
      break;
    }
    if (s.module === undefined) throw new SnappyNotInitialisedError(); // only an asynchronous source: loadSnappy() first
  }
  wasmExports = initSync(s.module);
  wasmModule = s.module;
  return wasmModule;
}

/**
 * Make snappy ready, waiting for an asynchronous source (the embedded WASM of the Node, Deno and
 * Bun entries is loaded and compiled here, the first time a writer sends). Idempotent; rejects
 * with {@link SnappyNotInitialisedError} when no source was registered.
 * @example await loadSnappy(); const body = compress(bytes);
 */
export async function loadSnappy(): Promise<void> {
  if (wasmModule !== undefined) return;
  const s = shared();
  if (s.module === undefined) {
    const load = s.source ?? s.fallback;
    if (load === undefined) throw new SnappyNotInitialisedError();
    s.compiling ??= (async () => {
      const source = await load();
      return source instanceof WebAssembly.Module ? source : WebAssembly.compile(source);
    })().finally(() => {
      s.compiling = undefined;
    });
    const module = await s.compiling;
    s.module ??= module;
  }
  ready();
}

/**
 * A trapped WASM instance (a Rust panic aborts) may have a corrupt stack pointer: start a fresh
 * instance from the same module before the next call.
 */
function recover(module: WebAssembly.Module): void {
  wasmExports = initSync(module);
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
 * A snappy block compressor that keeps its output buffer between calls, as a sender that
 * compresses one request after another does (Prometheus's queue manager keeps its own).
 *
 * Why: {@link compress} hands out a fresh array per call, and for a request body of a megabyte
 * that allocation is the dearest part of compressing it (fresh pages from the OS, then a GC to
 * give them back): measured here, 4.5 ms instead of 2.6 ms for a 2.7 MB body. This class copies
 * the WASM's output into its own buffer instead, which only grows.
 *
 * It calls the snappy-wasm 0.3 exports directly (the wasm-bindgen ABI of that build: a return
 * slot on the shadow stack; the input is freed by `compress_raw`); test/wire/snappy.test.ts
 * checks it against {@link compress} so a different build is caught.
 *
 * @example
 * const compressor = new SnappyCompressor();
 * const body = compressor.compressView(encoder.encodeView(series)); // valid until the next call
 * await fetch(url, { method: "POST", body: body.slice() });      // or send before compressing again
 */
export class SnappyCompressor {
  private out = new Uint8Array(0);

  /** Size of the output buffer now held. */
  get capacity(): number {
    return this.out.length;
  }

  /** Compress `input` to a snappy block; returns a view of this compressor's buffer, valid until its next call. */
  compressView(input: Uint8Array): Uint8Array {
    const module = ready();
    const wasm = wasmExports as InitOutput;
    const n = input.length;
    const ret = wasm.__wbindgen_add_to_stack_pointer(-16);
    try {
      const ptr = wasm.__wbindgen_malloc(n);
      // After malloc: it may have grown the memory (and detached any older view of it).
      new Uint8Array(wasm.memory.buffer, ptr, n).set(input);
      wasm.compress_raw(ret, ptr, n);
      const slot = new Int32Array(wasm.memory.buffer, ret, 4);
      const outPtr = slot[0];
      const outLen = slot[1];
      if (slot[3] !== 0) throw new Error("snappy: compress_raw failed");
      if (this.out.length < outLen) this.out = new Uint8Array(Math.max(outLen, this.out.length * 2));
      this.out.set(new Uint8Array(wasm.memory.buffer, outPtr, outLen));
      wasm.__wbindgen_free(outPtr, outLen);
      return this.out.subarray(0, outLen);
    } catch (err) {
      recover(module);
      throw err;
    } finally {
      if (wasmExports === wasm) wasm.__wbindgen_add_to_stack_pointer(16);
    }
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
