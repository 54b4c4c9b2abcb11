// The `promwire` CLI as a user runs it: a separate process, against the local debug receiver
// (cli/receiver.ts) or a scripted HTTP server when exact answers matter.
import "../support/snappy-node.ts";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver, type ReceivedRequest } from "../../cli/receiver.ts";
import { getLabel } from "../../core/wire/label-rules.ts";
import { bundleCli, runCli } from "./run-cli.ts";

let cli: string;
let rx: Receiver;
beforeAll(async () => {
  cli = await bundleCli("unit");
  rx = await startReceiver({ port: 0 });
});
afterAll(async () => {
  await rx?.close();
});

const PAGE = `# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{queue="a"} 3
jobs_total{queue="b",instance="own"} 4
# TYPE temperature gauge
temperature 21.5
`;

function lastRemoteWrite(): Extract<ReceivedRequest, { kind: "remote-write" }> {
  const r = rx.requests.filter((x) => x.kind === "remote-write").at(-1);
  if (!r || r.kind !== "remote-write") throw new Error("no remote write arrived");
  return r;
}

/** A server answering each request with the next scripted status; records what it got. */
async function scripted(statuses: { status: number; body?: string }[]): Promise<{ url: string; got: { method: string; url: string; headers: IncomingHttpHeaders }[]; close(): Promise<void> }> {
  const got: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      got.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      const next = statuses[Math.min(got.length - 1, statuses.length - 1)];
      res.writeHead(next.status, { "content-type": "text/plain" }).end(next.body ?? "");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    got,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe("promwire --help", () => {
  it("prints the command list and each command's options, exit 0; unknown command exit 2", async () => {
    const top = await runCli(cli, ["--help"]);
    expect(top.code).toBe(0);
    for (const c of ["write", "push", "add", "delete", "encode", "decode", "bench", "receive"]) expect(top.stdout).toContain(`  ${c} `);
    for (const c of ["write", "push", "add", "delete", "encode", "decode", "bench", "receive"]) {
      const r = await runCli(cli, [c, "--help"]);
      expect(r.code, c).toBe(0);
      expect(r.stdout).toContain(`promwire ${c}`);
    }
    const write = await runCli(cli, ["write", "--help"]);
    for (const o of ["--label", "--protocol", "--format", "--username", "--bearer-token", "PROMWIRE_PASSWORD", "--header", "--timeout", "--retries"]) expect(write.stdout).toContain(o);
    const unknown = await runCli(cli, ["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("promwire write", () => {
  it("v1: parses the page, adds --label where absent, exit 0 once accepted", async () => {
    const before = Date.now();
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "-", "--label", "instance=cli", "--label", "env=test"], { input: PAGE });
    expect(r.stderr).toMatch(/^wrote 3 samples of 3 series to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write in 1 request \(remote write v1\)\n$/);
    expect(r.code).toBe(0);
    const w = lastRemoteWrite();
    expect(w.headers["content-type"]).toBe("application/x-protobuf");
    expect(w.request.version).toBe("v1");
    const byQueue = new Map(w.request.series.map((s) => [getLabel(s.labels, "queue") ?? getLabel(s.labels, "__name__"), s]));
    expect(byQueue.get("a")!.labels).toEqual(["__name__", "jobs_total", "env", "test", "instance", "cli", "queue", "a"]);
    // The series' own instance wins over --label.
    expect(byQueue.get("b")!.labels).toEqual(["__name__", "jobs_total", "env", "test", "instance", "own", "queue", "b"]);
    expect(byQueue.get("temperature")!.samples![0].value).toBe(21.5);
    expect(byQueue.get("a")!.samples![0].timestamp).toBeGreaterThanOrEqual(before);
    expect(w.request.metadata.map((m) => [m.metricFamilyName, m.type])).toEqual([
      ["jobs_total", "counter"],
      ["temperature", "gauge"],
    ]);
  });

  it("v2 from a file in OpenMetrics: the receiver sees a 2.0 request with start timestamps", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const dir = mkdtempSync(`${(await import("node:os")).tmpdir()}/promwire-cli-`);
    const file = `${dir}/page.om`;
    writeFileSync(file, "# TYPE runs counter\nruns_total 7\nruns_created 1700000000.5\n# EOF\n");
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, file, "--protocol", "v2", "--format", "openmetrics"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("(remote write v2)");
    const w = lastRemoteWrite();
    expect(w.headers["content-type"]).toBe("application/x-protobuf;proto=io.prometheus.write.v2.Request");
    expect(w.request.version).toBe("v2");
    expect(w.request.series).toHaveLength(1);
    expect(w.request.series[0].samples![0]).toMatchObject({ value: 7, startTimestamp: 1_700_000_000_500 });
  });

  it("credentials from PROMWIRE_* are sent and never printed, even when the receiver refuses them", async () => {
    const srv = await scripted([{ status: 401, body: "invalid credentials\nfor this tenant" }]);
    try {
      const r = await runCli(cli, ["write", `${srv.url}/api/v1/prom/write`], {
        input: PAGE,
        env: { PROMWIRE_USERNAME: "APPID42", PROMWIRE_PASSWORD: "s3cr3t-token" },
      });
      expect(r.code).toBe(1);
      expect(srv.got).toHaveLength(1); // 401 is final: no retry
      expect(srv.got[0].headers.authorization).toBe(`Basic ${Buffer.from("APPID42:s3cr3t-token").toString("base64")}`);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toContain("HTTP 401");
      expect(r.stderr).toContain("invalid credentials for this tenant");
      expect(`${r.stdout}${r.stderr}`).not.toContain("s3cr3t-token");
      expect(`${r.stdout}${r.stderr}`).not.toContain(Buffer.from("APPID42:s3cr3t-token").toString("base64"));
    } finally {
      await srv.close();
    }
  });

  it("a flag wins over its variable; bearer token and custom headers; credentials in the URL are not printed", async () => {
    const srv = await scripted([{ status: 204 }]);
    try {
      const r = await runCli(cli, ["write", `${srv.url}/api/v1/write`, "--bearer-token", "flag-token", "--header", "X-Scope-OrgID: tenant-1"], {
        input: PAGE,
        env: { PROMWIRE_BEARER_TOKEN: "env-token" },
      });
      expect(r.code).toBe(0);
      expect(srv.got[0].headers.authorization).toBe("Bearer flag-token");
      expect(srv.got[0].headers["x-scope-orgid"]).toBe("tenant-1");
      const u = new URL(srv.url);
      const r2 = await runCli(cli, ["write", `http://user:pw-in-url@${u.host}/api/v1/write`], { input: PAGE });
      expect(r2.code).toBe(0);
      expect(srv.got[1].headers.authorization).toBe(`Basic ${Buffer.from("user:pw-in-url").toString("base64")}`);
      expect(r2.stderr).not.toContain("pw-in-url");
      const both = await runCli(cli, ["write", `${srv.url}/api/v1/write`, "--bearer-token", "t"], { input: PAGE, env: { PROMWIRE_USERNAME: "u" } });
      expect(both.code).toBe(2);
      expect(both.stderr).toContain("not both");
    } finally {
      await srv.close();
    }
  });

  it("400 is final (one attempt, status and body in one line); 5xx is retried --retries times", async () => {
    const bad = await scripted([{ status: 400, body: "out of order sample" }]);
    const down = await scripted([{ status: 503, body: "overloaded" }]);
    try {
      const r = await runCli(cli, ["write", `${bad.url}/api/v1/write`, "--retries", "5"], { input: PAGE });
      expect(r.code).toBe(1);
      expect(bad.got).toHaveLength(1);
      expect(r.stderr).toMatch(/^promwire: write to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write failed: 3 of 3 samples not delivered after 1 attempt: HTTP 400 from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: out of order sample\n$/);
      const d = await runCli(cli, ["write", `${down.url}/api/v1/write`, "--retries", "2", "--timeout", "2s"], { input: PAGE });
      expect(d.code).toBe(1);
      expect(down.got).toHaveLength(3);
      expect(d.stderr).toContain("after 3 attempts: HTTP 503");
      expect(d.stderr).toContain("overloaded");
      // One line per retried attempt (item 14), then the failure.
      const lines = d.stderr.trim().split("\n");
      expect(lines).toHaveLength(3);
      expect(lines.slice(0, 2).every((l) => /^promwire write: attempt \d failed \(HTTP 503/.test(l))).toBe(true);
    } finally {
      await bad.close();
      await down.close();
    }
  });

  it("refused before sending: unreachable server exit 1, parse error exit 1 with line and column, empty input exit 1, bad flags exit 2", async () => {
    const refused = await runCli(cli, ["write", "http://127.0.0.1:1/api/v1/write", "--retries", "0"], { input: PAGE });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("network error");
    const parse = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: "# TYPE x gauge\nx{a=1} 2\n" });
    expect(parse.code).toBe(1);
    expect(parse.stderr).toContain("line 2");
    const empty = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: "" });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("no samples");
    for (const args of [["write"], ["write", "ftp://x"], ["write", `${rx.url}/api/v1/write`, "--protocol", "v3"], ["write", `${rx.url}/api/v1/write`, "--retries", "-1"], ["write", `${rx.url}/api/v1/write`, "--timeout", "soon"], ["write", `${rx.url}/api/v1/write`, "--nope", "1"]]) {
      const r = await runCli(cli, args, { input: PAGE });
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
  });

  it("a large page: every sample arrives, batched, with a progress line when asked for", async () => {
    const lines = ["# TYPE big gauge"];
    for (let i = 0; i < 25_000; i++) lines.push(`big{i="${i}"} ${i}`);
    const n = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "--progress"], { input: `${lines.join("\n")}\n` });
    expect(r.code).toBe(0);
    const got = rx.requests.slice(n).filter((x) => x.kind === "remote-write");
    const values = got.flatMap((x) => (x.kind === "remote-write" ? x.request.series.map((s) => s.samples![0].value) : []));
    expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 25_000 }, (_, i) => i));
    expect(got.length).toBe(13); // 2,000 samples per request
    expect(r.stderr).toMatch(/promwire write: [\d,]+\/25,000 samples sent/);
    expect(r.stderr).toContain("wrote 25000 samples of 25000 series");
  });
});

