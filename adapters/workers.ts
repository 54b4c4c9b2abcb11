/**
 * promwire for Cloudflare Workers: Workers forbid compiling WASM from bytes at run time, so the
 * snappy module is imported as a precompiled `WebAssembly.Module` (wrangler and workerd bundle
 * `.wasm` imports as `CompiledWasm`).
 * @example
 * import { encodeWriteRequest, snappy } from "promwire/workers";
 */
import snappyModule from "./snappy.wasm";
import { initSnappy } from "../core/wire/snappy.ts";

initSnappy(snappyModule);

export * from "../core/index.ts";
