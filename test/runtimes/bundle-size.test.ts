// The Worker bundle stays small: the example Worker (imports promwire/workers, pushes a counter)
// bundled from the built package by scripts/bundle-size.mjs with esbuild --minify; gzipped JS at
// most 48 KB (test/e2e/wrangler.test.ts measures wrangler's default, unminified build).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("Worker bundle size", () => {
  it("gzipped JS ≤ 48 KB; the WASM is a separate module of about 31 KB", () => {
    const out = execFileSync(process.execPath, ["scripts/bundle-size.mjs", "--json"], { encoding: "utf8" });
    const r = JSON.parse(out) as { js: { raw: number; gzip: number }; wasm: { raw: number; gzip: number }; limit: { gzipJs: number } };
    console.log(`worker bundle: JS ${r.js.raw} B raw / ${r.js.gzip} B gzip; WASM ${r.wasm.raw} B raw / ${r.wasm.gzip} B gzip`);
    expect(r.limit.gzipJs).toBe(48 * 1024);
    expect(r.js.gzip).toBeLessThanOrEqual(r.limit.gzipJs);
    expect(r.js.raw).toBeGreaterThan(10_000); // a real bundle, not an empty one
    expect(r.wasm.raw).toBeGreaterThan(20_000);
  });
});
