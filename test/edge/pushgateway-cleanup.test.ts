// Pushgateway cleanup against the real Pushgateway 1.5.1: deleteOnClose leaves no group behind,
// stale groups are found by push_time_seconds (and the documented alert expression fires in a
// real Prometheus scraping the gateway), and gzip bodies are accepted.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { startPushgateway, type Pushgateway, type PushgatewayGroup } from "../support/pushgateway.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { gzip, pushgateway } from "../../core/client/pushgateway/client.ts";
import type { FetchLike } from "../../core/client/http/types.ts";
import { ClosedError } from "../../core/errors.ts";
import { deleteStaleGroups, freshnessAlertRule, groupAges, staleGroups } from "../../core/edge/index.ts";
import { Counter, Gauge, Histogram, Registry } from "../../core/metrics/index.ts";

let pg: Pushgateway;
beforeAll(async () => {
  pg = await startPushgateway();
});
afterAll(async () => {
  await pg?.stop();
});
beforeEach(async () => {
  await pg.wipe();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function jobRegistry(): Registry {
  const registry = new Registry();
  new Counter({ name: "rows_copied_total", help: "Rows.", labelNames: ["table"] as const, registry }).labels({ table: "users" }).inc(42);
  new Gauge({ name: "job_last_success_timestamp_seconds", help: "Done.", registry }).set(1_700_000_000);
  new Histogram({ name: "job_step_seconds", help: "Steps.", buckets: [0.1, 1], registry }).observe(0.5);
  return registry;
}

const groupsOf = (groups: PushgatewayGroup[], job: string): PushgatewayGroup[] => groups.filter((g) => g.labels.job === job);

describe("deleteOnClose", () => {
  it("a finished job leaves no group behind (text and protobuf, with a base64 grouping value)", async () => {
    for (const format of ["text", "protobuf"] as const) {
      const grouping = { instance: "host-1", path: "/var/backups" }; // "/" → @base64 in the URL
      const client = pushgateway({ url: pg.url, job: `cleanup_${format}`, grouping, format, deleteOnClose: true });
      await client.push(jobRegistry());
      await client.add(jobRegistry());
      const during = groupsOf(await pg.metrics(), `cleanup_${format}`);
      expect(during).toHaveLength(1);
      expect(during[0].labels).toEqual({ job: `cleanup_${format}`, instance: "host-1", path: "/var/backups" });
      await client.close();
      expect(client.closed).toBe(true);
      expect(await pg.metricsWhenEmpty()).toEqual([]);
      await expect(client.push(jobRegistry())).rejects.toBeInstanceOf(ClosedError);
      await client.close(); // idempotent
    }
  });

  it("graceMs keeps the final values up for a scrape before deleting; without deleteOnClose, close() leaves the group", async () => {
    const client = pushgateway({ url: pg.url, job: "grace", grouping: { instance: "a" }, deleteOnClose: true });
    await client.push(jobRegistry());
    const closing = client.close({ graceMs: 400 });
    await sleep(150);
    expect(groupsOf(await pg.metrics(), "grace")).toHaveLength(1);
    await closing;
    expect(groupsOf(await pg.metricsWhen((g) => groupsOf(g, "grace").length === 0), "grace")).toHaveLength(0);

    const keep = pushgateway({ url: pg.url, job: "keep", grouping: { instance: "a" } });
    await keep.push(jobRegistry());
    await keep.close();
    expect(groupsOf(await pg.metrics(), "keep")).toHaveLength(1);
  });

  it("a job that fails still deletes its group when it closes in finally", async () => {
    const client = pushgateway({ url: pg.url, job: "failing", grouping: { instance: "b" }, deleteOnClose: true });
    const job = async (): Promise<void> => {
      try {
        await client.push(jobRegistry());
        throw new Error("disk full");
      } finally {
        await client.close();
      }
    };
    await expect(job()).rejects.toThrow("disk full");
    expect(await pg.metricsWhenEmpty()).toEqual([]);
  });
});

describe("push_time_seconds freshness", () => {
  it("staleGroups finds groups not pushed within maxAgeSeconds; deleteStaleGroups removes only those", async () => {
    await pushgateway({ url: pg.url, job: "nightly", grouping: { instance: "old" } }).push(jobRegistry());
    await pushgateway({ url: pg.url, job: "other", grouping: { instance: "old" } }).push(jobRegistry());
    await sleep(1_500);
    await pushgateway({ url: pg.url, job: "nightly", grouping: { instance: "new" } }).push(jobRegistry());
    await pushgateway({ url: pg.url, job: "noinstance", log: () => {} }).push(jobRegistry());
    const ages = await groupAges({ url: pg.url });
    expect(ages).toHaveLength(4);
    for (const a of ages) expect(a.ageSeconds).toBeGreaterThanOrEqual(0);
    // The implicit empty instance is left out (never sent back as an explicit empty value).
    expect(ages.find((a) => a.labels.job === "noinstance")!.labels).toEqual({ job: "noinstance" });

    const stale = await staleGroups({ url: pg.url, maxAgeSeconds: 1, job: "nightly" });
    expect(stale.map((g) => g.labels)).toEqual([{ job: "nightly", instance: "old" }]);
    expect(stale[0].ageSeconds).toBeGreaterThan(1);
    const deleted = await deleteStaleGroups({ url: pg.url, maxAgeSeconds: 1 });
    expect(deleted.map((g) => g.labels).sort((a, b) => a.job.localeCompare(b.job))).toEqual([
      { job: "nightly", instance: "old" },
      { job: "other", instance: "old" },
    ]);
    const left = (await pg.metricsWhen((g) => g.length === 2)).map((g) => g.labels).sort((a, b) => a.job.localeCompare(b.job));
    expect(left).toEqual([{ job: "nightly", instance: "new" }, { job: "noinstance" }]);
  });

  it("the documented alert rule passes promtool and fires in a real Prometheus scraping the gateway", async () => {
    const rule = freshnessAlertRule({ job: "nightly", maxAgeSeconds: 2 });
    expect(rule.expr).toBe('time() - push_time_seconds{job="nightly"} > 2');
    const dir = mkdtempSync(join(tmpdir(), "promwire-rules-"));
    try {
      const file = join(dir, "rules.yml");
      writeFileSync(file, JSON.stringify({ groups: [{ name: "pushgateway", rules: [rule] }] }));
      const out = execFileSync("promtool", ["check", "rules", file], { encoding: "utf8" });
      expect(out).toMatch(/SUCCESS: 1 rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const host = new URL(pg.url).host;
    const prom: Prometheus = await startPrometheus({
      scrapeConfigs: [{ job_name: "pushgateway", honor_labels: true, static_configs: [{ targets: [host] }] }],
    });
    try {
      await pushgateway({ url: pg.url, job: "nightly", grouping: { instance: "stuck" } }).push(jobRegistry());
      await sleep(1_000);
      const fresh = await prom.query(rule.expr);
      expect(fresh).toEqual([]); // pushed a moment ago: no alert
      await pushgateway({ url: pg.url, job: "nightly", grouping: { instance: "live" } }).push(jobRegistry());
      // Keep "live" fresh while "stuck" ages past 2 s.
      let firing: Awaited<ReturnType<Prometheus["query"]>> = [];
      for (let i = 0; i < 20 && firing.length === 0; i++) {
        await sleep(500);
        await pushgateway({ url: pg.url, job: "nightly", grouping: { instance: "live" } }).push(jobRegistry());
        firing = await prom.query(rule.expr);
      }
      expect(firing.map((r) => r.metric.instance)).toEqual(["stuck"]);
      expect(Number(firing[0].value![1])).toBeGreaterThan(2);
    } finally {
      await prom.stop();
    }
  }, 60_000);

  it("refuses a non-positive threshold", () => {
    expect(() => freshnessAlertRule({ maxAgeSeconds: 0 })).toThrow(/maxAgeSeconds/);
  });
});

describe("gzip bodies", () => {
  function capture(): { fetch: FetchLike; seen: { encoding: string | undefined; bytes: number; magic: string }[] } {
    const seen: { encoding: string | undefined; bytes: number; magic: string }[] = [];
    return {
      seen,
      fetch: (input, init) => {
        const headers = init.headers as Record<string, string>;
        const body = init.body as Uint8Array | undefined;
        if (body !== undefined) {
          seen.push({ encoding: headers["content-encoding"], bytes: body.length, magic: Array.from(body.subarray(0, 2), (b) => b.toString(16)).join("") });
        }
        return fetch(input, init);
      },
    };
  }

  it("Content-Encoding: gzip is accepted by Pushgateway 1.5.1 and stores the same metrics as an uncompressed push", async () => {
    const registry = new Registry();
    const g = new Gauge({ name: "big_gauge", help: "Many series.", labelNames: ["i"] as const, registry });
    for (let i = 0; i < 1_000; i++) g.labels({ i: String(i) }).set(i * 0.25);
    new Counter({ name: "small_total", help: "c", registry }).inc(7);
    const sizes: Record<string, { plain: number; gzip: number }> = {};
    for (const format of ["text", "protobuf"] as const) {
      const zipped = capture();
      const plain = capture();
      await pushgateway({ url: pg.url, job: `gz_${format}`, grouping: { instance: "z" }, format, compression: "gzip", fetch: zipped.fetch }).push(registry);
      await pushgateway({ url: pg.url, job: `plain_${format}`, grouping: { instance: "z" }, format, fetch: plain.fetch }).push(registry);
      expect(zipped.seen[0]).toMatchObject({ encoding: "gzip", magic: "1f8b" });
      expect(plain.seen[0].encoding).toBeUndefined();
      sizes[format] = { plain: plain.seen[0].bytes, gzip: zipped.seen[0].bytes };
      const groups = await pg.metrics();
      const strip = (grp: PushgatewayGroup): unknown => {
        const { labels: _l, push_time_seconds: _p, push_failure_time_seconds: _f, ...rest } = grp;
        return JSON.parse(JSON.stringify(rest).replace(/"job":"[a-z_]+"/g, '"job":"J"').replace(/"time_stamp":"[^"]+"/g, '"time_stamp":"T"'));
      };
      const a = groupsOf(groups, `gz_${format}`)[0];
      const b = groupsOf(groups, `plain_${format}`)[0];
      expect(a.last_push_successful).toBe(true);
      expect(strip(a)).toEqual(strip(b));
      expect(((a.big_gauge as { metrics: unknown[] }).metrics)).toHaveLength(1_000);
    }
    console.log(`Pushgateway bodies, 1,001 series: text ${sizes.text.plain} B → gzip ${sizes.text.gzip} B; protobuf ${sizes.protobuf.plain} B → gzip ${sizes.protobuf.gzip} B`);
    expect(sizes.text.gzip).toBeLessThan(sizes.text.plain / 3);
  });

  it("gzip() round-trips through DecompressionStream", async () => {
    const input = new TextEncoder().encode("up 1\n".repeat(100));
    const z = await gzip(input);
    const back = new Uint8Array(await new Response(new Blob([z as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
    expect(back).toEqual(input);
  });

  it("an invalid compression option is refused up front", () => {
    expect(() => pushgateway({ url: pg.url, job: "x", compression: "br" as "gzip" })).toThrow(/compression/);
  });
});
