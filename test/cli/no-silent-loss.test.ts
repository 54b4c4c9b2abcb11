// The CLI never loses data silently and says clearly what went wrong (issue 10, items 10 and
// 12-15): each case runs the real CLI as a separate process, against the debug receiver, a
// scripted server, or a real Pushgateway.
import "../support/snappy-node.ts";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { startPushgateway, type Pushgateway } from "../support/pushgateway.ts";
import { bundleCli, ROOT, runCli } from "./run-cli.ts";

let cli: string;
let rx: Receiver;
let dir: string;
beforeAll(async () => {
  cli = await bundleCli("no-silent-loss");
  rx = await startReceiver({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), "promwire-cli-test-"));
});
afterAll(async () => {
  await rx?.close();
});

const PAGE = "# TYPE jobs_total counter\njobs_total{queue=\"a\"} 3\njobs_total{queue=\"b\"} 4\n# TYPE temperature gauge\ntemperature 21.5\n";

/** A page of `n` gauge samples. */
function gauges(n: number, name = "g"): string {
  const lines = [`# TYPE ${name} gauge`];
  for (let i = 0; i < n; i++) lines.push(`${name}{i="${i}"} ${i}`);
  return `${lines.join("\n")}\n`;
}

interface Held {
  readonly url: string;
  readonly got: { method: string; url: string; headers: IncomingHttpHeaders }[];
  /** Resolves when request number `n` (1-based) arrived. */
  arrived(n: number): Promise<void>;
  close(): Promise<void>;
}

