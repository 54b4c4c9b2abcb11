/**
 * promwire for Node.js: loads snappy's WASM from the installed `snappy-wasm` package at import
 * time, then exposes the whole core API.
 * @example
 * import { encodeWriteRequest, snappy } from "promwire/node";
 * const body = snappy.compress(encodeWriteRequest(series));
 */
import { readFileSync } from "node:fs";
import { initSnappy } from "../core/wire/snappy.ts";

initSnappy(readFileSync(new URL("snappy_bg.wasm", import.meta.resolve("snappy-wasm"))));

export * from "../core/index.ts";
