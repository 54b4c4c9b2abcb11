// The process adapters flush at exit, in their real runtimes: Node and Bun on `beforeExit` and
// SIGTERM/SIGINT, Deno on `beforeunload` and SIGTERM/SIGINT. The job's writer has a 60 s flush
// deadline, so data that arrives came from the exit hooks; a job that ends must not wait for the
// deadline; a signalled job still dies of (Node, Bun) or exits as for (Deno) the signal.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { initEmbeddedSnappy } from "../../core/wire/snappy-embedded.ts";

const runtimes = {
  node: async (): Promise<string[]> => {
    const outdir = resolve(".cache/exit-hooks");
    mkdirSync(outdir, { recursive: true });
    const outfile = `${outdir}/exit-job-node.mjs`;
    await build({ entryPoints: ["test/runtimes/fixtures/exit-job-node.ts"], bundle: true, platform: "node", format: "esm", target: "node20", outfile, packages: "external", logLevel: "error" });
    return [process.execPath, outfile];
  },
  // The runtimes' own binaries (npm installs them in node_modules/.bin), not `npx`, which would
  // receive the signal instead.
  bun: async () => [resolve("node_modules/.bin/bun"), "test/runtimes/fixtures/exit-job-bun.ts"],
  // Only --allow-net: the URL comes as an argument, nothing is read from the environment or disk.
  deno: async () => [resolve("node_modules/.bin/deno"), "run", "--allow-net", "test/runtimes/fixtures/exit-job-deno.ts"],
};

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stderr: string;
  stdout: string;
}

function runJob(cmd: string[], mode: "end" | "signal" | "close-unreachable" | "every-end" | "every-signal", url: string, signal?: NodeJS.Signals): Promise<Run> {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(cmd[0], [...cmd.slice(1), mode, url], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (signal && d.toString().includes("ready")) child.kill(signal);
    });
    // A job that hangs fails the test instead of the suite.
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (code, sig) => {
      clearTimeout(guard);
      done({ code, signal: sig, ms: Date.now() - t0, stderr, stdout });
    });
  });
}

describe.each(Object.keys(runtimes) as (keyof typeof runtimes)[])("exit hooks on %s", (runtime) => {
  let receiver: Receiver;
  let cmd: string[];
  beforeAll(async () => {
    initEmbeddedSnappy();
    receiver = await startReceiver({ port: 0 });
    cmd = await runtimes[runtime]();
  });
  afterAll(() => receiver?.close());

  const arrived = (path: string): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const r of receiver.requests) {
      if (r.kind !== "remote-write" || r.path !== path) continue;
      for (const s of r.request.series) out[s.labels[1]] = s.samples?.[0]?.value ?? NaN;
    }
    return out;
  };

  it("a job that ends: flushed on exit, without waiting for the 60 s deadline, exit status 0", async () => {
    const path = `/api/v1/write/${runtime}-end`;
    const r = await runJob(cmd, "end", `${receiver.url}${path}`);
    expect(r.stderr).toBe("");
    expect([r.code, r.signal]).toEqual([0, null]);
    expect(r.ms).toBeLessThan(10_000);
    expect(arrived(path)).toEqual({ exit_job_mode: 1, exit_job_rows_total: 5 });
  });

  it("a pending close() keeps the process alive through the retries and the failure is reported", async () => {
    // Port 1 on loopback: connection refused, a retryable network error every time.
    const r = await runJob(cmd, "close-unreachable", "http://127.0.0.1:1/api/v1/write");
    expect([r.code, r.signal]).toEqual([0, null]);
    expect(JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}")).toEqual({ failed: 2, reported: 2 });
  });

  /** The progress values pushed to the receiver's Pushgateway API for `job`, and remote-written to `path`. */
  const periodic = (job: string, path: string): { pushed: number[]; written: number[] } => {
    const pushed: number[] = [];
    const written: number[] = [];
    for (const r of receiver.requests) {
      if (r.kind === "pushgateway" && r.path.startsWith(`/metrics/job/${job}/`)) {
        const f = r.families.find((x) => x.name === "exit_job_progress");
        if (f !== undefined) pushed.push(f.samples[0].value);
      }
      if (r.kind === "remote-write" && r.path === path) {
        for (const s of r.request.series) if (s.labels[1] === "exit_job_progress") for (const x of s.samples ?? []) written.push(x.value);
      }
    }
    return { pushed, written };
  };

  it("pushEvery and collectEvery in a job that ends: the ticks do not keep it alive, the exit hooks make the final push and collect", async () => {
    const path = `/api/v1/write/${runtime}-every-end`;
    const r = await runJob(cmd, "every-end", `${receiver.url}${path}`);
    expect(r.stderr).toBe("");
    expect([r.code, r.signal]).toEqual([0, null]);
    // 300 ms of work, then the final push: well before a 1 s tick would have mattered much.
    expect(r.ms).toBeLessThan(8_000);
    const got = periodic(`exit_every_end_${runtime}`, path);
    expect(got.pushed[0]).toBe(1);
    expect(got.pushed[got.pushed.length - 1]).toBe(2);
    expect(got.written[0]).toBe(1);
    expect(got.written[got.written.length - 1]).toBe(2);
  });

  it("pushEvery and collectEvery, SIGTERM: the final push and collect, then the signal takes effect", async () => {
    const path = `/api/v1/write/${runtime}-every-signal`;
    const r = await runJob(cmd, "every-signal", `${receiver.url}${path}`, "SIGTERM");
    const got = periodic(`exit_every_signal_${runtime}`, path);
    expect(got.pushed[got.pushed.length - 1]).toBe(2);
    expect(got.written[got.written.length - 1]).toBe(2);
    if (runtime === "deno") expect([r.code, r.signal]).toEqual([143, null]);
    else expect([r.code, r.signal]).toEqual([null, "SIGTERM"]);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal}: flushed, then the signal takes effect`, async () => {
      const path = `/api/v1/write/${runtime}-${signal}`;
      const r = await runJob(cmd, "signal", `${receiver.url}${path}`, signal);
      expect(arrived(path)).toEqual({ exit_job_mode: 1, exit_job_rows_total: 5 });
      const n = signal === "SIGTERM" ? 15 : 2;
      if (runtime === "deno") {
        // Deno cannot restore a signal's default action: the adapter exits with 128+n.
        expect([r.code, r.signal]).toEqual([128 + n, null]);
      } else {
        expect([r.code, r.signal]).toEqual([null, signal]);
      }
    });
  }
});
