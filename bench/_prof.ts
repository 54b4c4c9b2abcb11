import { readFileSync } from "node:fs";
import { WriteRequestEncoder } from "/work/main/core/wire/encode.ts";
import { compress, initSnappy } from "/work/main/core/wire/snappy.ts";
import { measure } from "/work/main/bench/harness.ts";
import { w1 } from "/work/main/bench/workloads.ts";
initSnappy(readFileSync(new URL("snappy_bg.wasm", import.meta.resolve("snappy-wasm"))));
const s = w1();
const e = new WriteRequestEncoder();
for (const v of ["v1","v2"] as const) {
const raw = e.encode(s, {version: v});
console.log(v, "raw bytes", raw.length);
console.log(measure("encode "+v, () => e.encodeView(s, {version: v})));
console.log(measure("compress "+v, () => compress(raw)));
}