/** A server answering requests by script: a status, or `"hold"` (never answer). */
async function holding(script: (n: number) => number | "hold" | { status: number; headers?: Record<string, string>; body?: string }): Promise<Held> {
  const got: Held["got"] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      got.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      for (const w of waiters.filter((x) => x.n <= got.length)) w.resolve();
      const what = script(got.length);
      if (what === "hold") {
        held.push(res);
        return;
      }
      const r = typeof what === "number" ? { status: what } : what;
      res.writeHead(r.status, { "content-type": "text/plain", ...r.headers }).end(r.body ?? "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    got,
    arrived: (n) => (got.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    close: () =>
      new Promise((r) => {
        for (const h of held) h.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Start the CLI; the caller signals it. Resolves with how it ended and what it printed. */
function startCli(args: readonly string[], opts: { input?: string; keepStdinOpen?: boolean; env?: Record<string, string> } = {}) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PROMWIRE_")) env[k] = v;
  const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env: { ...env, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  child.stdin.on("error", () => {});
  if (opts.input !== undefined) {
    if (opts.keepStdinOpen) child.stdin.write(opts.input);
    else child.stdin.end(opts.input);
  } else if (!opts.keepStdinOpen) child.stdin.end();
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done, stderr: () => stderr };
}

describe("item 10: push / add refuse an empty page unless --allow-empty", () => {
  it("empty standard input, an empty file, a page of comments only: exit 1, one line, nothing sent", async () => {
    const emptyFile = join(dir, "empty.prom");
    writeFileSync(emptyFile, "");
    const before = rx.requests.length;
    for (const method of ["push", "add"]) {
      for (const [what, input, file] of [
        ["empty stdin", "", undefined],
        ["empty file", undefined, emptyFile],
        ["comments only", "# HELP x Only help.\n# TYPE x gauge\n", undefined],
      ] as const) {
        const r = await runCli(cli, [method, rx.url, "--job", "nightly", "--grouping", "instance=h1", ...(file ? [file] : [])], { input });
        expect(r.code, `${method} ${what}`).toBe(1);
        expect(r.stderr, `${method} ${what}`).toMatch(/^promwire: the input holds no samples: nothing was sent \(.*--allow-empty.*\)\n$/);
      }
    }
    expect(rx.requests.length).toBe(before);
    const push = await runCli(cli, ["push", rx.url, "--job", "nightly", "--grouping", "instance=h1"], { input: "" });
    expect(push.stderr).toContain('pushing it would empty group {job="nightly",instance="h1"}');
    expect(push.stderr).toContain("promwire delete");
  });

  it("against a real Pushgateway: the group survives an empty push; --allow-empty empties it on purpose", async () => {
    const pg: Pushgateway = await startPushgateway();
    try {
      const group = ["--job", "backup", "--grouping", "instance=db1"];
      const ok = await runCli(cli, ["push", pg.url, ...group], { input: "# TYPE last_success gauge\nlast_success 1700000000\n" });
      expect(ok.code).toBe(0);
      const refused = await runCli(cli, ["push", pg.url, ...group], { input: "" });
      expect(refused.code).toBe(1);
      const groups = await pg.metrics();
      const mine = groups.find((g) => g.labels.job === "backup");
      expect(mine?.last_success).toBeDefined();
      const emptied = await runCli(cli, ["push", pg.url, ...group, "--allow-empty"], { input: "" });
      expect(emptied.code).toBe(0);
      expect(emptied.stderr).toContain("0 samples");
      const after = (await pg.metrics()).find((g) => g.labels.job === "backup");
      expect(after?.last_success).toBeUndefined();
    } finally {
      await pg.stop();
    }
  });

  it("write: an empty page is an error, or with --allow-empty a success that sends nothing", async () => {
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("the input holds no samples: nothing was sent");
    const allowed = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "--allow-empty"], { input: "# only a comment\n" });
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toBe("the input holds no samples: nothing to send\n");
    expect(rx.requests.length).toBe(before);
  });
});

describe("item 12: input that is not text names the input and the byte", () => {
  it("a file with a bad byte, a gzip file, a NUL, standard input: one line, exit 1, nothing sent, for every command reading a page", async () => {
    const bad = join(dir, "bad.prom");
    writeFileSync(bad, Buffer.concat([Buffer.from("# TYPE x gauge\nx{a=\"é\"} 1\n"), Buffer.from([0xc3, 0x28]), Buffer.from(" 2\n")]));
    const badAt = Buffer.byteLength('# TYPE x gauge\nx{a="é"} 1\n');
    const gz = join(dir, "page.prom.gz");
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]));
    const nul = join(dir, "nul.prom");
    writeFileSync(nul, Buffer.from("x 1\n\0\0\0\0"));
    const before = rx.requests.length;
    const commands: string[][] = [["write", `${rx.url}/api/v1/write`], ["push", rx.url, "--job", "j", "--grouping", "instance=i"], ["add", rx.url, "--job", "j", "--grouping", "instance=i"], ["encode"]];
    for (const cmd of commands) {
      const r = await runCli(cli, [...cmd, bad]);
      expect(r.code, cmd[0]).toBe(1);
      expect(r.stderr, cmd[0]).toBe(`promwire: ${bad}: not UTF-8 text at byte ${badAt}: promwire reads Prometheus text or OpenMetrics pages\n`);
      const z = await runCli(cli, [...cmd, gz]);
      expect(z.stderr, cmd[0]).toBe(`promwire: ${gz}: not UTF-8 text at byte 1 (it is gzip-compressed: decompress it first, e.g. zcat FILE | promwire …)\n`);
      const n = await runCli(cli, [...cmd, nul]);
      expect(n.stderr, cmd[0]).toContain(`${nul}: binary data (a NUL byte) at byte 4`);
      const s = await runCli(cli, cmd, { input: new Uint8Array([0x78, 0x20, 0x31, 0x0a, 0xff, 0xfe]) });
      expect(s.code, cmd[0]).toBe(1);
      expect(s.stderr, cmd[0]).toMatch(/^promwire: standard input: not UTF-8 text at byte 4: /);
    }
    expect(rx.requests.length).toBe(before);
    const missing = await runCli(cli, ["write", `${rx.url}/api/v1/write`, join(dir, "nope.prom")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`promwire: ${join(dir, "nope.prom")}: cannot read: no such file\n`);
  });

  it("a large page (read in chunks) with a bad byte deep inside: the exact byte, and nothing sent", async () => {
    const good = gauges(120_000, "deep"); // ~2.5 MB: past the in-memory limit
    const file = join(dir, "deep.prom");
    writeFileSync(file, Buffer.concat([Buffer.from(good), Buffer.from([0x80]), Buffer.from("\n")]));
    const before = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, file], { timeoutMs: 60_000 });
    expect(r.stderr).toBe(`promwire: ${file}: not UTF-8 text at byte ${Buffer.byteLength(good)}: promwire reads Prometheus text or OpenMetrics pages\n`);
    expect(r.code).toBe(1);
    const viaStdin = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: Buffer.concat([Buffer.from(good), Buffer.from([0xf5])]), timeoutMs: 60_000 });
    expect(viaStdin.stderr).toContain(`standard input: not UTF-8 text at byte ${Buffer.byteLength(good)}`);
    expect(rx.requests.length).toBe(before);
  });
});

