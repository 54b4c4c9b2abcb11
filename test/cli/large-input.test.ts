// Large inputs (issue 10, item 16): `promwire write` checks a page of any size, then sends it in
// chunks, with flat memory and the same result at the backend. Memory is the CLI process's peak
// RSS (VmHWM in /proc/<pid>/status, polled while it runs), not a timing: it does not depend on
// how busy the machine is.
import "../support/snappy-node.ts";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { BIG_PREFIX, writeBigPage } from "../support/big-page.ts";
import { startVictoriaMetrics } from "../support/victoria-metrics.ts";
import { bundleCli, ROOT, runCli } from "./run-cli.ts";

let cli: string;
let rx: Receiver;
let dir: string;
beforeAll(async () => {
  cli = await bundleCli("large-input");
  rx = await startReceiver({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), "promwire-large-"));
});
afterAll(async () => {
  await rx?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Run the CLI, polling its peak RSS (kB) until it exits. */
function runMeasured(args: readonly string[]): Promise<{ code: number | null; stderr: string; peakKb: number }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PROMWIRE_")) env[k] = v;
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let peakKb = 0;
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // exited between two polls
      }
    }, 5);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      resolve({ code, stderr, peakKb });
    });
  });
}

function remoteWrites(from: number) {
  return rx.requests.slice(from).flatMap((r) => (r.kind === "remote-write" ? [r.request] : []));
}

describe("promwire write, large pages", () => {
  it(
    "a generated 50 MB page to a real VictoriaMetrics: peak RSS at most 256 MB, and every sample read back",
    async () => {
      const file = join(dir, "big.prom");
      const page = writeBigPage(file, 50 * 1024 * 1024);
      expect(page.bytes).toBeGreaterThanOrEqual(50 * 1024 * 1024);
      const vm = await startVictoriaMetrics(["-search.maxUniqueTimeseries=2000000"]);
      try {
        const r = await runMeasured(["write", `${vm.url}/api/v1/write`, file]);
        expect(r.stderr).toBe(`wrote ${page.samples} samples of ${page.samples} series to ${vm.url}/api/v1/write in ${Math.ceil(page.samples / 2000)} requests (remote write v1)\n`);
        expect(r.code).toBe(0);
        // Before chunking, this page peaked at 1.1 GB (the whole page parsed at once).
        console.log(`promwire write of a ${(page.bytes / 1e6).toFixed(1)} MB page: peak RSS ${(r.peakKb / 1024).toFixed(0)} MB`);
        expect(r.peakKb).toBeGreaterThan(0);
        expect(r.peakKb).toBeLessThanOrEqual(256 * 1024);
        const count = await vm.query(`count({__name__=~"${BIG_PREFIX}.*"})`);
        expect(Number(count[0]?.value?.[1])).toBe(page.samples);
        const sum = await vm.query(`sum({__name__=~"${BIG_PREFIX}.*"})`);
        expect(Number(sum[0]?.value?.[1])).toBe(page.sum);
        const types = await vm.query(`count(${BIG_PREFIX}latency_2_seconds_bucket)`);
        expect(Number(types[0]?.value?.[1])).toBe(150 * 8);
      } finally {
        await vm.stop();
      }
    },
    600_000,
  );

  it("a bad line near the end of a large page: refused with the page's line number, and nothing sent", async () => {
    const lines = ["# HELP spread Spread over chunks.", "# TYPE spread gauge"];
    for (let i = 0; i < 100_000; i++) lines.push(`spread{i="${i}"} ${i}`);
    lines.push('spread{i="x" 1');
    const file = join(dir, "bad-end.prom");
    writeFileSync(file, `${lines.join("\n")}\n`);
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, file], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^promwire: ParseError: line ${lines.length}, column \\d+: `));
    expect(rx.requests.length).toBe(before);
  });

  it("a TYPE line repeated far from the first (another chunk): refused as the whole page would be, nothing sent", async () => {
    const lines = ["# TYPE twice gauge"];
    for (let i = 0; i < 60_000; i++) lines.push(`twice{i="${i}"} ${i}`);
    lines.push("# TYPE other counter", "other_total 1", "# TYPE twice gauge", "twice 1");
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: `${lines.join("\n")}\n`, timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`promwire: ParseError: line ${lines.length - 1}, column 8: second TYPE line for twice: "# TYPE twice gauge"\n`);
    expect(rx.requests.length).toBe(before);
  });

  it("a large page on standard input (copied to a temporary file): every sample once, requests as full as sent whole", async () => {
    const n = 70_001;
    const lines = ["# HELP piped Piped in.", "# TYPE piped counter"];
    for (let i = 0; i < n; i++) lines.push(`piped_total{i="${i}",pod="pod-${i % 13}"} ${i}`);
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "-", "--label", "job=pipe"], { input: `${lines.join("\n")}\n`, timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`wrote ${n} samples of ${n} series`);
    const got = remoteWrites(before);
    expect(got).toHaveLength(Math.ceil(n / 2000));
    const values = got.flatMap((w) => w.series.map((s) => s.samples![0].value)).sort((a, b) => a - b);
    expect(values).toEqual(Array.from({ length: n }, (_, i) => i));
    // One time for the whole page, metadata with every request, the external label everywhere.
    const times = new Set(got.flatMap((w) => w.series.map((s) => s.samples![0].timestamp)));
    expect(times.size).toBe(1);
    for (const w of got) {
      expect(w.metadata).toContainEqual(expect.objectContaining({ metricFamilyName: "piped", type: "counter", help: "Piped in." }));
      for (const s of w.series) expect(s.labels).toContain("pipe");
    }
  });

  it("a large page refused by the receiver: reading stops at the first batch given up on, and the count is exact", async () => {
    const { createServer } = await import("node:http");
    let requests = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        requests++;
        res.writeHead(400).end("out of bounds");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}/api/v1/write`;
    try {
      const lines = ["# TYPE refused gauge"];
      for (let i = 0; i < 60_000; i++) lines.push(`refused{i="${i}"} ${i}`);
      const r = await runCli(cli, ["write", url], { input: `${lines.join("\n")}\n`, timeoutMs: 120_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`promwire: write to ${url} failed: 60000 of 60000 samples not delivered after 1 attempt: HTTP 400 from ${url}: out of bounds\n`);
      // 30 requests would carry the page; sending stopped after the chunks already queued.
      expect(requests).toBeGreaterThan(0);
      expect(requests).toBeLessThan(30);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("a large OpenMetrics page by remote write 2.0: every counter keeps its _created as start timestamp", async () => {
    const n = 20_000;
    const lines = ["# HELP om_jobs Jobs.", "# TYPE om_jobs counter"];
    for (let i = 0; i < n; i++) lines.push(`om_jobs_total{i="${i}"} ${i}`, `om_jobs_created{i="${i}"} ${1_700_000_000 + i}`);
    lines.push("# EOF");
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "--protocol", "v2"], { input: `${lines.join("\n")}\n`, timeoutMs: 120_000 });
    expect(r.stderr).toContain(`wrote ${n} samples of ${n} series`);
    expect(r.code).toBe(0);
    const series = remoteWrites(before).flatMap((w) => w.series);
    expect(series).toHaveLength(n);
    for (const s of series) {
      const i = Number(s.labels[s.labels.indexOf("i") + 1]);
      expect(s.samples![0]).toMatchObject({ value: i, startTimestamp: (1_700_000_000 + i) * 1000 });
    }
  });
});
