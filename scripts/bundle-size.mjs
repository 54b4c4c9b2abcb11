#!/usr/bin/env node
// `npm run bundle-size`: bundle the example Worker (examples/workers/src/index.ts: imports
// `promwire/workers` — the built package, dist/, as a user gets it — counts requests, pushes by
// remote write) with esbuild, minified and tree-shaken, and report raw and gzipped sizes of the
// JS and of the WASM module separately. `--json` prints one JSON object (used by
// test/runtimes/bundle-size.test.ts); `--top` lists the largest inputs. Limit: gzipped JS ≤ 48 KB
// (what a user's own minified build ships; test/e2e/wrangler.test.ts measures wrangler's default,
// unminified build of the README's Worker).
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";

export const GZIP_JS_LIMIT = 48 * 1024;
const root = resolve(import.meta.dirname, "..");
const outdir = resolve(root, ".cache/bundle-size");
mkdirSync(outdir, { recursive: true });

const result = await build({
  entryPoints: [resolve(root, "examples/workers/src/index.ts")],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "neutral",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "browser", "import"],
  target: "es2022",
  outfile: resolve(outdir, "worker.js"),
  // The package as users import it: the build in dist/ (`npm run build`; npm test builds first).
  alias: { "promwire/workers": resolve(root, "dist/workers.js") },
  // wrangler uploads the .wasm as a separate CompiledWasm module: measured on its own below.
  external: ["*.wasm"],
  metafile: true,
  logLevel: "error",
});
const js = readFileSync(resolve(outdir, "worker.js"));
const wasm = readFileSync(resolve(root, "dist/snappy.wasm"));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const report = {
  js: { raw: js.length, gzip: gz(js) },
  wasm: { raw: wasm.length, gzip: gz(wasm) },
  limit: { gzipJs: GZIP_JS_LIMIT },
};
writeFileSync(resolve(outdir, "meta.json"), JSON.stringify(result.metafile));

if (process.argv.includes("--json")) {
  console.log(JSON.stringify(report));
} else {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log("Worker bundle (examples/workers, esbuild --minify, tree-shaken)");
  console.log(`  JS    raw ${kb(report.js.raw).padStart(9)}   gzip ${kb(report.js.gzip).padStart(8)}   (limit ${kb(GZIP_JS_LIMIT)} gzip)`);
  console.log(`  WASM  raw ${kb(report.wasm.raw).padStart(9)}   gzip ${kb(report.wasm.gzip).padStart(8)}`);
  if (process.argv.includes("--top")) {
    const inputs = Object.values(result.metafile.outputs).flatMap((o) => Object.entries(o.inputs));
    for (const [file, { bytesInOutput }] of inputs.sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 25)) {
      console.log(`  ${String(bytesInOutput).padStart(7)}  ${file.replace(/.*node_modules\//, "")}`);
    }
  }
  if (report.js.gzip > GZIP_JS_LIMIT) {
    console.log(`  over the limit by ${kb(report.js.gzip - GZIP_JS_LIMIT)}`);
    process.exitCode = 1;
  }
}
