// What `promwire run` adds to a cron job: wall time of `sh -c true` alone (and of a bare Node
// start, for scale), wrapped by
// `promwire run --pushgateway` (spawn, then one PUT of the run's metrics to a real Pushgateway),
// and — the hand-written alternative — `sh -c true` followed by `promwire push` of the same page.
// Fresh processes, the built CLI (dist/cli.js: `npm run build` first), a Pushgateway 1.5.1 on a
// free loopback port; the three are interleaved, one warm-up round is not counted, medians and
// min–max over RUNS rounds (default 15), ratios to the bare command printed.
//   node scripts/run-ts.mjs bench/run-overhead.ts        RUNS=n for more rounds
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startPushgateway } from "../test/support/pushgateway.ts";

// Run from the repository root (`node scripts/run-ts.mjs` bundles this file into .cache first).
const root = process.cwd();
const cli = resolve(root, "dist/cli.js");
if (!existsSync(cli)) {
  console.error("bench/run-overhead: dist/cli.js is missing: run `npm run build` first");
  process.exit(2);
}
const RUNS = Number(process.env.RUNS ?? 15);
const pg = await startPushgateway();
const dir = mkdtempSync(join(tmpdir(), "promwire-run-bench-"));
const page = join(dir, "page.prom");
const gauge = (name: string, value: string): string => `# TYPE ${name} gauge\n${name} ${value}\n`;
writeFileSync(page, gauge("by_hand_last_run_timestamp_seconds", "1.7e9") + gauge("by_hand_duration_seconds", "0.001") + gauge("by_hand_exit_code", "0") + gauge("by_hand_last_success_timestamp_seconds", "1.7e9"));

const cases: Record<string, [string, string[]]> = {
  "sh -c true": ["sh", ["-c", "true"]],
  "node -e 0 (the runtime's own start)": [process.execPath, ["-e", "0"]],
  "promwire run --pushgateway -- sh -c true": [process.execPath, [cli, "run", "--job", "bench", "--pushgateway", pg.url, "--", "sh", "-c", "true"]],
  "sh -c true; promwire push (same metrics)": ["sh", ["-c", `true; "${process.execPath}" "${cli}" push ${pg.url} --job by_hand --grouping instance=x --quiet "${page}"`]],
};
const names = Object.keys(cases);
const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
for (let round = 0; round <= RUNS; round++) {
  const order = names.map((_, i) => names[(i + round) % names.length]);
  for (const name of order) {
    const [cmd, args] = cases[name];
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr}`);
    if (round > 0) times[name].push(ms);
  }
}
await pg.stop();
rmSync(dir, { recursive: true, force: true });

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(times[names[0]]);
console.log(`promwire run overhead — node ${process.version}, ${RUNS} interleaved rounds\n`);
console.log("| command | median ms | min–max ms | × bare command |");
console.log("| --- | ---: | ---: | ---: |");
for (const n of names) {
  const m = median(times[n]);
  console.log(`| ${n} | ${m.toFixed(0)} | ${Math.min(...times[n]).toFixed(0)}–${Math.max(...times[n]).toFixed(0)} | ${(m / base).toFixed(1)} |`);
}
