/**
 * promwire core: runtime-agnostic. Import from an adapter (`promwire/node`, `promwire/deno`,
 * `promwire/bun`, `promwire/workers`) to get snappy's WASM loaded for your runtime; this entry
 * point alone needs `initSnappy()` before anything is compressed.
 */
export * from "./wire/index.ts";
export * from "./errors.ts";
export * as snappy from "./wire/snappy-namespace.ts";
export * from "./metrics/index.ts";
export * from "./exposition/index.ts";
export * from "./client/index.ts";
export * from "./edge/index.ts";
