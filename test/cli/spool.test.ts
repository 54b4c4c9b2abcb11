// `promwire write --spool DIR` (exit status 3 when the data is kept, not delivered), `promwire
// spool send` and `promwire spool ls`, each run as the real CLI in a separate process.
import "../support/snappy-node.ts";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFaultServer, type FaultServer } from "../support/fault-server.ts";
import { bundleCli, ROOT, runCli } from "./run-cli.ts";

let cli: string;
const dirs: string[] = [];
const servers: FaultServer[] = [];
beforeAll(async () => {
  cli = await bundleCli("spool");
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function spoolDir(): string {
  const d = mkdtempSync(join(tmpdir(), "promwire-cli-spool-"));
  dirs.push(d);
  return d;
}
async function server(...args: Parameters<typeof startFaultServer>): Promise<FaultServer> {
  const s = await startFaultServer(...args);
  servers.push(s);
  return s;
}
const spoolFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".spool"));

/** A page of `n` gauge samples, each with its own timestamp `t`. */
function page(n: number, name: string, t: number): string {
  const lines = [`# TYPE ${name} gauge`];
  for (let i = 0; i < n; i++) lines.push(`${name}{i="${i}"} ${i} ${t}`);
  return `${lines.join("\n")}\n`;
}

/** Samples the server accepted, `name{i}@t` in arrival order. */
function accepted(s: FaultServer): string[] {
  return s.accepted().flatMap((r) => (r.decoded?.series ?? []).flatMap((x) => (x.samples ?? []).map((p) => `${x.labels[1]}{${x.labels[3]}}@${p.timestamp}`)));
}

