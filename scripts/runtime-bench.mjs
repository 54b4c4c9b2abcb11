#!/usr/bin/env node
// `npm run bench:runtimes`: cold start and remote-write round trip on Node, Bun, Deno and workerd,
// against the local receiver (cli/receiver.ts) in this process, on 127.0.0.1.
//
// Node, Bun, Deno: test/runtimes/probe/probe.ts in a fresh process per run (RUNS runs, medians):
//   import     the adapter module's import (Node and Bun: the built package, dist/*.js;
//              Deno: adapters/deno.ts, as from JSR, transpile cache warm after the first run)
//   1st req    from before the import to the first encoded, compressed request handed to fetch
//   1st write  until that write is acknowledged
//   process    spawn to exit of the whole probe process (runtime start included)
// workerd: its clock stands still during synchronous work, so startup is timed from outside —
//   `new Miniflare` → ready for the probe Worker vs. an empty Worker (the difference is
//   promwire's load: module evaluation + WASM), then dispatch → first request at the receiver.
// Round trip: `collect` + `flush` of one counter, 50 times after a first write (median, p90).
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const RUNS = Number(process.env.RUNS ?? 5);
const root = resolve(import.meta.dirname, "..");
const cache = resolve(root, ".cache/runtime-bench");
mkdirSync(cache, { recursive: true });
if (!existsSync(resolve(root, "dist/node.js"))) execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: root, stdio: "inherit" });

// The receiver, bundled for Node 20.
await build({
  stdin: { contents: 'export { startReceiver } from "./cli/receiver.ts"; export { initEmbeddedSnappy } from "./core/wire/snappy-embedded.ts";', resolveDir: root, loader: "ts" },
  bundle: true, platform: "node", format: "esm", target: "node20", outfile: `${cache}/receiver.mjs`, packages: "external", logLevel: "error",
});
const { startReceiver, initEmbeddedSnappy } = await import(pathToFileURL(`${cache}/receiver.mjs`).href);
initEmbeddedSnappy();
let firstArrival;
const receiver = await startReceiver({ port: 0, onRequest: () => (firstArrival ??= performance.now()) });
const url = `${receiver.url}/api/v1/write`;

await build({ entryPoints: [`${root}/test/runtimes/probe/probe-node.ts`], bundle: true, platform: "node", format: "esm", target: "node20", outfile: `${cache}/probe-node.mjs`, packages: "external", logLevel: "error" });
await build({ entryPoints: [`${root}/test/runtimes/probe/probe-workerd.ts`], bundle: true, platform: "neutral", format: "esm", mainFields: ["module", "main"], outfile: `${cache}/probe-workerd.mjs`, external: ["./snappy.wasm"], logLevel: "error" });

const bin = (name) => resolve(root, "node_modules/.bin", name);
const version = (cmd, args) => execFileSync(cmd, args, { encoding: "utf8" }).trim().split("\n")[0];
const pkgVersion = (name) => JSON.parse(readFileSync(resolve(root, "node_modules", name, "package.json"), "utf8")).version;

function runProbe(cmd, args) {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      if (code !== 0) return fail(new Error(`${cmd} ${args.join(" ")}: exit ${code}: ${err}`));
      done({ ...JSON.parse(out.trim().split("\n").at(-1)), processMs: performance.now() - t0 });
    });
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const med = (runs, key) => median(runs.map((r) => r[key]));

