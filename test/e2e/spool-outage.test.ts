// The spool against a real Prometheus, with jobs running on Node, Bun and Deno through each
// runtime's own entry (test/runtimes/fixtures/spool-job-*.ts), each a separate process:
// - Prometheus down for a job's whole first run: the job exits 3 reporting what it spooled; with
//   Prometheus up, the second run delivers the first run's samples, then its own; PromQL finds
//   every sample of both runs, each series in order, none missing, none twice.
// - `kill -9` while a run sends the spool (its request held by a proxy): the next run sends it
//   again, nothing is lost.
// - Two runs sending one spool at once: each file is sent once.
// - Bad spool files (truncated, garbage, a newer format): moved to rejected/ with the reason, the
//   run does not crash and delivers the rest.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { parseSpoolFile } from "../../core/client/remote-write/spool/format.ts";
import { decodeWriteRequest } from "../../core/wire/decode.ts";
import { decompress } from "../../core/wire/snappy.ts";
import { rawSamples, startPrometheus, type Prometheus } from "../support/prometheus.ts";

let prom: Prometheus;
let base: string;
beforeAll(async () => {
  prom = await startPrometheus();
  base = mkdtempSync(join(tmpdir(), "promwire-spool-e2e-"));
}, 60_000);
afterAll(async () => {
  await prom?.stop();
  rmSync(base, { recursive: true, force: true });
});

const runtimes = {
  node: async (): Promise<string[]> => {
    const outdir = resolve(".cache/spool-e2e");
    mkdirSync(outdir, { recursive: true });
    const outfile = `${outdir}/spool-job-node.mjs`;
    await build({ entryPoints: ["test/runtimes/fixtures/spool-job-node.ts"], bundle: true, platform: "node", format: "esm", target: "node20", outfile, packages: "external", logLevel: "error" });
    return [process.execPath, outfile];
  },
  bun: async () => [resolve("node_modules/.bin/bun"), "test/runtimes/fixtures/spool-job-bun.ts"],
  // The spool's directory only: read and write for it, nothing else of the disk.
  deno: async () => [resolve("node_modules/.bin/deno"), "run", "--allow-net", `--allow-read=${base}`, `--allow-write=${base}`, "test/runtimes/fixtures/spool-job-deno.ts"],
};

interface JobRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stats: Record<string, number> & { errors: string[] };
}

function job(cmd: string[], args: (string | number)[], onStart?: (child: ChildProcess) => void): Promise<JobRun> {
  return new Promise((done) => {
    const child = spawn(cmd[0], [...cmd.slice(1), ...args.map(String)], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d));
    child.stderr!.on("data", (d: Buffer) => (stderr += d));
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    onStart?.(child);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      let stats = { errors: [] } as unknown as JobRun["stats"];
      try {
        stats = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
      } catch {
        // killed before it printed
      }
      done({ code, signal, stdout, stderr, stats });
    });
  });
}

