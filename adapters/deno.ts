/**
 * promwire for Deno: snappy's WASM is instantiated from embedded bytes at import (no file
 * access, no extra permission), then the whole core API is here.
 * @example
 * import { encodeWriteRequest, snappy } from "promwire/deno";
 */
import { initEmbeddedSnappy } from "./snappy-embedded.ts";

initEmbeddedSnappy();

export * from "../core/index.ts";