describe("promwire write --spool", () => {
  it("receiver down: exit 3, the samples kept; the next write sends them first, then its own (exit 0); spool ls shows them in between", async () => {
    const s = await server(() => ({ status: 503, body: "down for maintenance" }));
    const dir = spoolDir();
    const T = 1_700_000_000_000;
    const first = await runCli(cli, ["write", s.url, "-", "--spool", dir, "--retries", "1", "--quiet"], { input: page(5, "job_rows", T) });
    expect(first.code).toBe(3);
    expect(first.stderr).toContain(`promwire: write to ${s.url}: 5 of 5 samples not delivered, kept in the spool ${dir} (promwire spool send ${s.url} --spool ${dir} sends them`);
    expect(spoolFiles(dir)).toHaveLength(1);

    const ls = await runCli(cli, ["spool", "ls", "--spool", dir]);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^spool ${dir}: 1 file, \\d+ bytes, 5 samples for ${s.url.replace(/[.]/g, "\\.")}\n`));
    expect(ls.stdout).toContain("v1  5 samples of 5 series  2023-11-14T22:13:20Z  spooled");
    expect(ls.stdout).toContain("(retry-budget, 2 attempts)");
    const json = JSON.parse((await runCli(cli, ["spool", "ls", "--spool", dir, "--json"])).stdout) as { files: { header: { samples: number; target: string } }[] };
    expect(json.files.map((f) => [f.header.samples, f.header.target])).toEqual([[5, s.url]]);

    s.setBehaviour(() => ({ status: 204 }));
    const second = await runCli(cli, ["write", s.url, "-", "--spool", dir], { input: page(5, "job_rows", T + 60_000) });
    expect(second.stderr).toContain(`sent 5 samples left in the spool ${dir} by an earlier run first`);
    expect(second.code).toBe(0);
    expect(spoolFiles(dir)).toEqual([]);
    const got = accepted(s);
    expect(got).toEqual([...[0, 1, 2, 3, 4].map((i) => `job_rows{${i}}@${T}`), ...[0, 1, 2, 3, 4].map((i) => `job_rows{${i}}@${T + 60_000}`)]);
  });

  it("spool send: 0 once all is delivered; a refused file goes to rejected/ with the answer (exit 1); a receiver still down leaves the files (exit 3)", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const T = 1_700_000_000_000;
    for (const name of ["a", "b", "c"]) {
      const r = await runCli(cli, ["write", s.url, "-", "--spool", dir, "--retries", "0", "--quiet"], { input: page(3, name, T) });
      expect(r.code).toBe(3);
    }
    expect(spoolFiles(dir)).toHaveLength(3);
    const still = await runCli(cli, ["spool", "send", s.url, "--spool", dir, "--retries", "0"]);
    expect(still.code).toBe(3);
    expect(still.stderr).toMatch(/1 file left|3 files left/);
    expect(spoolFiles(dir)).toHaveLength(3);

    s.setBehaviour((r) => (r.decoded?.series[0]?.labels[1] === "b" ? { status: 400, body: "out of order sample" } : { status: 204 }));
    const sent = await runCli(cli, ["spool", "send", s.url, "--spool", dir]);
    expect(sent.code).toBe(1);
    expect(sent.stderr).toContain(`sent 6 samples (2 files) from the spool ${dir} to ${s.url}`);
    expect(sent.stderr).toMatch(/HTTP 400 from .*: out of order sample; moved to .*\/rejected\//);
    expect(spoolFiles(dir)).toEqual([]);
    const rejected = readdirSync(join(dir, "rejected")).sort();
    expect(rejected).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, "rejected", rejected[1]), "utf8"))).toMatchObject({ status: 400, body: "out of order sample", samples: 3 });
    const ls = await runCli(cli, ["spool", "ls", "--spool", dir]);
    expect(ls.stdout).toContain("rejected (1 file,");
    expect(ls.stdout).toContain("3 samples  HTTP 400: out of order sample");
    expect((await runCli(cli, ["spool", "send", s.url, "--spool", dir])).stderr).toBe(`spool ${dir}: nothing for ${s.url}\n`);
  });

  it("Ctrl-C with --spool: what was queued or in flight is kept, said, and the process dies of SIGINT; the next write delivers it", async () => {
    let hold = true;
    const s = await server(() => (hold ? { hang: true } : { status: 204 }));
    const dir = spoolDir();
    const T = 1_700_000_000_000;
    const child = spawn(process.execPath, [cli, "write", s.url, "-", "--spool", dir], { cwd: ROOT, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(page(5000, "held", T));
    while (s.requests.length < 3) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGINT");
    const signal = await new Promise((r) => child.on("close", (_c, sig) => r(sig)));
    expect(signal).toBe("SIGINT");
    expect(stderr).toBe(`promwire: write interrupted (SIGINT): 5000 of 5000 samples not delivered to ${s.url} (0 delivered); 5000 kept in the spool ${dir}\n`);
    expect(spoolFiles(dir)).toHaveLength(3);
    hold = false;
    const next = await runCli(cli, ["write", s.url, "-", "--spool", dir, "--quiet"], { input: page(1, "after", T + 1000) });
    expect(next.code).toBe(0);
    expect(spoolFiles(dir)).toEqual([]);
    expect(accepted(s).filter((x) => x.startsWith("held")).sort()).toEqual(Array.from({ length: 5000 }, (_, i) => `held{${i}}@${T}`).sort());
  });

  it("two spool send processes on one spool: each file is sent once", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const T = 1_700_000_000_000;
    const w = await runCli(cli, ["write", s.url, "-", "--spool", dir, "--retries", "0", "--max-samples-per-request", "10", "--quiet"], { input: page(200, "twice", T) });
    expect(w.code).toBe(3);
    expect(spoolFiles(dir)).toHaveLength(20);
    s.setBehaviour(() => ({ status: 204, delayMs: 20 }));
    const before = s.requests.length;
    const [a, b] = await Promise.all([runCli(cli, ["spool", "send", s.url, "--spool", dir]), runCli(cli, ["spool", "send", s.url, "--spool", dir])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(spoolFiles(dir)).toEqual([]);
    const bodies = s.requests.slice(before).map((r) => r.body.toString("base64"));
    expect(bodies).toHaveLength(20);
    expect(new Set(bodies).size).toBe(20);
    expect(accepted(s).sort()).toEqual(Array.from({ length: 200 }, (_, i) => `twice{${i}}@${T}`).sort());
  });
});
