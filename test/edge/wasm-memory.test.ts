// Why EDGE_REMOTE_WRITE_DEFAULTS caps bodies at 256 KiB: snappy's WASM memory grows to fit the
// largest body compressed and never shrinks (a Worker isolate has 128 MB for everything).
// Measured in a fresh Node process per body size, with the same snappy-wasm build.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { EDGE_REMOTE_WRITE_DEFAULTS } from "../../core/edge/index.ts";

const dir = resolve(".cache/edge-wasm-memory");
const script = `
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { initSync, compress_raw } from "snappy-wasm";
const require = createRequire(${JSON.stringify(resolve("package.json"))});
// The ES build (what promwire imports); require() would give the CJS build's directory.
const wasmPath = require.resolve("snappy-wasm").replace("cjs/snappy.js", "es/snappy_bg.wasm");
const exports = initSync(new WebAssembly.Module(readFileSync(wasmPath)));
const before = exports.memory.buffer.byteLength;
const size = Number(process.argv[2]);
const body = new Uint8Array(size);
let x = 12345;
for (let i = 0; i < size; i++) { x = (x * 1103515245 + 12345) >>> 0; body[i] = i % 4 === 0 ? x >>> 24 : i & 0x3f; }
for (let k = 0; k < 3; k++) compress_raw(body);
console.log(JSON.stringify({ before, after: exports.memory.buffer.byteLength }));
`;

function measure(size: number): { before: number; after: number } {
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/measure.mjs`;
  writeFileSync(file, script);
  return JSON.parse(execFileSync(process.execPath, [file, String(size)], { encoding: "utf8", cwd: resolve(".") })) as { before: number; after: number };
}

describe("snappy WASM memory by body size", () => {
  it("a 256 KiB body cap keeps the isolate's WASM memory small; the 4 MiB default would pin several MiB for good", () => {
    const edge = measure(EDGE_REMOTE_WRITE_DEFAULTS.maxRequestBytes);
    const def = measure(4 * 1024 * 1024);
    const mib = (n: number): string => (n / 1024 / 1024).toFixed(2);
    console.log(
      `snappy WASM memory: start ${mib(edge.before)} MiB; after 256 KiB bodies ${mib(edge.after)} MiB; after 4 MiB bodies ${mib(def.after)} MiB`,
    );
    expect(edge.after).toBeLessThan(def.after);
    expect(edge.after).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(def.after - def.before).toBeGreaterThanOrEqual(8 * 1024 * 1024);
  });
});