describe("item 13: a URL without a scheme is echoed, with http:// suggested", () => {
  it.each([
    ["127.0.0.1:19090/api/v1/write", "http://127.0.0.1:19090/api/v1/write"],
    ["localhost:19090/api/v1/write", "http://localhost:19090/api/v1/write"],
    ["prometheus.internal/api/v1/write", "http://prometheus.internal/api/v1/write"],
  ])("%s", async (typed, suggested) => {
    for (const cmd of [["write", typed], ["push", typed, "--job", "j"], ["delete", typed, "--job", "j"]]) {
      const r = await runCli(cli, cmd, { input: PAGE });
      expect(r.code, cmd[0]).toBe(2);
      expect(r.stderr, cmd[0]).toBe(`promwire: UsageError: not a URL: "${typed}" has no scheme: did you mean "${suggested}"? (https:// for TLS)\n`);
    }
  });

  it("what is echoed never shows a password or a query", async () => {
    const r = await runCli(cli, ["write", "admin:hunter2@localhost:9090/api/v1/write?token=abc"], { input: PAGE });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"admin:***@localhost:9090/api/v1/write?…"');
    expect(r.stderr).not.toContain("hunter2");
    expect(r.stderr).not.toContain("abc");
    const ftp = await runCli(cli, ["write", "ftp://example.org/x"], { input: PAGE });
    expect(ftp.stderr).toBe('promwire: UsageError: the URL must be http:// or https:// (got "ftp://example.org/x")\n');
  });
});

describe("item 14: every failed attempt that will be retried gets one line", () => {
  it("write: cause and next retry per attempt (Retry-After honoured and shown); --quiet prints nothing on success", async () => {
    const srv = await holding((n) => (n === 1 ? { status: 503, body: "overloaded" } : n === 2 ? { status: 503, headers: { "retry-after": "1" }, body: "still overloaded" } : 204));
    try {
      const r = await runCli(cli, ["write", `${srv.url}/api/v1/write`], { input: PAGE });
      expect(r.code).toBe(0);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^promwire write: attempt 1 failed \(HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: overloaded\), retrying in \d+ ms$/);
      expect(lines[1]).toMatch(/^promwire write: attempt 2 failed \(HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: still overloaded\), retrying in 1\.0 s$/);
      expect(lines[2]).toMatch(/^wrote 3 samples of 3 series/);
      expect(srv.got).toHaveLength(3);
    } finally {
      await srv.close();
    }
    const quiet = await holding((n) => (n === 1 ? 503 : 204));
    try {
      const r = await runCli(cli, ["write", `${quiet.url}/api/v1/write`, "--quiet"], { input: PAGE });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(quiet.got).toHaveLength(2);
    } finally {
      await quiet.close();
    }
  });

  it("write: a dead endpoint shows each attempt's network error before the final line", async () => {
    const r = await runCli(cli, ["write", "http://127.0.0.1:1/api/v1/write", "--retries", "2"], { input: PAGE });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(3);
    for (const [i, l] of lines.slice(0, 2).entries()) expect(l).toMatch(new RegExp(`^promwire write: attempt ${i + 1} failed \\(NetworkError: network error sending to http://127\\.0\\.0\\.1:1/api/v1/write: .+\\), retrying in \\d+ ms$`));
    expect(lines[2]).toMatch(/^promwire: write to http:\/\/127\.0\.0\.1:1\/api\/v1\/write failed: 3 of 3 samples not delivered after 3 attempts: /);
  });

  it("push: the same line, with the wait; --quiet silences it", async () => {
    const srv = await holding((n) => (n === 1 ? { status: 500, body: "storage full" } : 200));
    try {
      const r = await runCli(cli, ["push", srv.url, "--job", "j", "--grouping", "instance=i"], { input: PAGE });
      expect(r.code).toBe(0);
      expect(r.stderr.split("\n")[0]).toMatch(/^promwire push: attempt 1 failed \(HTTP 500 from http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/j\/instance\/i: storage full\), retrying in \d+ ms$/);
      const q = await runCli(cli, ["push", srv.url, "--job", "j", "--grouping", "instance=i", "--quiet"], { input: PAGE });
      expect(q.code).toBe(0);
      expect(q.stderr).toBe("");
    } finally {
      await srv.close();
    }
  });
});

