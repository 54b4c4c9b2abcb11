// Node-side snappy initialisation for the vitest suite: the adapters do this for users.
import { readFileSync } from "node:fs";
import { initSnappy } from "../../core/wire/snappy.ts";

initSnappy(readFileSync(new URL("snappy_bg.wasm", import.meta.resolve("snappy-wasm"))));
