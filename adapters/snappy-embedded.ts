/**
 * Snappy's WASM embedded in the JavaScript (≈42 KB of base64): Node, Deno and Bun instantiate it
 * from bytes at import time, with no file access and no extra permission. Workers cannot compile
 * WASM from bytes, so the Workers adapter imports `snappy.wasm` as a module instead.
 */
import { initSnappy } from "../core/wire/snappy.ts";
import { SNAPPY_WASM_BASE64 } from "./snappy-wasm-base64.ts";

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Initialise snappy from the embedded WASM (idempotent). */
export function initEmbeddedSnappy(): void {
  initSnappy(base64ToBytes(SNAPPY_WASM_BASE64));
}