describe("item 15: Ctrl-C or SIGTERM during a send says what was not delivered", () => {
  it("write, SIGINT with all but the first request held: what was not delivered (and what was in flight), then the process dies of SIGINT (shell: 130)", async () => {
    const srv = await holding((n) => (n === 1 ? 204 : "hold"));
    try {
      const run = startCli(["write", `${srv.url}/api/v1/write`], { input: gauges(5000) });
      await srv.arrived(2);
      run.child.kill("SIGINT");
      const end = await run.done;
      expect(end.signal).toBe("SIGINT");
      // Three requests in flight at once (shards); the first to arrive was accepted.
      const m = /^promwire: write interrupted \(SIGINT\): (\d+) of 5000 samples not delivered to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write \((\d+) delivered; (\d+) more were in flight and may have arrived\)\n$/.exec(end.stderr);
      expect(m, end.stderr).not.toBeNull();
      const [lost, delivered, inFlight] = m!.slice(1).map(Number);
      expect([1000, 2000]).toContain(delivered);
      expect(lost).toBe(5000 - delivered);
      expect(inFlight).toBe(lost);
    } finally {
      await srv.close();
    }
  });

  it("write of a large page from standard input, SIGTERM while the first request is held: the count, and the temporary copy removed", async () => {
    const srv = await holding(() => "hold");
    const tmp = mkdtempSync(join(dir, "tmp-"));
    try {
      const page = gauges(30_000, "spooled"); // ~0.6 MB: copied to a temporary file, sent in chunks
      const run = startCli(["write", `${srv.url}/api/v1/write`], { input: page, env: { TMPDIR: tmp } });
      await srv.arrived(1);
      expect(readdirSync(tmp)).toHaveLength(1);
      run.child.kill("SIGTERM");
      const end = await run.done;
      expect(end.signal).toBe("SIGTERM");
      // What was enqueued (the first chunk) was in flight, up to 16 requests at once.
      expect(end.stderr).toMatch(/^promwire: write interrupted \(SIGTERM\): 30000 of 30000 samples not delivered to .* \(0 delivered; \d+000 more were in flight and may have arrived\)\n$/);
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      await srv.close();
    }
  });

  it("write interrupted while standard input is still being read: nothing was sent, temporary copy removed", async () => {
    const tmp = mkdtempSync(join(dir, "tmp-"));
    const run = startCli(["write", `${rx.url}/api/v1/write`], { input: gauges(30_000, "unfinished"), keepStdinOpen: true, env: { TMPDIR: tmp } });
    const deadline = Date.now() + 20_000;
    while (readdirSync(tmp).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(tmp)).toHaveLength(1);
    run.child.kill("SIGINT");
    const end = await run.done;
    expect(end.signal).toBe("SIGINT");
    expect(end.stderr).toBe("promwire: write interrupted (SIGINT) while reading the input: nothing was sent\n");
    expect(readdirSync(tmp)).toEqual([]);
  });

  it("push, SIGTERM with the PUT held: the samples not confirmed and what may have happened to the group", async () => {
    const srv = await holding(() => "hold");
    try {
      const run = startCli(["push", srv.url, "--job", "j", "--grouping", "instance=i"], { input: PAGE });
      await srv.arrived(1);
      run.child.kill("SIGTERM");
      const end = await run.done;
      expect(end.signal).toBe("SIGTERM");
      expect(end.stderr).toMatch(
        /^promwire: push interrupted \(SIGTERM\): 3 samples not confirmed delivered to group \{job="j",instance="i"\} at http:\/\/127\.0\.0\.1:\d+\/ \(the PUT was sent: the group may or may not have been replaced\)\n$/,
      );
    } finally {
      await srv.close();
    }
  });

  it("a shell running the CLI sees 130 for SIGINT, as without the report", async () => {
    const srv = await holding(() => "hold");
    try {
      const script = join(dir, "run.sh");
      mkdirSync(dir, { recursive: true });
      writeFileSync(script, `"${process.execPath}" "${cli}" write "${srv.url}/api/v1/write" - <<'EOF'\n${PAGE}EOF\necho "status=$?" >&2\n`);
      const shell = spawn("sh", [script], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      shell.stderr.on("data", (d: Buffer) => (err += d.toString()));
      await srv.arrived(1);
      // The CLI is the shell's child: signal it as a terminal would the foreground process.
      const { execFileSync } = await import("node:child_process");
      const pid = execFileSync("pgrep", ["-P", String(shell.pid), "-f", cli]).toString().trim();
      process.kill(Number(pid), "SIGINT");
      await new Promise((r) => shell.on("close", r));
      expect(err).toContain("promwire: write interrupted (SIGINT): 3 of 3 samples not delivered");
      expect(err).toContain("status=130");
    } finally {
      await srv.close();
    }
  });
});
