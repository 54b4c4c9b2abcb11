/**
 * promwire for Node.js: snappy's WASM is instantiated at import, then the whole core API is here.
 * @example
 * import { encodeWriteRequest, snappy } from "promwire/node";
 * const body = snappy.compress(encodeWriteRequest(series));
 */
import { initEmbeddedSnappy } from "./snappy-embedded.ts";

initEmbeddedSnappy();

export * from "../core/index.ts";
