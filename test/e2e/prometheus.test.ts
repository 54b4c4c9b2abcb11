// End to end against a real Prometheus 2.42 (remote-write receiver, native histograms, exemplar
// storage): the CLI and the library write, the data is read back through the query API and
// compared sample by sample (labels, millisecond timestamps, float values); native histograms
// bucket by bucket; exemplars; and a restart in the middle of a stream of pushes loses nothing.
import "../support/snappy-node.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import type { PromwireError } from "../../core/errors.ts";
import { parseExposition } from "../../core/exposition/parse.ts";
import { familiesToSeries } from "../../core/exposition/to-series.ts";
import { Counter, Gauge, Histogram, Registry, Summary } from "../../core/metrics/index.ts";
import type { NativeHistogram, Series } from "../../core/wire/types.ts";
import { bundleCli, runCli } from "../cli/run-cli.ts";
import { flatKey, labelKey, rawSamples, startPrometheus, type Prometheus } from "../support/prometheus.ts";

let prom: Prometheus;
let cli: string;
beforeAll(async () => {
  [prom, cli] = await Promise.all([startPrometheus({ scrapeInterval: "1m" }), bundleCli("e2e-prometheus")]);
});
afterAll(async () => {
  await prom?.stop();
});

/** Expected raw samples of series, keyed like {@link rawSamples}. */
function expected(series: readonly Series[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const s of series) out.set(flatKey(s.labels), (s.samples ?? []).map((x) => [x.timestamp, x.value]));
  return out;
}

/** Every raw sample of the selector within the last 10 minutes before `at`. */
async function readBack(selector: string, at: number): Promise<Map<string, [number, number][]>> {
  return rawSamples(await prom.query(`${selector}[10m]`, at));
}

