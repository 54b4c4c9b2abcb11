#!/usr/bin/env node
// `npm test`: type-check, then every runtime's test suite, then one closing line
// `N passed, N failed, N skipped` summed over all of them (CI reads that line; vitest's own
// summary is not a format CI knows). Skipped tests are reported as skipped, not hidden among the
// failures; on a complete machine there are none. A runtime that cannot run counts as a failure.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { startServersProcess } from "./test-servers-loader.mjs";

mkdirSync(".cache", { recursive: true });
let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", ...opts });
  return r.status === 0;
}

// 0. The build users get (dist/, the CLI): the CLI tests run it.
{
  const ok = run("node", ["scripts/build.mjs"]);
  rows.push(["build", ok ? 1 : 0, ok ? 0 : 1, 0]);
  ok ? passed++ : failed++;
}

// 1. Types: the library, the tests and the benchmarks.
for (const project of ["tsconfig.json", "test/tsconfig.json"]) {
  const ok = run("npx", ["tsc", "-p", project]);
  rows.push([`typecheck ${project}`, ok ? 1 : 0, ok ? 0 : 1, 0]);
  ok ? passed++ : failed++;
}

// 2. Runtimes. The servers their shared cases talk to (the remote-write receiver and a real
// Pushgateway, on 127.0.0.1) start once here; every runtime gets their URLs in
// PROMWIRE_TEST_RECEIVER / PROMWIRE_TEST_PUSHGATEWAY (workerd as bindings).
let servers;
try {
  servers = await startServersProcess();
  process.env.PROMWIRE_TEST_RECEIVER = servers.receiverUrl;
  process.env.PROMWIRE_TEST_PUSHGATEWAY = servers.pushgatewayUrl;
  console.log(`\ntest servers: receiver ${servers.receiverUrl}, pushgateway ${servers.pushgatewayUrl}`);
} catch (e) {
  console.error(`\ntest servers did not start: ${e instanceof Error ? e.message : e}: counted as 1 failure`);
  rows.push(["test servers", 0, 1, 0]);
  failed++;
}

// Each runtime writes a vitest JSON report that we count.
function vitestReport(name, args, env = {}) {
  const out = `.cache/vitest-${name}.json`;
  rmSync(out, { force: true });
  const ok = run(args[0], [...args.slice(1), "--reporter=default", "--reporter=json", `--outputFile.json=${out}`], {
    env: { ...process.env, ...env },
  });
  if (!existsSync(out)) {
    console.error(`\n${name}: no test report was written (the runner failed to start): counted as 1 failure`);
    rows.push([name, 0, 1, 0]);
    failed++;
    return;
  }
  const report = JSON.parse(readFileSync(out, "utf8"));
  const p = report.numPassedTests ?? 0;
  const f = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
  const s = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  const extra = !ok && f === 0 ? 1 : 0; // runner failed without a failed test: still a failure
  rows.push([name, p, f + extra, s]);
  passed += p;
  failed += f + extra;
  skipped += s;
}

vitestReport("node", ["npx", "vitest", "run"]);

// Deno, Bun and workerd run the shared behaviour cases (test/shared) through their own adapter;
// their counts are read from each runner's own summary line.
const ansi = /\x1b\[[0-9;]*m/g;
function runtimeReport(name, script, pattern) {
  console.log(`\n$ npm run ${script}`);
  const r = spawnSync("npm", ["run", "--silent", script], { encoding: "utf8", env: process.env });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  process.stdout.write(out);
  const m = out.replace(ansi, "").match(pattern);
  if (!m) {
    console.error(`\n${name}: no summary line found (exit ${r.status}): counted as 1 failure`);
    rows.push([name, 0, 1, 0]);
    failed++;
    return;
  }
  const p = Number(m.groups.passed);
  const f = Number(m.groups.failed) + (r.status !== 0 && Number(m.groups.failed) === 0 ? 1 : 0);
  const s = Number(m.groups.skipped ?? 0);
  if (p === 0) console.error(`\n${name}: ran no test: counted as 1 failure`);
  rows.push([name, p, f + (p === 0 ? 1 : 0), s]);
  passed += p;
  failed += f + (p === 0 ? 1 : 0);
  skipped += s;
}
runtimeReport("deno", "test:deno", /(?:ok|FAILED) \| (?<passed>\d+) passed(?: \(\d+ steps\))? \| (?<failed>\d+) failed(?: \| (?<skipped>\d+) ignored)?/);
runtimeReport("bun", "test:bun", /(?<passed>\d+) pass\s+(?:(?<skipped>\d+) skip\s+)?(?:\d+ todo\s+)?(?<failed>\d+) fail/);
runtimeReport("workerd", "test:workers", /workerd: (?<passed>\d+) passed, (?<failed>\d+) failed(?:, (?<skipped>\d+) skipped)?/);

await servers?.stop();

console.log("\nruntime/check                passed  failed skipped");
for (const [name, p, f, s] of rows) console.log(`${name.padEnd(28)} ${String(p).padStart(6)}  ${String(f).padStart(6)}  ${String(s).padStart(6)}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed === 0 ? 0 : 1);
