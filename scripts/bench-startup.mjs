#!/usr/bin/env node
// `npm run bench:startup`: what one short-lived run pays for promwire before its first byte is on
// the wire, measured on the package as a user gets it (issue 11).
//
//   1. `npm pack` this checkout (its `prepack` builds dist/), or take TGZ=path/to/promwire-*.tgz;
//      install the tarball alone into a fresh consumer project in a temp dir
//      (`npm install <tgz> --prefer-offline`) and measure that node_modules (sum of file sizes).
//   2. From that project, fresh processes of the probes in bench/startup/, importing promwire by
//      its public specifiers: the bare runtime (an empty module), the runtime entry's import,
//      prom-client's import (Node; the repository's own copy, linked in after the size was taken),
//      the one-counter job and the bare-fetch script (POSTs the body the job sent, same headers).
//      Node, Deno (`--allow-net` only) and Bun. Each child runs under bench/startup/measure.py
//      (fork + wait4: wall time and ru_maxrss from outside), or `/usr/bin/time -f %M` without
//      python3. Both scripts write to one local receiver in this process that answers 204.
//   3. The README's Cloudflare Worker, built by wrangler with default settings
//      (`wrangler deploy --dry-run --outdir`, in the consumer project): gzipped and raw JS, WASM
//      apart. Its output is then started by the workerd binary itself (a generated config, the
//      listening socket handed in with --socket-fd), against an empty Worker: spawn → first
//      response to GET /. Not through Miniflare: its own set-up (serializing the modules into
//      workerd's config from JavaScript) grows with the modules' bytes and is not Worker start-up.
//
// Every run is a fresh process (or a fresh workerd), one warm-up of each probe is not counted,
// and the probes are interleaved: each round runs every probe once, the order rotated per round.
// Medians and min–max over RUNS rounds (default 9); "over bare" and the targets are medians of the
// per-round differences, so a noisy round moves both sides. Targets are issue 11's.
//
// Flags and environment:
//   --json    one JSON object on stdout instead of the table (progress always goes to stderr)
//   --check   exit 1 when a target is missed
//   RUNS=n    rounds (default 9)        ONLY=node,deno,bun,workerd   a subset of the runtimes
//   TGZ=file  measure this tarball instead of packing the checkout
//   DENO=, BUN=   runtime binaries (default: this repository's node_modules)   KEEP=1  keep the temp dir
//   RSS_TOOL=time     use /usr/bin/time even when python3 is present
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createServer as createNetServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { basename, join, relative, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const root = resolve(import.meta.dirname, "..");
const probes = resolve(root, "bench/startup");
const RUNS = Number(process.env.RUNS ?? 9);
const JSON_OUT = process.argv.includes("--json");
const CHECK = process.argv.includes("--check");
const ONLY = new Set((process.env.ONLY ?? "node,deno,bun,workerd").split(",").map((s) => s.trim()).filter(Boolean));
const KiB = 1024;
const MiB = 1024 * 1024;
const log = (msg) => process.stderr.write(`${msg}\n`);

function fail(msg) {
  log(`bench:startup: ${msg}`);
  process.exit(2);
}
if (!Number.isInteger(RUNS) || RUNS < 1) fail(`RUNS must be a positive integer, got ${process.env.RUNS}`);
for (const r of ONLY) if (!["node", "deno", "bun", "workerd"].includes(r)) fail(`ONLY: unknown runtime "${r}" (node, deno, bun, workerd)`);

// ---------------------------------------------------------------------------------------------
// Tools. A missing one is a clear error before anything runs.

function versionOf(cmd, args = ["--version"]) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.trim().split("\n")[0];
}
function pickBinary(name, envVar, candidates, hint) {
  const list = process.env[envVar] ? [process.env[envVar]] : candidates;
  for (const c of list) {
    const v = existsSync(c) || !c.includes("/") ? versionOf(c) : undefined;
    if (v) return { path: c, version: v };
  }
  fail(`${name} not found or not runnable (tried ${list.join(", ")}). ${hint}`);
}
const pkgVersion = (name) => {
  try {
    return JSON.parse(readFileSync(resolve(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
};
const NODE = { path: process.execPath, version: `Node ${process.version}` };
const DENO = ONLY.has("deno")
  ? pickBinary("deno", "DENO", [resolve(root, "node_modules/.bin/deno"), "deno"], "Run `npm ci` (deno is a devDependency) or set DENO=/path/to/deno.")
  : undefined;
const BUN = ONLY.has("bun")
  ? pickBinary("bun", "BUN", [resolve(root, "node_modules/.bin/bun"), resolve(root, "node_modules/@oven/bun-linux-x64/bin/bun"), "bun"], "Run `npm ci` (bun is a devDependency; its install script must have run) or set BUN=/path/to/bun.")
  : undefined;
const WRANGLER = resolve(root, "node_modules/wrangler/bin/wrangler.js");
if (ONLY.has("workerd") && !existsSync(WRANGLER)) fail("wrangler is not installed: run `npm ci` (wrangler 4.86.0 is a devDependency).");
const WORKERD = ONLY.has("workerd")
  ? await import("workerd").then((m) => m.default.default ?? m.default).catch((e) => fail(`workerd cannot be loaded (${e.message}): run \`npm ci\` (workerd is a devDependency).`))
  : undefined;
// The system python first: a version-manager shim (pyenv's is a shell script) costs a second a run.
const PYTHON = process.env.RSS_TOOL === "time" ? undefined : ["/usr/bin/python3", "python3"].find((p) => versionOf(p));
const GNU_TIME = !PYTHON && existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
if (!PYTHON && !GNU_TIME) fail("peak RSS needs python3 (os.wait4) or GNU time at /usr/bin/time; neither is present.");
const rssTool = PYTHON ? `${PYTHON} bench/startup/measure.py (fork + os.wait4: ru_maxrss, ru_utime + ru_stime)` : "/usr/bin/time -f '%M %U %S'";
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

// ---------------------------------------------------------------------------------------------
// The package as a user gets it.

const work = mkdtempSync(join(tmpdir(), "promwire-startup-"));
process.on("exit", () => {
  if (process.env.KEEP) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

let tgz = process.env.TGZ ? resolve(process.env.TGZ) : undefined;
if (tgz && !existsSync(tgz)) fail(`TGZ=${tgz} does not exist`);
if (!tgz) {
  log("npm pack (prepack builds dist/) …");
  const packDir = join(work, "pack");
  mkdirSync(packDir);
  const r = spawnSync(NPM, ["pack", "--pack-destination", packDir, "--silent"], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) fail(`npm pack failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const found = readdirSync(packDir).filter((f) => f.endsWith(".tgz"));
  if (found.length !== 1) fail(`npm pack left ${found.length} tarballs in ${packDir}`);
  tgz = join(packDir, found[0]);
}
const tgzBytes = lstatSync(tgz).size;

log(`npm install ${basename(tgz)} into a fresh consumer project …`);
const consumer = join(work, "consumer");
mkdirSync(consumer);
writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "startup-consumer", private: true, type: "module" }, null, 2));
{
  const r = spawnSync(NPM, ["install", tgz, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: consumer, encoding: "utf8" });
  if (r.status !== 0) fail(`npm install of the tarball failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

/** Sum of the sizes of the regular files under dir (symlinks not followed), like `du -b --apparent-size`. */
function treeBytes(dir) {
  let sum = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sum += treeBytes(p);
    else if (e.isFile()) sum += lstatSync(p).size;
  }
  return sum;
}
const nm = join(consumer, "node_modules");
const packages = [];
for (const e of readdirSync(nm, { withFileTypes: true })) {
  if (!e.isDirectory() || e.name.startsWith(".")) continue;
  const names = e.name.startsWith("@") ? readdirSync(join(nm, e.name)).map((n) => `${e.name}/${n}`) : [e.name];
  for (const n of names) packages.push({ name: n, bytes: treeBytes(join(nm, n)) });
}
packages.sort((a, b) => b.bytes - a.bytes);
const nodeModulesBytes = treeBytes(nm);

// prom-client for the Node peer row, taken from this repository (no network), linked in only now.
const promClientDir = resolve(root, "node_modules/prom-client");
if (ONLY.has("node")) {
  if (!existsSync(promClientDir)) fail("prom-client is not installed: run `npm ci` (it is a devDependency).");
  symlinkSync(promClientDir, join(nm, "prom-client"), "dir");
}

// ---------------------------------------------------------------------------------------------
// The receiver: answers 204 to everything, remembers the last request (body and headers).

const received = { count: 0, last: undefined };
const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    received.count++;
    received.last = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) };
    res.writeHead(204).end();
  });
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const receiverUrl = `http://127.0.0.1:${server.address().port}/api/v1/write`;

// ---------------------------------------------------------------------------------------------
// Probes, copied into the consumer project (so each resolves promwire from its node_modules).

const probeSource = (name) => readFileSync(join(probes, name), "utf8");
function writeProbe(name, source) {
  const path = join(consumer, name);
  writeFileSync(path, source);
  return path;
}
writeProbe("bare.mjs", probeSource("bare.mjs"));
writeProbe("prom-client.mjs", probeSource("prom-client.mjs"));
const forRuntime = (source, rt) => source.replaceAll('"promwire/node"', `"promwire/${rt}"`);
for (const rt of ["node", "deno", "bun"]) {
  writeProbe(`import-${rt}.mjs`, forRuntime(probeSource("import.mjs"), rt));
  writeProbe(`job-${rt}.mjs`, forRuntime(probeSource("job.mjs"), rt));
}
/** The bare-fetch script with the body and headers a job sent (transport headers are fetch's own). */
function writeBareFetch(rt, request) {
  const transport = new Set(["host", "connection", "content-length", "transfer-encoding", "accept", "accept-encoding", "accept-language", "sec-fetch-mode", "keep-alive"]);
  const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => !transport.has(k)));
  const src = probeSource("bare-fetch.mjs")
    .replace('/*BODY*/ ""', JSON.stringify(request.body.toString("base64")))
    .replace("/*HEADERS*/ {}", JSON.stringify(headers));
  writeProbe(`bare-fetch-${rt}.mjs`, src);
}

const childEnv = { ...process.env, NO_COLOR: "1", DENO_DIR: join(work, "deno-dir"), DENO_NO_UPDATE_CHECK: "1", WRANGLER_SEND_METRICS: "false" };
delete childEnv.NODE_OPTIONS;
const commandFor = {
  node: (file) => [NODE.path, [file]],
  deno: (file) => [DENO.path, ["run", "--allow-net", file]],
  bun: (file) => [BUN.path, [file]],
};

/** One fresh process: wall time (ms) and peak RSS (KiB), measured from outside the child. */
function measureProcess(rt, file, args = []) {
  const [cmd, cmdArgs] = commandFor[rt](file);
  const argv = [cmd, ...cmdArgs, ...args];
  const timeFile = join(work, "time.out");
  const [wrapper, wrapperArgs] = PYTHON ? [PYTHON, ["-I", join(probes, "measure.py"), ...argv]] : [GNU_TIME, ["-f", "%M %U %S", "-o", timeFile, ...argv]];
  return new Promise((done, reject) => {
    const t0 = performance.now();
    const child = spawn(wrapper, wrapperArgs, { cwd: consumer, env: childEnv, stdio: ["ignore", "pipe", "pipe", "pipe"], detached: true });
    let out = "";
    let err = "";
    let report = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.stdio[3].on("data", (d) => (report += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, 60_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - t0;
      let r;
      if (PYTHON) r = report ? JSON.parse(report) : { exit: code ?? signal };
      else {
        const [rss, user, sys] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
        r = { ms: wallMs, cpuMs: (user + sys) * 1000, maxrssKb: rss, exit: code ?? signal };
      }
      if (r.exit !== 0) {
        return reject(new Error(`${rt} ${relative(consumer, file)} failed (exit ${r.exit}${signal === "SIGKILL" ? ", killed after 60 s" : ""}):\n${(err || out).trim()}`));
      }
      done({ ms: r.ms, cpuMs: r.cpuMs, rssKb: r.maxrssKb });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The README's Worker, built by wrangler in the consumer project.

const wrangler = {};
const workerd = {};
if (ONLY.has("workerd")) {
  const readme = readFileSync(resolve(root, "README.md"), "utf8");
  const fences = [...readme.matchAll(/```(\S*)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2], at: m.index }));
  const ts = fences.find((f) => f.lang === "ts" && f.body.includes('"promwire/workers"') && f.body.includes("withMetrics"));
  const toml = ts && fences.find((f) => f.lang === "toml" && f.at > ts.at && /^main\s*=/m.test(f.body));
  if (!ts || !toml) fail('README.md has no ```ts block using withMetrics from "promwire/workers" followed by a ```toml block with `main =`: the Worker to build.');
  const main = /^main\s*=\s*"([^"]+)"/m.exec(toml.body)[1];
  mkdirSync(join(consumer, main, ".."), { recursive: true });
  writeFileSync(join(consumer, main), ts.body);
  writeFileSync(join(consumer, "wrangler.toml"), toml.body);
  wrangler.compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml.body)?.[1] ?? "2025-01-01";

  log("wrangler deploy --dry-run --outdir (README's Worker, default settings) …");
  const outdir = join(consumer, "wrangler-out");
  const r = spawnSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir], { cwd: consumer, env: { ...childEnv, CI: "1" }, encoding: "utf8" });
  if (r.status !== 0) fail(`wrangler deploy --dry-run failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  wrangler.version = pkgVersion("wrangler");
  wrangler.totalUploadLine = /Total Upload:[^\n]*/.exec(r.stdout)?.[0]?.trim();
  const files = readdirSync(outdir).filter((f) => /\.(m?js|wasm)$/.test(f));
  const js = files.filter((f) => /\.m?js$/.test(f)).map((f) => readFileSync(join(outdir, f)));
  const wasm = files.filter((f) => f.endsWith(".wasm")).map((f) => readFileSync(join(outdir, f)));
  const size = (bufs) => ({ raw: bufs.reduce((s, b) => s + b.length, 0), gzip: bufs.reduce((s, b) => s + gzipSync(b).length, 0) });
  Object.assign(wrangler, { files, js: size(js), wasm: size(wasm) });
  const entry = files.find((f) => /^index\.m?js$/.test(f));
  if (!entry) fail(`wrangler's output has no index.js (files: ${files.join(", ")})`);
  wrangler.compatibilityFlags = JSON.parse(/^compatibility_flags\s*=\s*(\[[^\]]*\])/m.exec(toml.body)?.[1] ?? "[]");
  // The entry first; the WASM modules by the names index.js imports them by (its own file names).
  const modules = [entry, ...files.filter((f) => f !== entry && f.endsWith(".wasm"))].map((f) => ({ name: f, type: f.endsWith(".wasm") ? "wasm" : "esModule", path: join(outdir, f) }));
  writeFileSync(join(consumer, "empty-worker.mjs"), probeSource("empty-worker.mjs"));
  const emptyConfig = join(consumer, "workerd-empty.capnp");
  const workerConfig = join(consumer, "workerd-worker.capnp");
  writeFileSync(emptyConfig, workerdConfig([{ name: "empty-worker.mjs", type: "esModule", path: join(consumer, "empty-worker.mjs") }], wrangler.compatibilityDate, wrangler.compatibilityFlags));
  writeFileSync(workerConfig, workerdConfig(modules, wrangler.compatibilityDate, wrangler.compatibilityFlags));
  Object.assign(workerd, { binary: WORKERD, configs: { empty: emptyConfig, worker: workerConfig }, version: pkgVersion("workerd") });
}

/**
 * A workerd config (Cap'n Proto text, written into the consumer project: `embed` paths are relative
 * to it) serving one Worker of these modules, the first being the entry.
 */
function workerdConfig(modules, compatibilityDate, compatibilityFlags) {
  const capnpString = (s) => JSON.stringify(s); // the file names and URL here are plain ASCII
  const mods = modules
    .map((m) => `(name = ${capnpString(m.name)}, ${m.type === "wasm" ? "wasm" : "esModule"} = embed ${capnpString(relative(consumer, m.path))})`)
    .join(", ");
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker), (name = "net", network = (allow = ["public", "private", "local"])) ],
  sockets = [ (name = "http", http = (), service = "main") ],
);
const worker :Workerd.Worker = (
  modules = [ ${mods} ],
  compatibilityDate = ${capnpString(compatibilityDate)},
  compatibilityFlags = [ ${compatibilityFlags.map(capnpString).join(", ")} ],
  bindings = [ (name = "PROMWIRE_REMOTE_WRITE_URL", text = ${capnpString(receiverUrl)}) ],
  # workerd refuses fetches to 127.0.0.1 unless its outbound network allows local addresses.
  globalOutbound = "net",
);
`;
}

/**
 * A fresh workerd process serving `which` Worker: from spawn to the first response to GET /.
 * The listening socket is opened here and handed to workerd (`--socket-fd`), so the request is
 * sent at once and waits in the socket's backlog until the Worker is loaded and answers: no
 * polling, and nothing but workerd's own start-up in the figure.
 */
async function measureWorker(which, { awaitDelivery = false } = {}) {
  const listener = createNetServer();
  await new Promise((ok, ko) => listener.once("error", ko).listen(0, "127.0.0.1", ok));
  const { port } = listener.address();
  let child;
  try {
    const t0 = performance.now();
    child = spawn(workerd.binary, ["serve", workerd.configs[which], "--socket-fd", "http=3"], { stdio: ["ignore", "ignore", "pipe", listener._handle.fd] });
    // workerd holds the socket now; closed here, this process stops accepting on it.
    listener.close();
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise((ok) => child.once("exit", ok));
    const answer = (async () => {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      return { status: res.status, text: await res.text() };
    })();
    const first = await Promise.race([answer, exited.then((code) => ({ exited: code }))]);
    const firstMs = performance.now() - t0;
    if (first.exited !== undefined) throw new Error(`workerd (${which} Worker) exited with ${first.exited} before answering:\n${stderr.slice(-2000)}`);
    if (first.status !== 200 || first.text !== "hello") throw new Error(`workerd ${which} Worker answered ${first.status} ${JSON.stringify(first.text.slice(0, 200))}`);
    // Warm-up only: the push runs in ctx.waitUntil after the response; see that it arrives.
    for (let i = 0; awaitDelivery && i < 60 && received.last === undefined; i++) await new Promise((r) => setTimeout(r, 50));
    return { firstMs };
  } finally {
    if (listener.listening) listener.close();
    if (child && child.exitCode === null) {
      const gone = new Promise((ok) => child.once("exit", ok));
      child.kill("SIGKILL");
      await gone;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The probes, warmed up once, then interleaved rounds.

const tasks = [];
const addProc = (id, rt, file, check) => tasks.push({ id, rt, run: () => measureProcess(rt, join(consumer, file), [receiverUrl]), check });
/** The job must reach the receiver; the bare-fetch script sends exactly one request. */
const expectRequests = (exactly) => (n) => {
  if (exactly !== undefined ? n !== exactly : n < 1) throw new Error(`expected ${exactly ?? "≥ 1"} request(s) at the receiver, got ${n}`);
};
for (const rt of ["node", "deno", "bun"]) {
  if (!ONLY.has(rt)) continue;
  addProc(`${rt}.bare`, rt, "bare.mjs");
  addProc(`${rt}.import`, rt, `import-${rt}.mjs`);
  if (rt === "node") addProc("node.promClient", rt, "prom-client.mjs");
  addProc(`${rt}.job`, rt, `job-${rt}.mjs`, expectRequests());
  addProc(`${rt}.fetch`, rt, `bare-fetch-${rt}.mjs`, expectRequests(1));
}
if (ONLY.has("workerd")) {
  tasks.push({ id: "workerd.empty", rt: "workerd", run: () => measureWorker("empty") });
  tasks.push({ id: "workerd.worker", rt: "workerd", run: (warmUp) => measureWorker("worker", { awaitDelivery: warmUp }) });
}

async function runTask(task, warmUp = false) {
  const before = received.count;
  const r = await task.run(warmUp);
  task.check?.(received.count - before);
  return r;
}

const samples = Object.fromEntries(tasks.map((t) => [t.id, []]));
// Other work on the machine shows in the spread; the load average says how much there was.
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = existsSync("/proc/loadavg") ? loadavg() : "?";
const t0 = performance.now();
try {
  await measureAll();
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
const roundsSeconds = (performance.now() - t0) / 1000;
const loadAfter = existsSync("/proc/loadavg") ? loadavg() : "?";
server.closeAllConnections();
server.close();

async function measureAll() {
  log(`warm-up: one run of each probe (not counted) …`);
  for (const task of tasks) {
    if (task.id.endsWith(".fetch")) continue; // written from its job's request below
    received.last = undefined;
    await runTask(task, true);
    if (task.id.endsWith(".job")) {
      if (!received.last) throw new Error(`${task.id}: no request captured`);
      writeBareFetch(task.rt, received.last);
    }
    if (task.id === "workerd.worker") workerd.deliveredInWarmUp = received.last !== undefined;
  }
  for (const task of tasks.filter((t) => t.id.endsWith(".fetch"))) await runTask(task);

  for (let round = 0; round < RUNS; round++) {
    log(`round ${round + 1}/${RUNS} …`);
    for (let i = 0; i < tasks.length; i++) {
      const task = tasks[(i + round) % tasks.length];
      samples[task.id][round] = await runTask(task);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const values = (id, key) => samples[id].map((s) => s[key]);
const pairedDelta = (a, b, key) => median(samples[a].map((s, i) => s[key] - samples[b][i][key]));
const summary = (id, key) => {
  const xs = values(id, key);
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs };
};

const rows = [];
const ms = (x) => `${x.toFixed(0)} ms`;
const signedMs = (x) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(0)} ms`;
const mb = (kb) => `${(kb / 1024).toFixed(1)} MiB`;
const signedMb = (kb) => `${kb >= 0 ? "+" : "−"}${Math.abs(kb / 1024).toFixed(1)} MiB`;
const kib = (b) => `${(b / KiB).toFixed(1)} KiB`;

function timeRow(id, label, { bare, target } = {}) {
  const s = summary(id, "ms");
  const cpu = summary(id, "cpuMs");
  rows.push({
    id: `${id}.ms`, label, unit: "ms", ...s, cpuMs: cpu,
    overBare: bare ? pairedDelta(id, bare, "ms") : undefined,
    text: {
      median: ms(s.median), range: `${s.min.toFixed(0)}–${s.max.toFixed(0)}`, overBare: bare ? signedMs(pairedDelta(id, bare, "ms")) : "",
      cpu: `${cpu.median.toFixed(0)} ms${bare ? ` (${signedMs(pairedDelta(id, bare, "cpuMs"))})` : ""}`,
    },
    target,
  });
}
function rssRow(id, label, { bare, target } = {}) {
  const s = summary(id, "rssKb");
  rows.push({
    id: `${id}.rss`, label, unit: "KiB", ...s,
    overBare: bare ? pairedDelta(id, bare, "rssKb") : undefined,
    text: { median: mb(s.median), range: `${(s.min / 1024).toFixed(1)}–${(s.max / 1024).toFixed(1)}`, overBare: bare ? signedMb(pairedDelta(id, bare, "rssKb")) : "" },
    target,
  });
}
/** A target "A ≤ B + limit", judged on the median of per-round differences A − B. */
function deltaTarget(a, b, key, limit, what, fmt) {
  const delta = pairedDelta(a, b, key);
  return { text: `≤ ${what}${limit ? ` + ${fmt(limit).replace(/^\+/, "")}` : ""}: ${fmt(delta)}`, value: delta, limit, ok: delta <= limit };
}

const versions = { node: ONLY.has("node") ? NODE.version : undefined, deno: DENO?.version, bun: BUN && `Bun ${BUN.version}` };
for (const rt of ["node", "deno", "bun"]) {
  if (!ONLY.has(rt)) continue;
  const R = rt[0].toUpperCase() + rt.slice(1);
  const flags = rt === "deno" ? " (--allow-net)" : "";
  timeRow(`${rt}.bare`, `${R}: bare runtime (empty module)${flags}`);
  timeRow(`${rt}.import`, `${R}: import "promwire/${rt}"`, {
    bare: `${rt}.bare`,
    target: rt === "node" ? deltaTarget("node.import", "node.promClient", "ms", 0, "prom-client import", signedMs) : undefined,
  });
  if (rt === "node") timeRow("node.promClient", `Node: import "prom-client" ${pkgVersion("prom-client")}`, { bare: "node.bare" });
  timeRow(`${rt}.job`, `${R}: one-counter job`, { bare: `${rt}.bare`, target: deltaTarget(`${rt}.job`, `${rt}.fetch`, "ms", 50, "bare-fetch", signedMs) });
  timeRow(`${rt}.fetch`, `${R}: bare-fetch script`, { bare: `${rt}.bare` });
  rssRow(`${rt}.job`, `${R}: job peak RSS`, {
    bare: `${rt}.bare`,
    target: rt === "node" ? deltaTarget("node.job", "node.fetch", "rssKb", 10 * 1024, "bare-fetch", signedMb) : undefined,
  });
  rssRow(`${rt}.fetch`, `${R}: bare-fetch peak RSS`, { bare: `${rt}.bare` });
}
if (ONLY.has("workerd")) {
  const wr = (id, key, label, opts) => {
    const s = summary(id, key);
    const over = opts.bare ? pairedDelta(id, opts.bare, key) : undefined;
    rows.push({ id: `${id}.${key}`, label, unit: "ms", ...s, overBare: over, text: { median: ms(s.median), range: `${s.min.toFixed(0)}–${s.max.toFixed(0)}`, overBare: over === undefined ? "" : signedMs(over) }, target: opts.target });
  };
  wr("workerd.empty", "firstMs", "workerd: empty Worker, start → first response", {});
  wr("workerd.worker", "firstMs", "workerd: README Worker (wrangler build), start → first response", {
    bare: "workerd.empty",
    target: deltaTarget("workerd.worker", "workerd.empty", "firstMs", 10, "empty Worker", signedMs),
  });
  const gzLimit = 40 * KiB;
  rows.push({
    id: "wrangler.js.gzip", label: `wrangler ${wrangler.version}: README Worker JS, gzip`, unit: "B", median: wrangler.js.gzip,
    text: { median: kib(wrangler.js.gzip), range: "", overBare: "" },
    target: { text: `≤ 40 KiB`, value: wrangler.js.gzip, limit: gzLimit, ok: wrangler.js.gzip <= gzLimit },
  });
  rows.push({ id: "wrangler.js.raw", label: `wrangler ${wrangler.version}: README Worker JS, raw`, unit: "B", median: wrangler.js.raw, text: { median: kib(wrangler.js.raw), range: "", overBare: "" } });
  rows.push({
    id: "wrangler.wasm", label: `wrangler ${wrangler.version}: WASM apart (raw / gzip)`, unit: "B", median: wrangler.wasm.raw, gzip: wrangler.wasm.gzip,
    text: { median: `${kib(wrangler.wasm.raw)} / ${kib(wrangler.wasm.gzip)}`, range: "", overBare: "" },
  });
}
rows.push({
  id: "nodeModules", label: "consumer node_modules (the tarball alone)", unit: "B", median: nodeModulesBytes,
  text: { median: `${(nodeModulesBytes / MiB).toFixed(1)} MiB`, range: "", overBare: "" },
  target: { text: "≤ 5 MiB", value: nodeModulesBytes, limit: 5 * MiB, ok: nodeModulesBytes <= 5 * MiB },
});

const report = {
  runs: RUNS,
  roundsSeconds,
  cpus: availableParallelism(),
  loadavg: { before: loadBefore, after: loadAfter },
  rssTool,
  versions: { ...versions, workerd: workerd.version, wrangler: wrangler.version },
  tarball: { file: basename(tgz), bytes: tgzBytes },
  nodeModules: { bytes: nodeModulesBytes, packages },
  wrangler: ONLY.has("workerd") ? { files: wrangler.files, js: wrangler.js, wasm: wrangler.wasm, totalUploadLine: wrangler.totalUploadLine } : undefined,
  rows: rows.map(({ text, ...r }) => r),
};

if (JSON_OUT) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const mark = (t) => (t ? `${t.text} ${t.ok ? "✓" : "✗"}` : "");
  console.log(`\nStart-up of a short-lived run (issue 11): ${RUNS} interleaved rounds of fresh processes, medians; over bare / targets are medians of per-round differences`);
  const runtimes = [versions.node, versions.deno, versions.bun, workerd.version && `workerd ${workerd.version}`];
  console.log(`${runtimes.filter(Boolean).join(", ")}; peak RSS and CPU time: ${rssTool}`);
  console.log(`package: ${basename(tgz)} (${kib(tgzBytes)}), installed alone into a fresh project; probes in bench/startup/; receiver on 127.0.0.1 answering 204\n`);
  console.log("| row | median | min–max | over bare | target | CPU user+sys (over bare) |");
  console.log("| --- | ---: | ---: | ---: | --- | ---: |");
  for (const r of rows) console.log(`| ${r.label} | ${r.text.median} | ${r.text.range} | ${r.text.overBare} | ${mark(r.target)} | ${r.text.cpu ?? ""} |`);
  console.log(`\nWall times are the targets; the CPU column (the child's own user + system time) moves less when other work shares the cores.`);
  if (ONLY.has("workerd")) console.log(`workerd "over bare" is over the empty Worker, same round.`);
  if (workerd.deliveredInWarmUp === false) console.log("note: in the warm-up the README's Worker pushed nothing to the receiver within 3 s of its first response.");
  if (wrangler.totalUploadLine) console.log(`wrangler itself printed: ${wrangler.totalUploadLine} (JS and WASM together); JS gzip above is zlib's default level per file.`);
  console.log(`largest packages in node_modules: ${packages.slice(0, 6).map((p) => `${p.name} ${(p.bytes / MiB).toFixed(1)} MiB`).join(", ")}`);
  console.log(`${roundsSeconds.toFixed(0)} s of warm-up and rounds on ${availableParallelism()} CPUs; load average (1, 5, 15 min) before ${loadBefore}, after ${loadAfter}`);
}
if (CHECK && rows.some((r) => r.target && !r.target.ok)) process.exitCode = 1;