function sorted(m: Map<string, [number, number][]>): [string, [number, number][]][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

const log = (line: string): void => console.log(`[e2e prometheus] ${line}`);

describe("CLI → Prometheus 2.42", () => {
  it("promwire write (v1): every sample read back exactly, --label added where absent", async () => {
    const t = Date.now() - 60_000;
    const page = [
      "# HELP cli_e2e_requests_total Requests.",
      "# TYPE cli_e2e_requests_total counter",
      `cli_e2e_requests_total{code="200"} 1027 ${t}`,
      `cli_e2e_requests_total{code="500",instance="own"} 3 ${t}`,
      "# TYPE cli_e2e_values gauge",
      `cli_e2e_values{v="tenth"} 0.1 ${t}`,
      `cli_e2e_values{v="tiny"} 1e-300 ${t + 1}`,
      `cli_e2e_values{v="max"} 1.7976931348623157e+308 ${t + 2}`,
      `cli_e2e_values{v="neg"} -2.5 ${t + 3}`,
      `cli_e2e_values{v="inf"} +Inf ${t + 4}`,
      `cli_e2e_values{v="utf8"} 42 ${t + 5}`,
      "# TYPE cli_e2e_latency_seconds histogram",
      `cli_e2e_latency_seconds_bucket{le="0.1"} 2 ${t}`,
      `cli_e2e_latency_seconds_bucket{le="1"} 5 ${t}`,
      `cli_e2e_latency_seconds_bucket{le="+Inf"} 6 ${t}`,
      `cli_e2e_latency_seconds_sum 3.75 ${t}`,
      `cli_e2e_latency_seconds_count 6 ${t}`,
      "",
    ].join("\n");
    const r = await runCli(cli, ["write", `${prom.url}/api/v1/write`, "--label", "instance=cli-e2e", "--label", "region=eu-été"], { input: page });
    expect(r.stderr).toContain("wrote 13 samples of 13 series");
    expect(r.code).toBe(0);
    const want = expected(familiesToSeries(parseExposition(page), { externalLabels: { instance: "cli-e2e", region: "eu-été" } }).series);
    const got = await readBack('{__name__=~"cli_e2e_.*"}', Date.now());
    expect(sorted(got)).toEqual(sorted(want));
    expect(got.get(labelKey({ __name__: "cli_e2e_requests_total", code: "500", instance: "own", region: "eu-été" }))).toEqual([[t, 3]]);
    log(`CLI write v1: ${got.size} series, ${[...got.values()].flat().length} samples read back identical (values incl. 1e-300, 1.7976931348623157e308, +Inf)`);
  });

  it("promwire write --protocol v2: Prometheus 2.42 speaks only 1.0, the CLI falls back and the data arrives", async () => {
    const t = Date.now() - 30_000;
    const page = `# TYPE cli_e2e_v2 gauge\ncli_e2e_v2{k="a"} 11 ${t}\ncli_e2e_v2{k="b"} 12 ${t}\n`;
    const r = await runCli(cli, ["write", `${prom.url}/api/v1/write`, "--protocol", "v2"], { input: page });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("after falling back from v2");
    const got = await readBack("cli_e2e_v2", Date.now());
    expect(sorted(got)).toEqual([
      ['cli_e2e_v2{k="a"}', [[t, 11]]],
      ['cli_e2e_v2{k="b"}', [[t, 12]]],
    ]);
    log(`CLI write v2 → fallback v1: 2 samples read back (11, 12 at ${t})`);
  });

  it("promwire write --format openmetrics: exemplars reach Prometheus' exemplar storage", async () => {
    const t = Date.now() - 25_000;
    const sec = (ms: number): string => (ms / 1000).toFixed(3);
    const page = [
      "# TYPE cli_e2e_om_requests counter",
      `cli_e2e_om_requests_total{path="/a"} 17 ${sec(t)} # {trace_id="abc123"} 1 ${sec(t - 100)}`,
      "# TYPE cli_e2e_om_latency_seconds histogram",
      `cli_e2e_om_latency_seconds_bucket{le="0.5"} 3 ${sec(t)} # {trace_id="def456"} 0.25 ${sec(t - 200)}`,
      `cli_e2e_om_latency_seconds_bucket{le="+Inf"} 4 ${sec(t)}`,
      `cli_e2e_om_latency_seconds_sum 1.5 ${sec(t)}`,
      `cli_e2e_om_latency_seconds_count 4 ${sec(t)}`,
      "# EOF",
      "",
    ].join("\n");
    const r = await runCli(cli, ["write", `${prom.url}/api/v1/write`, "--format", "openmetrics"], { input: page });
    expect(r.stderr).toContain("wrote 5 samples of 5 series");
    expect(r.code).toBe(0);
    const res = await fetch(
      `${prom.url}/api/v1/query_exemplars?query=${encodeURIComponent('{__name__=~"cli_e2e_om_.*"}')}&start=${(t - 600_000) / 1000}&end=${(Date.now() + 1000) / 1000}`,
    );
    const body = (await res.json()) as { data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[] };
    const got = body.data
      .map((d) => [labelKey(d.seriesLabels), d.exemplars.map((e) => [e.labels, Number(e.value), Math.round(e.timestamp * 1000)])] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(got).toEqual([
      ['cli_e2e_om_latency_seconds_bucket{le="0.5"}', [[{ trace_id: "def456" }, 0.25, t - 200]]],
      ['cli_e2e_om_requests_total{path="/a"}', [[{ trace_id: "abc123" }, 1, t - 100]]],
    ]);
    const samples = await readBack('{__name__=~"cli_e2e_om_.*"}', Date.now());
    expect(samples.get('cli_e2e_om_requests_total{path="/a"}')).toEqual([[t, 17]]);
    log(`CLI OpenMetrics: 5 samples and 2 exemplars read back: ${JSON.stringify(got)}`);
  });

  it("an out-of-order sample: Prometheus' 400 is reported in one line, exit 1, no retry", async () => {
    const t = Date.now() - 20_000;
    expect((await runCli(cli, ["write", `${prom.url}/api/v1/write`], { input: `cli_e2e_ooo 1 ${t}\n` })).code).toBe(0);
    const r = await runCli(cli, ["write", `${prom.url}/api/v1/write`], { input: `cli_e2e_ooo 2 ${t - 10_000}\n` });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/after 1 attempt: HTTP 400 from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: out of (order|bounds)/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    log(`CLI out-of-order: ${r.stderr.trim()}`);
  });
});

describe("library → Prometheus 2.42", () => {
  it("a registry (counter, gauge, classic histogram, summary) read back exactly", async () => {
    const T = Date.now() - 45_000;
    const registry = new Registry();
    const rows = new Counter({ name: "lib_e2e_rows_total", help: "Rows.", labelNames: ["table"] as const, registry });
    const temp = new Gauge({ name: "lib_e2e_temperature", help: "Temp.", registry });
    const lat = new Histogram({ name: "lib_e2e_latency_seconds", help: "Latency.", buckets: [0.01, 0.1, 1], registry });
    const size = new Summary({ name: "lib_e2e_size_bytes", help: "Sizes.", registry });
    rows.labels({ table: "users" }).inc(1200);
    rows.labels({ table: "orders" }).inc(5400.5);
    temp.set(-3.25);
    for (const v of [0.005, 0.05, 0.05, 0.5, 7]) lat.observe(v);
    for (const v of [10, 20, 30, 40]) size.observe(v);
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: `${prom.url}/api/v1/write`, externalLabels: { instance: "lib-e2e" }, now: () => T, onError: (e) => errors.push(e) });
    const snapshot = registry.collect(); // one snapshot for both sides
    rw.collect({ collect: () => snapshot });
    const stats = await rw.close();
    expect(errors).toEqual([]);
    const want = expected(familiesToSeries(snapshot, { timestamp: T, externalLabels: { instance: "lib-e2e" } }).series);
    const got = await readBack('{__name__=~"lib_e2e_.*"}', Date.now());
    expect(sorted(got)).toEqual(sorted(want));
    expect(got.get(labelKey({ __name__: "lib_e2e_latency_seconds_bucket", instance: "lib-e2e", le: "0.1" }))).toEqual([[T, 3]]);
    expect(got.get(labelKey({ __name__: "lib_e2e_size_bytes_sum", instance: "lib-e2e" }))).toEqual([[T, 100]]);
    log(`library registry: ${stats.sent} samples sent, ${got.size} series read back identical`);
  });

  it("native histograms: count, sum, zero bucket and every bucket read back", async () => {
    const T = Date.now() - 40_000;
    const registry = new Registry();
    const h = new Histogram({ name: "lib_e2e_native_seconds", help: "Native.", native: true, registry });
    const observations = [0, 0.5, 1, 1, 3, 100, -2, 0.0001, 1e6];
    for (const v of observations) h.observe(v);
    const [snapshot] = registry.collect().filter((f) => f.name === "lib_e2e_native_seconds");
    const native = snapshot.nativeHistograms![0].histogram;
    const rw = remoteWrite({ url: `${prom.url}/api/v1/write`, now: () => T });
    rw.collect(registry);
    const stats = await rw.close();
    expect(stats.failed).toBe(0);
    // The native histogram carries the time the registry snapshotted it (its own clock), not the
    // writer's `now`: query at the present.
    expect(native.timestamp).toBeGreaterThan(T);
    const [r] = (await prom.query("lib_e2e_native_seconds")) as (ReturnType<typeof Object> & { histogram: [number, PromHistogram] })[];
    const got = r.histogram[1];
    expect(Number(got.count)).toBe(observations.length);
    expect(Number(got.sum)).toBe(observations.reduce((a, b) => a + b, 0));
    const gotBuckets = got.buckets.map(([rule, lo, hi, n]: [number, string, string, string]) => [rule, Number(lo), Number(hi), Number(n)] as const);
    const wantBuckets = expandBuckets(native);
    expect(gotBuckets.map((b: readonly number[]) => [b[0], b[3]])).toEqual(wantBuckets.map((b) => [b[0], b[3]]));
    for (let i = 0; i < wantBuckets.length; i++) {
      // Go takes bounds from a table, JavaScript from 2 ** x: equal to within an ulp or two.
      for (const k of [1, 2]) expect(Math.abs(gotBuckets[i][k] - wantBuckets[i][k])).toBeLessThanOrEqual(Math.abs(wantBuckets[i][k]) * 1e-15);
    }
    // PromQL functions over the stored histogram agree too.
    const [count] = await prom.query("histogram_count(lib_e2e_native_seconds)");
    expect(Number(count.value![1])).toBe(9);
    log(`native histogram (schema ${native.schema}): count ${got.count}, sum ${got.sum}, ${gotBuckets.length} buckets read back: ${JSON.stringify(got.buckets)}`);
  });

  it("exemplars on a counter and a classic histogram bucket are stored and read back", async () => {
    const T = Date.now() - 35_000;
    const registry = new Registry();
    const c = new Counter({ name: "lib_e2e_exemplar_total", help: "With exemplars.", registry });
    const h = new Histogram({ name: "lib_e2e_exemplar_seconds", help: "With exemplars.", buckets: [0.1, 1], registry });
    c.inc(5, { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" });
    h.observe(0.42, { trace_id: "00f067aa0ba902b7", span_id: "b7ad6b7169203331" });
    const samples = registry.collect().flatMap((f) => f.samples);
    const exemplarOf = (name: string) => samples.find((s) => s.name === name && s.exemplar !== undefined)!.exemplar!;
    const counterExemplar = exemplarOf("lib_e2e_exemplar_total");
    const bucketExemplar = exemplarOf("lib_e2e_exemplar_seconds_bucket");
    const rw = remoteWrite({ url: `${prom.url}/api/v1/write`, now: () => T });
    rw.collect(registry);
    expect((await rw.close()).failed).toBe(0);
    const res = await fetch(
      `${prom.url}/api/v1/query_exemplars?query=${encodeURIComponent('{__name__=~"lib_e2e_exemplar_.*"}')}&start=${(T - 600_000) / 1000}&end=${(Date.now() + 1000) / 1000}`,
    );
    const body = (await res.json()) as { data: { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string>; value: string; timestamp: number }[] }[] };
    const got = body.data
      .map((d) => ({ series: labelKey(d.seriesLabels), exemplars: d.exemplars.map((e) => ({ labels: e.labels, value: Number(e.value), ms: Math.round(e.timestamp * 1000) })) }))
      .sort((a, b) => (a.series < b.series ? -1 : 1));
    expect(got).toEqual([
      {
        series: 'lib_e2e_exemplar_seconds_bucket{le="1"}',
        exemplars: [{ labels: { trace_id: "00f067aa0ba902b7", span_id: "b7ad6b7169203331" }, value: 0.42, ms: bucketExemplar.timestamp }],
      },
      {
        series: "lib_e2e_exemplar_total{}",
        exemplars: [{ labels: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" }, value: 5, ms: counterExemplar.timestamp }],
      },
    ]);
    log(`exemplars: ${got.length} series with exemplars read back: ${JSON.stringify(got)}`);
  });
});

describe("Prometheus restart in the middle of a stream", () => {
  it("a writer keeps pushing while Prometheus restarts; every sample arrives", async () => {
    const restarting = await startPrometheus({ scrapeInterval: "1m" });
    try {
      const errors: PromwireError[] = [];
      const rw = remoteWrite({
        url: `${restarting.url}/api/v1/write`,
        maxSamplesPerRequest: 10,
        flushDeadlineMs: 50,
        retry: { minBackoffMs: 50, maxBackoffMs: 500, maxAttempts: 100, maxAgeMs: 60_000 },
        onError: (e) => errors.push(e),
        log: () => {},
      });
      const N = 60;
      const base = Date.now() - 120_000;
      let downMs = 0;
      let restart: Promise<void> | undefined;
      for (let i = 0; i < N; i++) {
        rw.write([
          { labels: ["__name__", "restart_e2e_seq", "stream", "a"], samples: [{ value: i, timestamp: base + i * 1000 }] },
          { labels: ["__name__", "restart_e2e_total", "stream", "a"], samples: [{ value: i * 10, timestamp: base + i * 1000 }] },
        ]);
        if (i === 20) restart = restarting.restart(2_000).then((r) => void (downMs = r.downMs));
        await new Promise((r) => setTimeout(r, 50));
      }
      await restart;
      const stats = await rw.close();
      expect(errors).toEqual([]);
      expect(stats).toMatchObject({ sent: 2 * N, failed: 0, dropped: 0 });
      const got = rawSamples(await restarting.query('{__name__=~"restart_e2e_.*"}[10m]', Date.now()));
      expect(got.get('restart_e2e_seq{stream="a"}')).toEqual(Array.from({ length: N }, (_, i) => [base + i * 1000, i]));
      expect(got.get('restart_e2e_total{stream="a"}')).toEqual(Array.from({ length: N }, (_, i) => [base + i * 1000, i * 10]));
      expect(stats.retries).toBeGreaterThan(0);
      log(`restart: Prometheus down ${downMs} ms during a stream of ${N} pushes; ${stats.sent} samples sent in ${stats.requests} requests, ${stats.retries} retried requests, ${stats.failed} failed; read back ${got.get('restart_e2e_seq{stream="a"}')!.length}+${got.get('restart_e2e_total{stream="a"}')!.length} samples, all exact`);
    } finally {
      await restarting.stop();
    }
  }, 90_000);
});

interface PromHistogram {
  count: string;
  sum: string;
  buckets: [number, string, string, string][];
}

/**
 * A native histogram's buckets as Prometheus' API lists them: `[boundary rule, lower, upper,
 * count]`, negative buckets first (most negative first), then the zero bucket, then positive.
 */
function expandBuckets(h: NativeHistogram): [number, number, number, number][] {
  const bound = (i: number): number => 2 ** (i * 2 ** -h.schema);
  const side = (spans: NativeHistogram["positiveSpans"], deltas: readonly number[] | undefined): [number, number][] => {
    const out: [number, number][] = [];
    let idx = 0;
    let count = 0;
    let k = 0;
    for (const span of spans ?? []) {
      idx += span.offset;
      for (let j = 0; j < span.length; j++) {
        count += deltas![k++];
        if (count > 0) out.push([idx, count]);
        idx++;
      }
    }
    return out;
  };
  const neg = side(h.negativeSpans, h.negativeDeltas)
    .reverse()
    .map(([i, n]): [number, number, number, number] => [1, -bound(i), -bound(i - 1), n]);
  const zero: [number, number, number, number][] = h.zeroCount > 0 ? [[3, -h.zeroThreshold, h.zeroThreshold, h.zeroCount]] : [];
  const pos = side(h.positiveSpans, h.positiveDeltas).map(([i, n]): [number, number, number, number] => [0, bound(i - 1), bound(i), n]);
  return [...neg, ...zero, ...pos];
}
