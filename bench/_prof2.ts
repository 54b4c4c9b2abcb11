import { WriteRequestEncoder } from "/work/main/core/wire/encode.ts";
import { w1 } from "/work/main/bench/workloads.ts";
const s = w1();
const e = new WriteRequestEncoder();
for (let i = 0; i < 400; i++) e.encodeView(s, {version: "v1"});
for (let i = 0; i < 300; i++) e.encodeView(s, {version: "v2"});
