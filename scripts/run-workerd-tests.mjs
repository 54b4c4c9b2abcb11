#!/usr/bin/env node
// `npm run test:workers`: bundle the shared behaviour cases into a Worker, run it in workerd
// (miniflare), print each result and a closing `N passed, N failed`. Server addresses come from
// PROMWIRE_TEST_RECEIVER / PROMWIRE_TEST_PUSHGATEWAY (started by with-test-servers.mjs or
// test-all.mjs) and reach the Worker as the bindings RECEIVER_URL / PUSHGATEWAY_URL.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Miniflare } from "miniflare";

const outdir = resolve(".cache/workerd");
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: ["test/runtimes/workerd-entry.ts"],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  outfile: `${outdir}/worker.mjs`,
  external: ["./snappy.wasm"],
  logLevel: "error",
});
writeFileSync(`${outdir}/snappy.wasm`, readFileSync("adapters/snappy.wasm"));

const bindings = {};
if (process.env.PROMWIRE_TEST_RECEIVER) bindings.RECEIVER_URL = process.env.PROMWIRE_TEST_RECEIVER;
if (process.env.PROMWIRE_TEST_PUSHGATEWAY) bindings.PUSHGATEWAY_URL = process.env.PROMWIRE_TEST_PUSHGATEWAY;

const mf = new Miniflare({
  modules: [
    { type: "ESModule", path: `${outdir}/worker.mjs`, contents: readFileSync(`${outdir}/worker.mjs`, "utf8") },
    { type: "CompiledWasm", path: `${outdir}/snappy.wasm`, contents: readFileSync(`${outdir}/snappy.wasm`) },
  ],
  modulesRoot: outdir,
  compatibilityDate: "2025-01-01",
  bindings,
  // The test servers listen on 127.0.0.1: a bare workerd network service refuses "local"
  // addresses; say explicitly that this Worker's fetches may reach them.
  outboundService: { network: { allow: ["public", "private", "local"] } },
});
let passed = 0;
let failed = 0;
try {
  const res = await mf.dispatchFetch("http://localhost/");
  const results = await res.json();
  for (const r of results) {
    console.log(`${r.ok ? "(pass)" : "(FAIL)"} ${r.name} [${r.ms} ms]${r.ok ? "" : `\n       ${r.error}`}`);
    r.ok ? passed++ : failed++;
  }
} finally {
  await mf.dispose();
}
console.log(`workerd: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
