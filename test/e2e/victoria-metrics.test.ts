// End to end against a real VictoriaMetrics 1.79 (`/api/v1/write`): the CLI and the library
// write, the raw samples are read back through `/api/v1/export` and compared exactly (labels,
// millisecond timestamps, values), and a query through its Prometheus-compatible API agrees.
import "../support/snappy-node.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import type { PromwireError } from "../../core/errors.ts";
import { parseExposition } from "../../core/exposition/parse.ts";
import { familiesToSeries } from "../../core/exposition/to-series.ts";
import { Counter, Gauge, Histogram, Registry } from "../../core/metrics/index.ts";
import type { Series } from "../../core/wire/types.ts";
import { startVictoriaMetrics, type VictoriaMetrics } from "../support/victoria-metrics.ts";
import { bundleCli, runCli } from "../cli/run-cli.ts";
import { flatKey, labelKey } from "../support/prometheus.ts";

let vm: VictoriaMetrics;
let cli: string;
beforeAll(async () => {
  [vm, cli] = await Promise.all([startVictoriaMetrics(), bundleCli("e2e-vm")]);
});
afterAll(async () => {
  await vm?.stop();
});

const log = (line: string): void => console.log(`[e2e victoria-metrics] ${line}`);

type Raw = [string, [number, number][]][];

async function exported(match: string): Promise<Raw> {
  const rows = await vm.exportRaw(match);
  return rows
    .map((r): [string, [number, number][]] => [labelKey(r.metric), r.timestamps.map((t, i) => [t, r.values[i]])])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function expected(series: readonly Series[]): Raw {
  return series
    .map((s): [string, [number, number][]] => [flatKey(s.labels), (s.samples ?? []).map((x) => [x.timestamp, x.value])])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe("CLI → VictoriaMetrics 1.79", () => {
  it("promwire write: every sample read back exactly through /api/v1/export", async () => {
    const t = Date.now() - 60_000;
    const page = [
      "# TYPE vm_cli_requests_total counter",
      `vm_cli_requests_total{code="200"} 1027 ${t}`,
      `vm_cli_requests_total{code="500"} 3 ${t}`,
      "# TYPE vm_cli_values gauge",
      `vm_cli_values{v="tenth"} 0.1 ${t}`,
      `vm_cli_values{v="neg"} -2.5 ${t + 1}`,
      `vm_cli_values{v="big"} 123456789012 ${t + 2}`,
      `vm_cli_values{v="utf8"} 42 ${t + 3}`,
      "# TYPE vm_cli_latency_seconds histogram",
      `vm_cli_latency_seconds_bucket{le="0.1"} 2 ${t}`,
      `vm_cli_latency_seconds_bucket{le="+Inf"} 6 ${t}`,
      `vm_cli_latency_seconds_sum 3.75 ${t}`,
      `vm_cli_latency_seconds_count 6 ${t}`,
      "",
    ].join("\n");
    const r = await runCli(cli, ["write", `${vm.url}/api/v1/write`, "--label", "instance=vm-cli", "--label", "site=zürich"], { input: page });
    expect(r.stderr).toContain("wrote 10 samples of 10 series");
    expect(r.code).toBe(0);
    const got = await exported('{__name__=~"vm_cli_.*"}');
    expect(got).toEqual(expected(familiesToSeries(parseExposition(page), { externalLabels: { instance: "vm-cli", site: "zürich" } }).series));
    const [q] = await vm.query('vm_cli_requests_total{code="200"}');
    expect(Number(q.value![1])).toBe(1027);
    log(`CLI write: ${got.length} series, ${got.reduce((n, [, v]) => n + v.length, 0)} samples read back identical; query vm_cli_requests_total{code="200"} = ${q.value![1]}`);
  });

  it("a stream of CLI writes appends samples in order", async () => {
    const base = Date.now() - 50_000;
    for (let i = 0; i < 5; i++) {
      const r = await runCli(cli, ["write", `${vm.url}/api/v1/write`, "--quiet"], { input: `vm_cli_stream{k="x"} ${i * 1.5} ${base + i * 1000}\n` });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
    }
    expect(await exported("vm_cli_stream")).toEqual([['vm_cli_stream{k="x"}', Array.from({ length: 5 }, (_, i) => [base + i * 1000, i * 1.5])]]);
    log("CLI stream: 5 writes → 5 samples 0, 1.5, 3, 4.5, 6 in order");
  });

  it("--protocol v2: VictoriaMetrics 1.79 answers 204 without *-Written headers and stores nothing; the CLI resends as 1.0, one copy lands", async () => {
    const t = Date.now() - 45_000;
    const r = await runCli(cli, ["write", `${vm.url}/api/v1/write`, "--protocol", "v2"], { input: `# TYPE vm_cli_v2 gauge\nvm_cli_v2{k="x"} 7 ${t}\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("does not accept remote write 2.0 (HTTP 204 without X-Prometheus-Remote-Write-*-Written headers)");
    expect(r.stderr).toContain("after falling back from v2");
    expect(await exported("vm_cli_v2")).toEqual([['vm_cli_v2{k="x"}', [[t, 7]]]]);
    log("CLI v2 → fallback: 1 sample (7) stored once");
  });
});

describe("library → VictoriaMetrics 1.79", () => {
  it("a registry (counter, gauge, classic histogram) read back exactly", async () => {
    const T = Date.now() - 40_000;
    const registry = new Registry();
    const rows = new Counter({ name: "vm_lib_rows_total", help: "Rows.", labelNames: ["table"] as const, registry });
    const temp = new Gauge({ name: "vm_lib_temperature", help: "Temp.", registry });
    const lat = new Histogram({ name: "vm_lib_latency_seconds", help: "Latency.", buckets: [0.01, 0.1, 1], registry });
    rows.labels({ table: "users" }).inc(1200);
    rows.labels({ table: "orders" }).inc(5400.5);
    temp.set(-3.25);
    for (const v of [0.005, 0.05, 0.05, 0.5, 7]) lat.observe(v);
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: `${vm.url}/api/v1/write`, externalLabels: { instance: "vm-lib" }, now: () => T, onError: (e) => errors.push(e) });
    const snapshot = registry.collect(); // one snapshot for both sides
    rw.collect({ collect: () => snapshot });
    const stats = await rw.close();
    expect(errors).toEqual([]);
    const got = await exported('{__name__=~"vm_lib_.*"}');
    expect(got).toEqual(expected(familiesToSeries(snapshot, { timestamp: T, externalLabels: { instance: "vm-lib" } }).series));
    log(`library registry: ${stats.sent} samples in ${stats.requests} request, ${got.length} series read back identical`);
  });
});
