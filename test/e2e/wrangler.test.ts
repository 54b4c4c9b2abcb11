// README's Worker, built and served by real wrangler (4.86, the newest that runs on Node 20) from
// the installed tarball, as a user builds it: `wrangler deploy --dry-run` with default settings
// bundles it (the snappy WASM as a CompiledWasm module; the JS size is what the Worker ships), and
// `wrangler dev` serves it on workerd, its counter arriving at a real Prometheus.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";
import { packedProject, readmeWorkerFiles, ROOT, type PackedProject } from "../support/packed.ts";
import { startPrometheus, type Prometheus, type PromSeriesResult } from "../support/prometheus.ts";

/**
 * The gzipped JS the README's Worker may ship with wrangler's default (unminified) build, WASM
 * apart: a bound that keeps it from growing (59.1 KB when set; 60.1 KB with the steady-state v1
 * rewrite of issue 13, core/wire/steady-v1.ts). Issue 11 asks for 40 KB, which needs the Worker's
 * sender without Effect's runtime (about a third of the bundle): not done yet.
 */
export const WORKER_GZIP_JS_LIMIT = 61 * 1024;

const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
const QUIET = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1", CI: "1" };
let p: PackedProject;
let dir: string;
let prom: Prometheus;
let dev: ChildProcess | undefined;

beforeAll(async () => {
  p = await packedProject();
  dir = join(p.dir, "worker");
  mkdirSync(join(dir, "src"), { recursive: true });
  for (const [file, text] of Object.entries(readmeWorkerFiles())) writeFileSync(join(dir, file), text);
  // The project's node_modules (promwire installed from the tarball) is where wrangler resolves it.
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "worker", private: true, type: "module" }));
  symlinkSync(join(p.project, "node_modules"), join(dir, "node_modules"));
  prom = await startPrometheus();
}, 240_000);

afterAll(async () => {
  dev?.kill("SIGTERM");
  await prom?.stop();
});

describe("README's Worker with real wrangler", () => {
  it(`wrangler deploy --dry-run (default settings) bundles it: the WASM as a module, at most ${WORKER_GZIP_JS_LIMIT / 1024} KB of gzipped JS`, () => {
    const r = spawnSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", "out"], { cwd: dir, encoding: "utf8", env: QUIET });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const files = readdirSync(join(dir, "out"));
    const js = readFileSync(join(dir, "out/index.js"));
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    expect(wasm).toHaveLength(1);
    const gz = gzipSync(js, { level: 9 }).length;
    console.log(`[wrangler] README Worker: index.js ${(js.length / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped; WASM ${(readFileSync(join(dir, "out", wasm[0])).length / 1024).toFixed(1)} KB`);
    expect(gz).toBeLessThanOrEqual(WORKER_GZIP_JS_LIMIT);
  });

  it("wrangler deploy --dry-run accepts the aggregating Worker (examples/workers-aggregate): the Durable Object binding and migration, MetricsAggregator exported", () => {
    const agg = join(p.dir, "worker-aggregate");
    mkdirSync(join(agg, "src"), { recursive: true });
    for (const file of ["src/index.ts", "wrangler.toml"]) writeFileSync(join(agg, file), readFileSync(join(ROOT, "examples/workers-aggregate", file)));
    writeFileSync(join(agg, "package.json"), JSON.stringify({ name: "worker-aggregate", private: true, type: "module" }));
    symlinkSync(join(p.project, "node_modules"), join(agg, "node_modules"));
    const r = spawnSync(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", "out"], { cwd: agg, encoding: "utf8", env: QUIET });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/env\.PROMWIRE_AGGREGATOR \(MetricsAggregator\)\s+Durable Object/);
    const js = readFileSync(join(agg, "out/index.js"), "utf8");
    expect(js).toMatch(/export\s*\{[^}]*\bMetricsAggregator\b/);
    console.log(`[wrangler] aggregating Worker: index.js ${(js.length / 1024).toFixed(1)} KB, ${(gzipSync(js, { level: 9 }).length / 1024).toFixed(1)} KB gzipped`);
  });

  it("wrangler dev serves it; 8 requests then silence: all 8 increments reach a real Prometheus, one series, no resets", async () => {
    const port = await freePort();
    const url = `${prom.url}/api/v1/write`;
    dev = spawn(process.execPath, [WRANGLER, "dev", "--ip", "127.0.0.1", "--port", String(port), "--var", `PROMWIRE_REMOTE_WRITE_URL:${url}`, "--var", "PROMWIRE_FLUSH_INTERVAL_MS:1000"], {
      cwd: dir,
      env: QUIET,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    dev.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    dev.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 600 && !/Ready on/.test(log); i++) await new Promise((r) => setTimeout(r, 100));
    expect(log).toMatch(/Ready on/);
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(await res.text()).toBe("hello");
    }
    // No further request: the last increments arrive by the isolate's trailing flush.
    let values: PromSeriesResult[] = [];
    for (let i = 0; i < 150; i++) {
      values = await prom.query("worker_requests_total");
      if (values.length > 0 && values[0].value?.[1] === "8") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(values.map((v) => v.value?.[1])).toEqual(["8"]);
    expect(Object.keys(values[0].metric).sort()).toEqual(["__name__", "isolate"]);
    expect(await prom.query("resets(worker_requests_total[5m])")).toMatchObject([{ value: [expect.any(Number), "0"] }]);
  }, 90_000);
});