describe("progress on a terminal", () => {
  it("stderr a TTY (through script(1)) and a slow receiver: a progress line rewritten in place; none without a TTY", async () => {
    const { writeFileSync, mkdtempSync } = await import("node:fs");
    const dir = mkdtempSync(`${(await import("node:os")).tmpdir()}/promwire-tty-`);
    const lines = ["# TYPE big gauge"];
    for (let i = 0; i < 30_000; i++) lines.push(`big{i="${i}"} ${i}`);
    writeFileSync(`${dir}/big.prom`, `${lines.join("\n")}\n`);
    // 15 requests of 2,000 samples, 120 ms each.
    const requests: number[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        requests.push(Date.now());
        setTimeout(() => res.writeHead(204).end(), 120);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
    try {
      const { spawn } = await import("node:child_process");
      const tty = await new Promise<string>((resolve) => {
        const child = spawn("script", ["-qec", `${process.execPath} ${cli} write ${url} ${dir}/big.prom`, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.on("close", () => resolve(out));
      });
      expect(requests).toHaveLength(15);
      expect(tty).toMatch(/\r\x1b\[2Kpromwire write: [\d,]+\/30,000 samples sent, \d+ requests/);
      expect(tty).toContain("wrote 30000 samples of 30000 series");
      const plain = await runCli(cli, ["write", url, `${dir}/big.prom`]);
      expect(plain.code).toBe(0);
      expect(plain.stderr).not.toContain("samples sent,");
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe("promwire push / add / delete", () => {
  it("PUT, POST and DELETE the group, grouping values with '/' base64-encoded in the path", async () => {
    const n = rx.requests.length;
    const page = "# TYPE last_success_seconds gauge\nlast_success_seconds 1700000000\n";
    const push = await runCli(cli, ["push", rx.url, "--job", "nightly", "--grouping", "instance=host-1", "--grouping", "path=/var/db"], { input: page });
    expect(push.code).toBe(0);
    expect(push.stderr).toContain('pushed (PUT, group replaced) 1 families, 1 samples to group {job="nightly",instance="host-1",path="/var/db"}');
    const add = await runCli(cli, ["add", rx.url, "--job", "nightly", "--grouping", "instance=host-1", "--body-format", "text"], { input: page });
    expect(add.code).toBe(0);
    const del = await runCli(cli, ["delete", rx.url, "--job", "nightly", "--grouping", "instance=host-1"]);
    expect(del.code).toBe(0);
    expect(del.stderr).toContain('deleted group {job="nightly",instance="host-1"}');
    const got = rx.requests.slice(n);
    expect(got.map((g) => (g.kind === "pushgateway" ? `${g.method} ${g.path}` : g.kind))).toEqual([
      "PUT /metrics/job/nightly/instance/host-1/path@base64/L3Zhci9kYg",
      "POST /metrics/job/nightly/instance/host-1",
      "DELETE /metrics/job/nightly/instance/host-1",
    ]);
    const [put, post] = got;
    if (put.kind !== "pushgateway" || post.kind !== "pushgateway") throw new Error("unexpected");
    expect(put.grouping).toEqual({ job: "nightly", instance: "host-1", path: "/var/db" });
    expect(put.headers["content-type"]).toContain("encoding=delimited");
    expect(post.headers["content-type"]).toContain("text/plain");
    expect(put.families[0]).toMatchObject({ name: "last_success_seconds", type: "gauge", samples: [{ value: 1_700_000_000 }] });
  });

  it("refuses before sending what the Pushgateway would reject; warns once without an instance", async () => {
    const n = rx.requests.length;
    const clash = await runCli(cli, ["push", rx.url, "--job", "j", "--grouping", "instance=a"], { input: '# TYPE x gauge\nx{instance="b"} 1\n' });
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("metric-has-grouping-label");
    const ts = await runCli(cli, ["push", rx.url, "--job", "j", "--grouping", "instance=a"], { input: "# TYPE x gauge\nx 1 1700000000000\n" });
    expect(ts.code).toBe(1);
    expect(ts.stderr).toContain("timestamp");
    expect(rx.requests.length).toBe(n);
    const noJob = await runCli(cli, ["push", rx.url], { input: "x 1\n" });
    expect(noJob.code).toBe(2);
    const noInstance = await runCli(cli, ["push", rx.url, "--job", "j"], { input: "# TYPE x gauge\nx 1\n" });
    expect(noInstance.code).toBe(0);
    expect(noInstance.stderr).toContain("without an instance grouping label");
  });

  it("an HTTP error gives status and body in one line; 5xx is retried", async () => {
    const srv = await scripted([{ status: 500, body: "storage full" }, { status: 200 }]);
    const bad = await scripted([{ status: 400, body: "text format parsing error in line 1" }]);
    try {
      const ok = await runCli(cli, ["push", srv.url, "--job", "j", "--grouping", "instance=i", "--retries", "1"], { input: "# TYPE x gauge\nx 1\n" });
      expect(ok.code).toBe(0);
      expect(srv.got.map((g) => g.method)).toEqual(["PUT", "PUT"]);
      expect(ok.stderr).toContain("attempt 1 failed (HTTP 500");
      const r = await runCli(cli, ["push", bad.url, "--job", "j", "--grouping", "instance=i"], { input: "# TYPE x gauge\nx 1\n" });
      expect(r.code).toBe(1);
      expect(bad.got).toHaveLength(1);
      expect(r.stderr).toMatch(/^promwire: push to http:\/\/127\.0\.0\.1:\d+\/ failed: HTTP 400 from http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/j\/instance\/i: text format parsing error in line 1\n$/);
    } finally {
      await srv.close();
      await bad.close();
    }
  });
});

describe("promwire encode | decode", () => {
  it("round trip v1 and v2, readable and --json", async () => {
    for (const protocol of ["v1", "v2"]) {
      const enc = await runCli(cli, ["encode", "--protocol", protocol], { input: PAGE });
      expect(enc.code).toBe(0);
      const dec = await runCli(cli, ["decode"], { input: enc.stdoutBytes });
      expect(dec.code).toBe(0);
      expect(dec.stdout).toContain(`remote write ${protocol}: 3 series`);
      expect(dec.stdout).toMatch(/jobs_total\{queue="a"\} 3 \d+/);
      const json = await runCli(cli, ["decode", "--json"], { input: enc.stdoutBytes });
      expect(JSON.parse(json.stdout).series).toHaveLength(3);
    }
    const garbage = await runCli(cli, ["decode"], { input: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f, 1, 2]) });
    expect(garbage.code).toBe(1);
    expect(garbage.stderr.trim().split("\n")).toHaveLength(1);
  });
});