/** A proxy in front of Prometheus: answers 503, holds requests, or forwards them (recording each body). */
interface Proxy {
  readonly url: string;
  mode: "503" | "hold" | "forward";
  delayMs: number;
  /** Bodies forwarded to Prometheus and answered 2xx, base64. */
  readonly forwarded: string[];
  /** Requests received while holding. */
  held: number;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<Proxy> {
  const proxy: Proxy = { url: "", mode: "forward", delayMs: 0, forwarded: [], held: 0, close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (proxy.mode === "503") return void res.writeHead(503).end("maintenance");
      if (proxy.mode === "hold") {
        proxy.held++;
        return; // never forwarded, never answered
      }
      setTimeout(() => {
        const up = request(`${target}/api/v1/write`, { method: "POST", headers: req.headers }, (r) => {
          const out: Buffer[] = [];
          r.on("data", (c: Buffer) => out.push(c));
          r.on("end", () => {
            if ((r.statusCode ?? 0) < 300) proxy.forwarded.push(body.toString("base64"));
            res.writeHead(r.statusCode ?? 502, r.headers).end(Buffer.concat(out));
          });
        });
        up.on("error", (e) => res.writeHead(502).end(String(e)));
        up.end(body);
      }, proxy.delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

const spoolFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".spool")).sort();

/** Every sample Prometheus holds for a scenario: `i` → [timestamp, value][] in order. */
async function readBack(runtime: string, scenario: string): Promise<Map<string, [number, number][]>> {
  const result = await prom.query(`spool_job_value{runtime="${runtime}",scenario="${scenario}"}[2h]`);
  const out = new Map<string, [number, number][]>();
  for (const [key, samples] of rawSamples(result)) out.set(/i="(\d+)"/.exec(key)![1], samples);
  return out;
}

/** What the job writes for `series` series × `samples` samples from `t0` (see spool-job.ts). */
function expected(series: number, samples: number, ...t0s: number[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (let i = 0; i < series; i++) {
    out.set(
      String(i).padStart(3, "0"),
      t0s.flatMap((t0) => Array.from({ length: samples }, (_, j): [number, number] => [t0 + j * 1000, i * 1_000_000 + t0 / 1000 + j])),
    );
  }
  return out;
}

/** A whole second, `minutesAgo` minutes ago (Prometheus takes samples up to an hour behind its newest). */
const ago = (minutesAgo: number): number => Math.floor((Date.now() - minutesAgo * 60_000) / 1000) * 1000;

describe.each(Object.keys(runtimes) as (keyof typeof runtimes)[])("spool with a real Prometheus, jobs on %s", (runtime) => {
  let cmd: string[];
  beforeAll(async () => {
    cmd = await runtimes[runtime]();
  });

  it("Prometheus down for the whole first run: exit 3 and what was spooled; the second run delivers it, then its own; PromQL finds every sample", async () => {
    const dir = join(base, `${runtime}-outage`);
    const url = `${prom.url}/api/v1/write`;
    const t1 = ago(40);
    const t2 = ago(20);
    await prom.down();
    let first: JobRun;
    try {
      first = await job(cmd, [url, dir, "outage", t1, 10, 30]);
    } finally {
      await prom.up();
    }
    expect(first.code, first.stderr).toBe(3);
    expect(first.stderr).toContain(`300 samples spooled in ${dir}`);
    expect(first.stats).toMatchObject({ sent: 0, failed: 0, spooled: 300 });
    expect(spoolFiles(dir).length).toBeGreaterThanOrEqual(6);

    const second = await job(cmd, [url, dir, "outage", t2, 10, 30]);
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(second.stats).toMatchObject({ sent: 300, failed: 0, spooled: 0, resent: 300, errors: [] });
    expect(spoolFiles(dir)).toEqual([]);
    expect(readdirSync(join(dir, "rejected"))).toEqual([]);
    // Had the second run sent its own samples first, Prometheus would have refused the first
    // run's as out of order (HTTP 400) and they would be missing here.
    expect(await readBack(runtime, "outage")).toEqual(expected(10, 30, t1, t2));
  }, 120_000);

  it("kill -9 while a run sends the spool: the next run sends it again, nothing lost", async () => {
    const dir = join(base, `${runtime}-kill`);
    const proxy = await startProxy(prom.url);
    try {
      const t1 = ago(39);
      proxy.mode = "503";
      const first = await job(cmd, [proxy.url, dir, "kill", t1, 4, 25]);
      expect(first.code, first.stderr).toBe(3);
      const files = spoolFiles(dir);
      expect(files).toHaveLength(2);

      proxy.mode = "hold";
      const killed = await job(cmd, [proxy.url, dir, "kill", 0, 0, 0], (child) => {
        const poll = setInterval(() => {
          if (proxy.held > 0) {
            clearInterval(poll);
            child.kill("SIGKILL");
          }
        }, 10);
      });
      expect(killed.signal).toBe("SIGKILL");
      expect(spoolFiles(dir)).toEqual(files);
      expect(readdirSync(dir)).toContain("lock"); // left behind by the killed run

      proxy.mode = "forward";
      // Node and Bun see that the lock's process is gone; Deno cannot ask, and waits for the lock to go stale.
      if (runtime === "deno") await new Promise((r) => setTimeout(r, 2_500));
      const next = await job(cmd, [proxy.url, dir, "kill", 0, 0, 0]);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stats).toMatchObject({ resent: 100, failed: 0, errors: [] });
      expect(readdirSync(dir).sort()).toEqual(["rejected"]);
      expect(proxy.forwarded).toHaveLength(2);
      expect(await readBack(runtime, "kill")).toEqual(expected(4, 25, t1));
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("two runs sending one spool at once: each file is sent once", async () => {
    const dir = join(base, `${runtime}-two`);
    const proxy = await startProxy(prom.url);
    try {
      const t1 = ago(38);
      proxy.mode = "503";
      const first = await job(cmd, [proxy.url, dir, "two", t1, 20, 50]);
      expect(first.code, first.stderr).toBe(3);
      expect(spoolFiles(dir)).toHaveLength(20);
      proxy.mode = "forward";
      proxy.delayMs = 30;
      const [a, b] = await Promise.all([job(cmd, [proxy.url, dir, "two", 0, 0, 0]), job(cmd, [proxy.url, dir, "two", 0, 0, 0])]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect(a.stats.resent + b.stats.resent).toBe(1000);
      expect(spoolFiles(dir)).toEqual([]);
      expect(proxy.forwarded).toHaveLength(20);
      expect(new Set(proxy.forwarded).size).toBe(20);
      expect(await readBack(runtime, "two")).toEqual(expected(20, 50, t1));
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("bad spool files — truncated, garbage, a newer format — go to rejected/ with the reason; the run does not crash and sends the rest", async () => {
    const dir = join(base, `${runtime}-bad`);
    const proxy = await startProxy(prom.url);
    try {
      const t1 = ago(37);
      proxy.mode = "503";
      const first = await job(cmd, [proxy.url, dir, "bad", t1, 10, 25]); // 5 files of 50 samples
      expect(first.code, first.stderr).toBe(3);
      const [a, b, c, d, e] = spoolFiles(dir);
      const good = new Set(
        [a, e].flatMap((f) => decodeWriteRequest(decompress(parseSpoolFile(readFileSync(join(dir, f))).body), { version: "v1" }).series.map((x) => x.labels[x.labels.indexOf("i") + 1])),
      );
      expect(good.size).toBe(4);
      const bytes = readFileSync(join(dir, b));
      writeFileSync(join(dir, b), bytes.subarray(0, bytes.length >> 1));
      writeFileSync(join(dir, c), "garbage\n\x00\x01\x02");
      writeFileSync(join(dir, d), Buffer.concat([Buffer.from("promwire-spool 7\n"), readFileSync(join(dir, d)).subarray("promwire-spool 1\n".length)]));
      proxy.mode = "forward";
      const next = await job(cmd, [proxy.url, dir, "bad", 0, 0, 0]);
      expect(next.code, next.stderr).toBe(0);
      expect(next.stats).toMatchObject({ resent: 100, failed: 0 });
      expect(next.stats.errors).toHaveLength(3);
      expect(spoolFiles(dir)).toEqual([]);
      const reason = (f: string) => (JSON.parse(readFileSync(join(dir, "rejected", `${f}.json`), "utf8")) as { reason: string }).reason;
      expect(reason(b)).toMatch(/^truncated: the body has \d+ of \d+ bytes$/);
      expect(reason(c)).toMatch(/^not a promwire spool file/);
      expect(reason(d)).toBe("spool format version 7 is not supported (this promwire reads version 1)");
      // Prometheus holds the series of the two good files, a and e, and nothing else.
      const all = expected(10, 25, t1);
      expect(await readBack(runtime, "bad")).toEqual(new Map([...all].filter(([i]) => good.has(i))));
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