const rows = [];
const processRuntimes = [
  ["node", `Node ${process.version}`, process.execPath, [`${cache}/probe-node.mjs`, url, pathToFileURL(`${root}/dist/node.js`).href]],
  ["bun", `Bun ${version(bin("bun"), ["--version"])}`, bin("bun"), ["test/runtimes/probe/probe-bun.ts", url, `${root}/dist/bun.js`]],
  ["deno", version(bin("deno"), ["--version"]).replace("deno", "Deno"), bin("deno"), ["run", "--allow-net", "test/runtimes/probe/probe-deno.ts", url]],
];
for (const [name, label, cmd, args] of processRuntimes) {
  await runProbe(cmd, args); // warm-up (disk cache, Deno's transpile cache): not counted
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runProbe(cmd, args));
  rows.push({
    runtime: name, version: label,
    importMs: med(runs, "importMs"), firstRequestMs: med(runs, "firstRequestMs"), firstWriteMs: med(runs, "firstWriteMs"),
    processMs: med(runs, "processMs"), rttMedianMs: med(runs, "rttMedianMs"), rttP90Ms: med(runs, "rttP90Ms"),
  });
}

// workerd
const wasm = readFileSync(resolve(root, "adapters/snappy.wasm"));
const probeJs = readFileSync(`${cache}/probe-workerd.mjs`, "utf8");
const outbound = { network: { allow: ["public", "private", "local"] } };
async function startWorker(modules) {
  const t0 = performance.now();
  const mf = new Miniflare({ modules, modulesRoot: cache, compatibilityDate: "2025-01-01", outboundService: outbound });
  await mf.ready;
  return { mf, t0, readyMs: performance.now() - t0 };
}
const wk = [];
for (let i = 0; i <= RUNS; i++) {
  const empty = await startWorker([{ type: "ESModule", path: `${cache}/empty.mjs`, contents: "export default { fetch: () => new Response('ok') };" }]);
  await empty.mf.dispose();
  const w = await startWorker([
    { type: "ESModule", path: `${cache}/probe-workerd.mjs`, contents: probeJs },
    { type: "CompiledWasm", path: `${cache}/snappy.wasm`, contents: wasm },
  ]);
  firstArrival = undefined;
  const tDispatch = performance.now();
  const res = await w.mf.dispatchFetch(`http://probe/?url=${encodeURIComponent(url)}`);
  const body = await res.json();
  await w.mf.dispose();
  if (body.failed !== 0) throw new Error(`workerd probe: ${JSON.stringify(body)}`);
  if (i > 0) wk.push({ emptyReadyMs: empty.readyMs, readyMs: w.readyMs, dispatchToRequestMs: firstArrival - tDispatch, rttMedianMs: body.rttMedianMs, rttP90Ms: body.rttP90Ms });
}
rows.push({
  runtime: "workerd", version: `workerd ${pkgVersion("workerd")} (miniflare ${pkgVersion("miniflare")})`,
  importMs: med(wk, "readyMs") - med(wk, "emptyReadyMs"), firstRequestMs: NaN, firstWriteMs: NaN, processMs: med(wk, "readyMs"),
  rttMedianMs: med(wk, "rttMedianMs"), rttP90Ms: med(wk, "rttP90Ms"), extra: wk,
});
await receiver.close();

const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : "—");
console.log(`\nCold start and remote-write round trip (medians of ${RUNS} fresh processes; local receiver on 127.0.0.1)\n`);
console.log("| runtime | version | import (ms) | import → 1st encoded request (ms) | → 1st write acked (ms) | process / startup (ms) | RW round trip median / p90 (ms) |");
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
for (const r of rows) {
  console.log(`| ${r.runtime} | ${r.version} | ${f(r.importMs)} | ${f(r.firstRequestMs)} | ${f(r.firstWriteMs)} | ${f(r.processMs)} | ${f(r.rttMedianMs)} / ${f(r.rttP90Ms)} |`);
}
const w = rows.at(-1);
console.log(
  `\nworkerd: startup (new Miniflare → ready) ${f(med(wk, "readyMs"))} ms with promwire vs ${f(med(wk, "emptyReadyMs"))} ms for an empty Worker` +
    ` (difference ${f(w.importMs)} ms, shown as "import"); dispatch → first encoded request at the receiver ${f(med(wk, "dispatchToRequestMs"))} ms.`,
);
if (process.argv.includes("--json")) console.log(JSON.stringify(rows));
