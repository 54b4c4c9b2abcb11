// All four adapters export the same public API (the core plus remoteWrite, pushgateway, flushAll);
// the Workers adapter adds only withMetrics. Export lists are read from esbuild's metafile.
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

async function exportsOf(entry: string): Promise<string[]> {
  const r = await build({ entryPoints: [entry], bundle: true, write: false, format: "esm", platform: "neutral", mainFields: ["module", "main"], external: ["*.wasm"], metafile: true, logLevel: "error" });
  return Object.values(r.metafile.outputs)[0].exports.sort();
}

describe("adapter API parity", () => {
  it("node, deno, bun and workers export the same names (workers: plus withMetrics)", async () => {
    const [node, deno, bun, workers] = await Promise.all(["node", "deno", "bun", "workers"].map((a) => exportsOf(`adapters/${a}.ts`)));
    expect(node).toEqual(expect.arrayContaining(["remoteWrite", "pushgateway", "flushAll", "Registry", "Counter", "parseExposition", "encodeWriteRequest", "snappy"]));
    expect(deno).toEqual(node);
    expect(bun).toEqual(node);
    expect(workers.filter((n) => !node.includes(n))).toEqual(["withMetrics"]);
    expect(node.filter((n) => !workers.includes(n))).toEqual([]);
  });
});
