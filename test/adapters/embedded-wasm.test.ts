// The WASM copies in adapters/ must be exactly the installed snappy-wasm's (see scripts/embed-wasm.mjs).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SNAPPY_WASM_BASE64 } from "../../core/wire/snappy-wasm-base64.ts";

const installed = readFileSync(new URL("snappy_bg.wasm", import.meta.resolve("snappy-wasm")));

describe("embedded snappy WASM", () => {
  it("adapters/snappy.wasm equals the installed package's", () => {
    expect(Buffer.compare(readFileSync(new URL("../../adapters/snappy.wasm", import.meta.url)), installed)).toBe(0);
  });
  it("the base64 module decodes to the installed package's bytes", () => {
    expect(Buffer.compare(Buffer.from(SNAPPY_WASM_BASE64, "base64"), installed)).toBe(0);
  });
  it("importing the Node adapter registers the embedded WASM; it is compiled on the first compress", async () => {
    const { snappy } = await import("../../core/wire/index.ts");
    await import("../../adapters/node.ts");
    const bytes = new TextEncoder().encode("promwire ".repeat(100));
    expect(snappy.decompress(snappy.compress(bytes))).toEqual(bytes);
    expect(snappy.isReady()).toBe(true);
  });
});
