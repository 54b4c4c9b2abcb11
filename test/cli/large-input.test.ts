// Large inputs (issue 10, item 16): `promwire write` checks a page of any size, then sends it in
// chunks, with flat memory and the same result at the backend. Memory is the CLI process's peak
// RSS (VmHWM in /proc/<pid>/status, polled while it runs), not a timing: it does not depend on
// how busy the machine is.
import "../support/snappy-node.ts";
import { spawn } from "node:child_process";
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CHUNK_CHARS } from "../../cli/page-chunks.ts";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { BIG_PREFIX, writeBigPage, type BigPage } from "../support/big-page.ts";
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

/** The generated 50 MB page, written once for the tests that need it. */
let big: { file: string; page: BigPage } | undefined;
function bigPage(): { file: string; page: BigPage } {
  if (big === undefined) {
    const file = join(dir, "big.prom");
    big = { file, page: writeBigPage(file, 50 * 1024 * 1024) };
  }
  return big;
}

describe("promwire write, large pages", () => {
  it(
    "a generated 50 MB page to a real VictoriaMetrics: peak RSS at most 256 MB, and every sample read back",
    async () => {
      // write checks the whole page for a series given twice (a table of every series) before
      // sending any of it: that check is part of what is measured.
      const { file, page } = bigPage();
      expect(page.bytes).toBeGreaterThanOrEqual(50 * 1024 * 1024);
      // Counting 632,000 series took over VictoriaMetrics' default 30 s query limit on a busy machine.
      const vm = await startVictoriaMetrics(["-search.maxUniqueTimeseries=2000000", "-search.maxQueryDuration=120s"]);
      try {
        const r = await runMeasured(["write", `${vm.url}/api/v1/write`, file]);
        const m = /^wrote (\d+) samples of (\d+) series to (\S+) in (\d+) requests \(remote write v1\)\n$/.exec(r.stderr);
        expect(m, r.stderr).not.toBeNull();
        expect([Number(m![1]), Number(m![2]), m![3]]).toEqual([page.samples, page.samples, `${vm.url}/api/v1/write`]);
        // Full requests of 2,000 samples, but for a few: with up to 16 requests in flight, a batch
        // taken while the others hold its series' lanes may be short (each series stays in order).
        const fewest = Math.ceil(page.samples / 2000);
        expect(Number(m![4])).toBeGreaterThanOrEqual(fewest);
        expect(Number(m![4])).toBeLessThanOrEqual(fewest + 16);
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

  it(
    "the 50 MB page with its first sample repeated at the end: refused naming both lines, nothing sent, peak RSS at most 256 MB",
    async () => {
      const { file, page } = bigPage();
      const twice = join(dir, "big-twice.prom");
      copyFileSync(file, twice);
      // Line 3 is the first sample (after the first family's HELP and TYPE).
      const first = readFileSync(file, "utf8").split("\n", 3)[2];
      appendFileSync(twice, `${first}\n`);
      // Each family has a HELP and a TYPE line, each sample one line.
      const last = page.samples + 2 * page.families + 1;
      const before = rx.requests.length;
      const r = await runMeasured(["write", `${rx.url}/api/v1/write`, twice]);
      console.log(`promwire write refusing a ${(page.bytes / 1e6).toFixed(1)} MB page for its last line: peak RSS ${(r.peakKb / 1024).toFixed(0)} MB`);
      expect(r.stderr).toBe(
        `promwire: ParseError: line ${last}, column 1: series ${BIG_PREFIX}huge_bytes{pod="pod-0",volume="vol-0",zone="zone-0"} is also on line 3, both without a timestamp: a receiver keeps only one of them (Prometheus the first, a Pushgateway the last) [duplicate-series]: ${JSON.stringify(first)}\n`,
      );
      expect(r.code).toBe(1);
      expect(rx.requests.length).toBe(before);
      expect(r.peakKb).toBeGreaterThan(0);
      expect(r.peakKb).toBeLessThanOrEqual(256 * 1024);
    },
    600_000,
  );

  it("the same series twice, chunks apart (labels in another order): refused naming both page lines, nothing sent", async () => {
    const lines = ["# HELP spread_dup Spread over chunks.", "# TYPE spread_dup gauge"];
    for (let i = 0; i < 60_000; i++) lines.push(`spread_dup{i="${i}",pod="pod-${i % 13}"} ${i}`);
    lines.push('spread_dup{pod="pod-7",i="7"} 99'); // the series of line 10
    const text = `${lines.join("\n")}\n`;
    expect(text.length).toBeGreaterThan(4 * DEFAULT_CHUNK_CHARS);
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: text, timeoutMs: 120_000 });
    expect(r.stderr).toBe(
      `promwire: ParseError: line ${lines.length}, column 1: series spread_dup{i="7",pod="pod-7"} is also on line 10, both without a timestamp: a receiver keeps only one of them (Prometheus the first, a Pushgateway the last) [duplicate-series]: "spread_dup{pod=\\"pod-7\\",i=\\"7\\"} 99"\n`,
    );
    expect(r.code).toBe(1);
    expect(rx.requests.length).toBe(before);
  });

  it("two series that --label makes one, chunks apart: refused naming both lines, nothing sent", async () => {
    const lines = ["# TYPE merged gauge", 'merged{i="0",job="batch"} 1'];
    for (let i = 1; i < 60_000; i++) lines.push(`merged{i="${i}"} ${i}`);
    lines.push('merged{i="0"} 0');
    const text = `${lines.join("\n")}\n`;
    expect(text.length).toBeGreaterThan(4 * DEFAULT_CHUNK_CHARS);
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "--label", "job=batch"], { input: text, timeoutMs: 120_000 });
    expect(r.stderr).toBe(
      `promwire: ParseError: line ${lines.length}, column 1: series merged{i="0",job="batch"} is also on line 2 once the --label labels are added, both without a timestamp: a receiver keeps only one of them (Prometheus the first, a Pushgateway the last) [duplicate-series]: "merged{i=\\"0\\"} 0"\n`,
    );
    expect(r.code).toBe(1);
    expect(rx.requests.length).toBe(before);
    // Without --label they are two series, and the page goes out.
    const plain = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: text, timeoutMs: 120_000 });
    expect(plain.stderr).toContain(`wrote ${lines.length - 1} samples of ${lines.length - 1} series`);
    expect(plain.code).toBe(0);
  });

  it("a history of increasing timestamps, each series' samples chunks apart: sent whole, in order; going back in time is refused", async () => {
    const n = 20_000;
    const t0 = 1_700_000_000_000;
    const lines = ["# TYPE history gauge"];
    for (let round = 0; round < 3; round++) for (let i = 0; i < n; i++) lines.push(`history{i="${i}"} ${round} ${t0 + round * 60_000}`);
    const text = `${lines.join("\n")}\n`;
    expect(text.length / 3).toBeGreaterThan(2 * DEFAULT_CHUNK_CHARS);
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: text, timeoutMs: 120_000 });
    expect(r.stderr).toContain(`wrote ${3 * n} samples of ${3 * n} series`);
    expect(r.code).toBe(0);
    const times = new Map<string, number[]>();
    for (const w of remoteWrites(before)) {
      for (const s of w.series) {
        const i = s.labels[s.labels.indexOf("i") + 1];
        const got = times.get(i) ?? [];
        for (const x of s.samples ?? []) got.push(x.timestamp);
        times.set(i, got);
      }
    }
    expect(times.size).toBe(n);
    for (const got of times.values()) expect(got).toEqual([t0, t0 + 60_000, t0 + 120_000]);
    // One sample of the last round older than the round before: refused, both lines named.
    const back = [...lines];
    back[2 * n + 6] = `history{i="5"} 2 ${t0 + 30_000}`;
    const refused = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: `${back.join("\n")}\n`, timeoutMs: 120_000 });
    expect(refused.stderr).toBe(
      `promwire: ParseError: line ${2 * n + 7}, column 1: series history{i="5"} is also on line ${n + 7} at ${t0 + 60_000} ms, later than ${t0 + 30_000} ms here: a series' samples go in time order (Prometheus refuses this one as out of order) [timestamp-order]: ${JSON.stringify(back[2 * n + 6])}\n`,
    );
    expect(refused.code).toBe(1);
  });

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
