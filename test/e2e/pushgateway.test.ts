// End to end against a real Pushgateway 1.5.1: `promwire push|add|delete` and the library's
// `pushgateway()` change groups, and what the Pushgateway then exposes on /metrics (what
// Prometheus would scrape) is parsed and compared sample by sample with what was pushed. Also the
// example job (examples/db-backup.ts) against a real Pushgateway and a real Prometheus.
import "../support/snappy-node.ts";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { pushgateway } from "../../core/client/pushgateway/client.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";
import { parseExposition } from "../../core/exposition/parse.ts";
import { Counter, Gauge, Histogram, Registry } from "../../core/metrics/index.ts";
import { startPushgateway, type Pushgateway } from "../support/pushgateway.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { bundleCli, ROOT, runCli } from "../cli/run-cli.ts";
import { labelKey } from "../support/prometheus.ts";

let pg: Pushgateway;
let cli: string;
beforeAll(async () => {
  [pg, cli] = await Promise.all([startPushgateway(), bundleCli("e2e-pushgateway")]);
});
afterAll(async () => {
  await pg?.stop();
});
beforeEach(async () => {
  await pg.wipe();
});

const log = (line: string): void => console.log(`[e2e pushgateway] ${line}`);

/** What the Pushgateway exposes for scraping, as `name{labels} → value`, for the given families only. */
async function exposed(names: readonly string[]): Promise<Map<string, number>> {
  const text = await (await fetch(`${pg.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const f of parseExposition(text)) {
    if (!names.includes(f.name)) continue;
    for (const s of f.samples) out.set(sampleKey(s.name, s.labels), s.value);
  }
  return out;
}

function sampleKey(name: string, labels: readonly string[], extra: Readonly<Record<string, string>> = {}): string {
  const m: Record<string, string> = { __name__: name, ...extra };
  for (let i = 0; i < labels.length; i += 2) m[labels[i]] = labels[i + 1];
  return labelKey(m);
}

/** The pushed families' samples with the group's labels added: what the Pushgateway should expose. */
function expectedFrom(families: readonly MetricFamily[], group: Readonly<Record<string, string>>): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of families) for (const s of f.samples) out.set(sampleKey(s.name, s.labels, group), s.value);
  return out;
}

const sortedEntries = (m: Map<string, number>): [string, number][] => [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));

const PAGE = `# HELP backup_last_success_seconds Last successful backup.
# TYPE backup_last_success_seconds gauge
backup_last_success_seconds 1700000000.25
# TYPE backup_rows_total counter
backup_rows_total{table="users"} 1200
backup_rows_total{table="orders"} 5400
# TYPE backup_duration_seconds histogram
backup_duration_seconds_bucket{le="0.5"} 1
backup_duration_seconds_bucket{le="1"} 2
backup_duration_seconds_bucket{le="+Inf"} 3
backup_duration_seconds_sum 4.25
backup_duration_seconds_count 3
# TYPE backup_size_bytes summary
backup_size_bytes{quantile="0.5"} 2048
backup_size_bytes_sum 6144
backup_size_bytes_count 3
`;
const NAMES = ["backup_last_success_seconds", "backup_rows_total", "backup_duration_seconds", "backup_size_bytes"];

describe("CLI → Pushgateway 1.5.1", () => {
  for (const bodyFormat of ["protobuf", "text"]) {
    it(`promwire push (${bodyFormat}): the group exposes exactly the page plus its grouping labels`, async () => {
      const group = { job: "backup", instance: "db-1.example", db: "customers/eu" };
      const r = await runCli(cli, ["push", pg.url, "--job", "backup", "--grouping", "instance=db-1.example", "--grouping", "db=customers/eu", "--body-format", bodyFormat], { input: PAGE });
      expect(r.stderr).toContain("pushed (PUT, group replaced) 4 families, 11 samples");
      expect(r.code).toBe(0);
      const got = await exposed(NAMES);
      expect(sortedEntries(got)).toEqual(sortedEntries(expectedFrom(parseExposition(PAGE), group)));
      const groups = await pg.metrics();
      expect(groups.map((g) => g.labels)).toEqual([group]);
      log(`CLI push ${bodyFormat}: ${got.size} samples exposed identical, group ${JSON.stringify(group)}`);
    });
  }

  it("add replaces only same-named metrics, push replaces the group, delete removes it", async () => {
    const args = ["--job", "nightly", "--grouping", "instance=h1"];
    expect((await runCli(cli, ["push", pg.url, ...args], { input: "# TYPE a gauge\na 1\n# TYPE b gauge\nb 2\n" })).code).toBe(0);
    expect((await runCli(cli, ["add", pg.url, ...args], { input: "# TYPE b gauge\nb 20\n" })).code).toBe(0);
    expect(sortedEntries(await exposed(["a", "b"]))).toEqual([
      ['a{instance="h1",job="nightly"}', 1],
      ['b{instance="h1",job="nightly"}', 20],
    ]);
    expect((await runCli(cli, ["push", pg.url, ...args], { input: "# TYPE b gauge\nb 30\n" })).code).toBe(0);
    expect(sortedEntries(await exposed(["a", "b"]))).toEqual([['b{instance="h1",job="nightly"}', 30]]);
    const del = await runCli(cli, ["delete", pg.url, ...args]);
    expect(del.code).toBe(0);
    expect(await pg.metricsWhenEmpty()).toEqual([]);
    log("CLI add/push/delete: after add a=1,b=20; after push b=30 only; after delete 0 groups");
  });

  it("why instance matters: two hosts pushing one job overwrite each other without it, and keep two groups with it", async () => {
    const push = (host: string, grouping: string[]) =>
      runCli(cli, ["push", pg.url, "--job", "db_backup", ...grouping], { input: `# TYPE backup_rows gauge\nbackup_rows{host="${host}"} ${host === "a" ? 1 : 2}\n` });
    expect((await push("a", [])).code).toBe(0);
    expect((await push("b", [])).code).toBe(0);
    expect(sortedEntries(await exposed(["backup_rows"]))).toEqual([['backup_rows{host="b",instance="",job="db_backup"}', 2]]);
    await pg.wipe();
    expect((await push("a", ["--grouping", "instance=a"])).code).toBe(0);
    expect((await push("b", ["--grouping", "instance=b"])).code).toBe(0);
    expect(sortedEntries(await exposed(["backup_rows"]))).toEqual([
      ['backup_rows{host="a",instance="a",job="db_backup"}', 1],
      ['backup_rows{host="b",instance="b",job="db_backup"}', 2],
    ]);
    log("instance grouping: without it host b's push replaced host a's group (1 series left); with it 2 groups, 2 series");
  });

  it("an HTTP error comes back as status and body in one line, exit 1", async () => {
    const bad = await runCli(cli, ["push", `${pg.url}/nonexistent-prefix`, "--job", "j", "--grouping", "instance=i", "--retries", "0"], { input: "# TYPE x gauge\nx 1\n" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^promwire: push to .* failed: HTTP 404 from http:\/\/127\.0\.0\.1:\d+\/nonexistent-prefix\/metrics\/job\/j\/instance\/i/);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    log(`CLI error: ${bad.stderr.trim()}`);
  });
});

