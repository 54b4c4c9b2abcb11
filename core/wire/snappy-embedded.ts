/**
 * Snappy's WASM embedded in the JavaScript (≈42 KB of base64): Node, Deno and Bun compile it from
 * these bytes on the first compress, with no file access and no extra permission. Workers cannot
 * compile WASM from bytes, so the Workers adapter imports `snappy.wasm` as a module instead.
 */
import { initSnappy, setSnappySource } from "./snappy.ts";
import { SNAPPY_WASM_BASE64 } from "./snappy-wasm-base64.ts";

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Register the embedded WASM as snappy's source; it is decoded and compiled on first use. As a
 * `fallback` (the entries that are not a runtime's: `promwire/wire`, `promwire/effect`), it is
 * used only if no runtime entry registered its own by then (Workers: the compiled module).
 */
export function useEmbeddedSnappy(options: { readonly fallback?: boolean } = {}): void {
  setSnappySource(embeddedSnappyBytes, options);
}

/** The embedded WASM's bytes (decoded on each call). */
export function embeddedSnappyBytes(): Uint8Array {
  return base64ToBytes(SNAPPY_WASM_BASE64);
}

/** Compile the embedded WASM now (idempotent): for tools that want the cost paid up front. */
export function initEmbeddedSnappy(): void {
  initSnappy(base64ToBytes(SNAPPY_WASM_BASE64));
}
