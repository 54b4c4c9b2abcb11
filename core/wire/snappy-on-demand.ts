/**
 * The embedded snappy WASM as a source loaded on demand: the Node, Deno and Bun entries register
 * it at import, and its 42 KB of base64 (snappy-embedded.ts) are loaded and compiled only when a
 * writer first sends (the sender awaits `loadSnappy()`). A job that never compresses never loads
 * them.
 */
import { setSnappySource } from "./snappy.ts";

/**
 * Register the embedded WASM, loaded when first needed.
 * @example useEmbeddedSnappyOnDemand(); // at a runtime entry's import
 */
export function useEmbeddedSnappyOnDemand(): void {
  setSnappySource(async () => (await import("./snappy-embedded.ts")).embeddedSnappyBytes());
}