describe("library → Pushgateway 1.5.1", () => {
  it("pushgateway().push / add / delete with a registry, protobuf and text", async () => {
    for (const format of ["protobuf", "text"] as const) {
      await pg.wipe();
      const registry = new Registry();
      const done = new Gauge({ name: "lib_backup_last_completion_timestamp_seconds", help: "Last success.", registry });
      const rows = new Counter({ name: "lib_backup_rows_total", help: "Rows.", labelNames: ["table"] as const, registry });
      const dur = new Histogram({ name: "lib_backup_seconds", help: "Duration.", buckets: [1, 10], registry });
      done.set(1_700_000_123.5);
      rows.labels({ table: "users" }).inc(42);
      dur.observe(3.5);
      const group = { instance: "host/1", db: "customers" };
      const client = pushgateway({ url: pg.url, job: "lib_backup", grouping: group, format });
      await client.push(registry);
      const names = ["lib_backup_last_completion_timestamp_seconds", "lib_backup_rows_total", "lib_backup_seconds"];
      const got = await exposed(names);
      expect(sortedEntries(got)).toEqual(sortedEntries(expectedFrom(registry.collect(), { job: "lib_backup", ...group })));
      rows.labels({ table: "orders" }).inc(7);
      await client.add({ collect: () => registry.collect().filter((f) => f.name === "lib_backup_rows_total") });
      const after = await exposed(names);
      expect(after.get('lib_backup_rows_total{db="customers",instance="host/1",job="lib_backup",table="orders"}')).toBe(7);
      expect(after.get('lib_backup_seconds_sum{db="customers",instance="host/1",job="lib_backup"}')).toBe(3.5);
      await client.delete();
      expect(await pg.metricsWhenEmpty()).toEqual([]);
      log(`library ${format}: push → ${got.size} samples identical; add → orders=7 alongside; delete → 0 groups`);
    }
  });
});

describe("examples/db-backup.ts against a real Pushgateway and Prometheus", () => {
  let prom: Prometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it("the completion gauge lands in the Pushgateway group, the counter and histogram in Prometheus", async () => {
    const { bundleExample } = await import("../../examples/db-backup-source.mjs");
    const job = await bundleExample("examples/db-backup.ts");
    const before = Date.now() / 1000;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PROMWIRE_")) env[k] = v;
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [job], {
        cwd: ROOT,
        stdio: "inherit",
        env: { ...env, BACKUP_INSTANCE: "e2e-host", PROMWIRE_PUSHGATEWAY_URL: pg.url, PROMWIRE_REMOTE_WRITE_URL: `${prom.url}/api/v1/write` },
      });
      child.on("exit", (c) => resolve(c));
    });
    expect(code).toBe(0);
    const groups = await pg.metrics();
    expect(groups.map((g) => g.labels)).toEqual([{ job: "db_backup", instance: "e2e-host", db: "customers" }]);
    const completion = (await exposed(["db_backup_last_completion_timestamp_seconds"])).get(
      'db_backup_last_completion_timestamp_seconds{db="customers",instance="e2e-host",job="db_backup"}',
    );
    expect(completion).toBeGreaterThanOrEqual(Math.floor(before));
    expect(completion).toBeLessThanOrEqual(Date.now() / 1000);
    const rows = await prom.query('db_backup_rows_copied_total{instance="e2e-host",db="customers",job="db_backup"}');
    expect(Object.fromEntries(rows.map((r) => [r.metric.table, Number(r.value![1])]))).toEqual({ users: 1200, orders: 5400, invoices: 800 });
    const [count] = await prom.query('db_backup_table_duration_seconds_count{instance="e2e-host"}');
    const [sum] = await prom.query('db_backup_table_duration_seconds_sum{instance="e2e-host"}');
    const [le] = await prom.query('db_backup_table_duration_seconds_bucket{instance="e2e-host",le="0.25"}');
    expect([Number(count.value![1]), Number(sum.value![1]), Number(le.value![1])]).toEqual([3, 0.12 + 0.48 + 0.09, 2]);
    log(`db-backup example: completion ${completion} in group {job="db_backup",instance="e2e-host",db="customers"}; Prometheus rows users=1200 orders=5400 invoices=800, duration count=3 sum=${sum.value![1]}`);
  });
});
