// A real Prometheus 2.42 scrapes a page and remote-writes it to `promwire receive --save DIR`
// (the CLI, as a separate process); the raw bodies it saved are decoded with `promwire decode`
// and checked against the page and against what Prometheus itself stored.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleCli, ROOT, runCli } from "../cli/run-cli.ts";
import { freePort } from "../support/free-port.ts";
import { rawSamples, startPrometheus, type Prometheus } from "../support/prometheus.ts";

const PAGE = `# HELP capture_answer The answer.
# TYPE capture_answer gauge
capture_answer{k="v"} 42
capture_answer{k="w"} -0.125
# HELP capture_jobs_total Jobs.
# TYPE capture_jobs_total counter
capture_jobs_total 1027
`;

let cli: string;
let page: Server;
let receiver: ChildProcess;
let receiverOut = "";
let prom: Prometheus;
let dir: string;
let pagePort: number;

beforeAll(async () => {
  cli = await bundleCli("e2e-capture");
  dir = mkdtempSync(join(tmpdir(), "promwire-capture-"));
  page = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(PAGE));
  await new Promise<void>((r) => page.listen(0, "127.0.0.1", r));
  pagePort = (page.address() as AddressInfo).port;
  const port = await freePort();
  receiver = spawn(process.execPath, [cli, "receive", "--port", String(port), "--save", dir], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  receiver.stdout!.on("data", (d: Buffer) => (receiverOut += d.toString()));
  const listening = new Promise<void>((resolve, reject) => {
    receiver.stderr!.on("data", (d: Buffer) => {
      if (d.toString().includes("listening on")) resolve();
    });
    receiver.once("exit", (c) => reject(new Error(`promwire receive exited with ${c}`)));
  });
  await listening;
  prom = await startPrometheus({ config: {
    global: { scrape_interval: "1s", scrape_timeout: "1s" },
    scrape_configs: [{ job_name: "page", static_configs: [{ targets: [`127.0.0.1:${pagePort}`] }] }],
    remote_write: [
      {
        url: `http://127.0.0.1:${port}/api/v1/write`,
        queue_config: { batch_send_deadline: "500ms", min_backoff: "100ms", max_backoff: "1s" },
        metadata_config: { send: true, send_interval: "1s" },
      },
    ],
  } });
});

afterAll(async () => {
  await prom?.stop();
  if (receiver && receiver.exitCode === null) {
    await new Promise<void>((r) => {
      receiver.once("exit", () => r());
      receiver.kill("SIGTERM");
    });
  }
  await new Promise<void>((r) => (page ? page.close(() => r()) : r()));
  rmSync(dir, { recursive: true, force: true });
});

describe("promwire decode of a payload captured from a real Prometheus 2.42", () => {
  it("is readable, and its samples are the page's values as Prometheus stored them", async () => {
    // Wait for a saved body that carries the page's series.
    let file: string | undefined;
    let text = "";
    const deadline = Date.now() + 30_000;
    while (file === undefined && Date.now() < deadline) {
      for (const f of readdirSync(dir).sort()) {
        const r = await runCli(cli, ["decode", join(dir, f)]);
        // Prometheus sends metadata in requests of their own: wait for one with the samples.
        if (r.code === 0 && /^capture_answer\{/m.test(r.stdout)) {
          file = join(dir, f);
          text = r.stdout;
          break;
        }
      }
      if (file === undefined) await new Promise((r) => setTimeout(r, 300));
    }
    expect(file, "no captured request with the page's series").toBeDefined();
    const raw = readFileSync(file!);
    const target = `127.0.0.1:${pagePort}`;
    expect(text).toMatch(/^remote write v1: \d+ series\n/);
    const line = (name: string, labels: string, value: string): RegExp =>
      new RegExp(`^${name}\\{${labels.replace(/[{}]/g, "\\$&")}\\} ${value.replace(/[.+]/g, "\\$&")} (\\d+)$`, "m");
    const answer = text.match(line("capture_answer", `instance="${target}",job="page",k="v"`, "42"));
    const negative = text.match(line("capture_answer", `instance="${target}",job="page",k="w"`, "-0.125"));
    const jobs = text.match(line("capture_jobs_total", `instance="${target}",job="page"`, "1027"));
    const up = text.match(line("up", `instance="${target}",job="page"`, "1"));
    expect([answer, negative, jobs, up].map((m) => m !== null)).toEqual([true, true, true, true]);

    // The same samples (timestamp and value) are in Prometheus' own TSDB.
    const stored = rawSamples(await prom.query('{__name__=~"capture_.*"}[5m]'));
    const ts = Number(answer![1]);
    expect(stored.get(`capture_answer{instance="${target}",job="page",k="v"}`)).toContainEqual([ts, 42]);
    expect(stored.get(`capture_answer{instance="${target}",job="page",k="w"}`)).toContainEqual([Number(negative![1]), -0.125]);
    expect(stored.get(`capture_jobs_total{instance="${target}",job="page"}`)).toContainEqual([Number(jobs![1]), 1027]);

    // --json gives the same series, machine-readable.
    const json = await runCli(cli, ["decode", "--json", file!]);
    expect(json.code).toBe(0);
    const decoded = JSON.parse(json.stdout) as { version: string; series: { labels: string[]; samples?: { value: number; timestamp: number }[] }[] };
    const s = decoded.series.find((x) => x.labels.join(",") === `__name__,capture_answer,instance,${target},job,page,k,v`);
    expect(s?.samples?.[0]).toEqual({ value: 42, timestamp: ts });

    // Metadata (sent by Prometheus in requests of their own) decodes too.
    let metadataLine: string | undefined;
    const until = Date.now() + 20_000;
    while (metadataLine === undefined && Date.now() < until) {
      for (const f of readdirSync(dir).sort()) {
        const r = await runCli(cli, ["decode", join(dir, f)]);
        metadataLine = r.stdout.split("\n").find((l) => l.startsWith("# metadata capture_answer"));
        if (metadataLine !== undefined) break;
      }
      if (metadataLine === undefined) await new Promise((r) => setTimeout(r, 300));
    }
    expect(metadataLine).toBe('# metadata capture_answer gauge help="The answer."');

    // The receiver printed the request with Prometheus' headers.
    expect(receiverOut).toMatch(/user-agent: Prometheus\/2\.42/);
    expect(receiverOut).toContain("x-prometheus-remote-write-version: 0.1.0");
    expect(receiverOut).toContain("content-type: application/x-protobuf");
    console.log(
      `[e2e capture] ${readdirSync(dir).length} bodies captured from Prometheus 2.42; ${file!.split("/").pop()} (${raw.length} bytes snappy) decodes to ${decoded.series.length} series: capture_answer{k="v"} 42 @${ts}, {k="w"} -0.125, capture_jobs_total 1027, up 1 — the same samples are in Prometheus' TSDB`,
    );
    console.log(text.split("\n").slice(0, 8).join("\n"));
  });
});
