import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pushgateway } from "../../core/client/pushgateway/client.ts";
import { groupingPath } from "../../core/client/pushgateway/url.ts";
import type { Collectable } from "../../core/metrics/collectable.ts";
import { HttpError, ValidationError } from "../../core/errors.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";
import { Counter, Gauge, Histogram, Registry, Summary } from "../../core/metrics/index.ts";
import { startPushgateway, type Pushgateway, type PushgatewayGroup } from "../support/pushgateway.ts";

let gw: Pushgateway;
beforeAll(async () => {
  gw = await startPushgateway();
});
afterAll(async () => {
  await gw?.stop();
});
beforeEach(async () => {
  await gw.wipe();
});

function sampleRegistry(): Registry {
  const registry = new Registry();
  const rows = new Counter({ name: "rows_copied_total", help: "Rows copied.", labelNames: ["table"] as const, registry });
  rows.labels({ table: "users" }).inc(42);
  rows.labels({ table: "orders" }).inc(7.5);
  new Gauge({ name: "db_backup_last_completion_timestamp_seconds", help: "Last successful DB backup.", registry }).set(1_700_000_000.25);
  const lat = new Histogram({ name: "backup_duration_seconds", help: "Backup duration.", labelNames: ["db"] as const, buckets: [0.5, 1, 10], registry });
  lat.labels({ db: "customers" }).observe(0.2);
  lat.labels({ db: "customers" }).observe(3);
  lat.labels({ db: "customers" }).observe(30);
  const size = new Summary({ name: "backup_size_bytes", help: "Backup size.", registry });
  size.observe(1_000);
  size.observe(3_000);
  return registry;
}

/** JSON with sorted keys at every level and ±Inf/NaN spelled out. */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === "number" && !Number.isFinite(x)) return String(x);
    if (x && typeof x === "object" && !Array.isArray(x)) return Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)));
    return x;
  });
}

type Normal = Record<string, { type: string; help: string; metrics: string[] }>;

const num = (s: string): number => (s === "+Inf" ? Infinity : s === "-Inf" ? -Infinity : Number(s));
const pairs = (labels: readonly string[], skip: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < labels.length; i += 2) if (labels[i] !== skip) out[labels[i]] = labels[i + 1];
  return out;
};
const sortedRecord = (r: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== "").sort());

/** What was pushed, in the shape `/api/v1/metrics` reports it. */
function expectedFromFamilies(families: readonly MetricFamily[], group: Record<string, string>): Normal {
  const out: Normal = {};
  for (const f of families) {
    const byLabels = new Map<string, Record<string, unknown>>();
    const get = (labels: readonly string[], skip: string): Record<string, unknown> => {
      const l = sortedRecord({ ...pairs(labels, skip), ...group });
      const key = JSON.stringify(l);
      let m = byLabels.get(key);
      if (!m) byLabels.set(key, (m = { labels: l }));
      return m;
    };
    let name = f.name;
    for (const s of f.samples) {
      const suffix = s.name.slice(f.name.length);
      if (f.type === "histogram") {
        const m = get(s.labels, "le");
        if (suffix === "_bucket") ((m.buckets ??= []) as [number, number][]).push([num(pairs(s.labels, "")["le"]), s.value]);
        else m[suffix.slice(1)] = s.value;
      } else if (f.type === "summary") {
        const m = get(s.labels, "quantile");
        if (suffix === "") ((m.quantiles ??= []) as [number, number][]).push([num(pairs(s.labels, "")["quantile"]), s.value]);
        else m[suffix.slice(1)] = s.value;
      } else {
        name = s.name;
        get(s.labels, "").value = s.value;
      }
    }
    out[name] = {
      type: f.type === "unknown" ? "untyped" : f.type,
      help: f.help ?? "",
      metrics: [...byLabels.values()].map(canonical).sort(),
    };
  }
  return out;
}

/** A group as the gateway reports it, minus its own push_time/push_failure metrics. */
function normaliseGroup(group: PushgatewayGroup): Normal {
  const out: Normal = {};
  for (const [name, v] of Object.entries(group)) {
    if (["labels", "last_push_successful", "push_time_seconds", "push_failure_time_seconds"].includes(name)) continue;
    const fam = v as { type: string; help?: string; metrics: Record<string, unknown>[] };
    out[name] = {
      type: fam.type.toLowerCase(),
      help: fam.help ?? "",
      metrics: fam.metrics
        .map((m) => {
          const r: Record<string, unknown> = { labels: sortedRecord(m.labels as Record<string, string>) };
          if (m.value !== undefined) r.value = num(m.value as string);
          if (m.buckets) r.buckets = Object.entries(m.buckets as Record<string, string>).map(([k, c]) => [num(k), num(c)]).sort((a, b) => a[0] - b[0]);
          if (m.quantiles) r.quantiles = Object.entries(m.quantiles as Record<string, string>).map(([k, c]) => [num(k), num(c)]).sort((a, b) => a[0] - b[0]);
          if (m.count !== undefined) r.count = num(m.count as string);
          if (m.sum !== undefined) r.sum = num(m.sum as string);
          return canonical(r);
        })
        .sort(),
    };
  }
  return out;
}

const GROUPING = { instance: "host-1", path: "/var/lib/db", note: "a b+c", empty: "" };

describe("pushgateway against a real Pushgateway", () => {
  for (const format of ["protobuf", "text"] as const) {
    it(`push (${format}) with grouping incl. a value with / and an empty value: the gateway reports what was pushed`, async () => {
      const registry = sampleRegistry();
      const pg = pushgateway({ url: gw.url, job: "db/backup", grouping: GROUPING, format });
      await pg.push(registry);
      const groups = await gw.metrics();
      expect(groups).toHaveLength(1);
      const group = { job: "db/backup", instance: "host-1", path: "/var/lib/db", note: "a b+c" };
      expect(sortedRecord(groups[0].labels)).toEqual(sortedRecord(group));
      expect(groups[0].last_push_successful).toBe(true);
      const expected = expectedFromFamilies(registry.collect(), group);
      if (process.env.PROMWIRE_DEBUG) console.log(JSON.stringify(groups[0].labels), JSON.stringify(expected, null, 1));
      expect(Object.keys(expected)).toHaveLength(4);
      expect(normaliseGroup(groups[0])).toEqual(expected);
    });
  }

  it("add (POST) replaces only same-named metrics; push (PUT) replaces the group; delete removes it", async () => {
    const a = new Registry();
    new Gauge({ name: "m1", help: "One.", registry: a }).set(1);
    new Gauge({ name: "m2", help: "Two.", registry: a }).set(2);
    const b = new Registry();
    new Gauge({ name: "m2", help: "Two.", registry: b }).set(20);
    const pg = pushgateway({ url: gw.url, job: "j", grouping: { instance: "i" } });
    const values = async (): Promise<Record<string, number>> => {
      const groups = await gw.metrics();
      if (groups.length === 0) return {};
      const n = normaliseGroup(groups[0]);
      return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, JSON.parse(v.metrics[0]).value]));
    };
    await pg.push(a);
    expect(await values()).toEqual({ m1: 1, m2: 2 });
    await pg.add(b);
    expect(await values()).toEqual({ m1: 1, m2: 20 });
    await pg.push(b);
    expect(await values()).toEqual({ m2: 20 });
    await pg.delete();
    expect(await gw.metricsWhenEmpty()).toEqual([]);
    // Deleting a missing group is fine (202).
    await pg.delete();
  });

  it("a metric carrying a grouping label or job never reaches the gateway", async () => {
    let calls = 0;
    const counting = (input: string, init: RequestInit): Promise<Response> => {
      calls++;
      return fetch(input, init);
    };
    const clash = new Registry();
    new Gauge({ name: "ok", help: "Fine.", registry: clash }).set(1);
    new Gauge({ name: "bad", help: "Clashes.", labelNames: ["instance"] as const, registry: clash }).labels({ instance: "x" }).set(1);
    const pg = pushgateway({ url: gw.url, job: "j", grouping: { instance: "i" }, fetch: counting });
    await expect(pg.push(clash)).rejects.toMatchObject({ _tag: "ValidationError", rule: "metric-has-grouping-label" });
    await expect(pg.add(clash)).rejects.toBeInstanceOf(ValidationError);
    const withJob = new Registry();
    new Gauge({ name: "bad", help: "Has job.", labelNames: ["job"] as const, registry: withJob }).labels({ job: "x" }).set(1);
    await expect(pg.push(withJob)).rejects.toMatchObject({ rule: "metric-has-job-label" });
    expect(calls).toBe(0);
    expect(await gw.metrics()).toEqual([]);
  });

  it("errors carry the status and the gateway's body", async () => {
    const asGauge: Collectable = { collect: () => [{ name: "dual", type: "gauge", help: "x", samples: [{ name: "dual", labels: [], value: 1 }] }] };
    const asCounter: Collectable = { collect: () => [{ name: "dual", type: "counter", help: "x", samples: [{ name: "dual", labels: [], value: 1 }] }] };
    await pushgateway({ url: gw.url, job: "a", grouping: { instance: "1" } }).push(asGauge);
    const err = await pushgateway({ url: gw.url, job: "b", grouping: { instance: "1" } }).push(asCounter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    expect((err as HttpError).body).toContain("dual");
    expect((err as HttpError).message).toContain("HTTP 400");
  });

  it("warns once when no instance grouping label is set", async () => {
    const logs: string[] = [];
    const pg = pushgateway({ url: gw.url, job: "j", log: (m) => logs.push(m) });
    const r = new Registry();
    new Gauge({ name: "g", help: "G.", registry: r }).set(1);
    await pg.push(r);
    await pg.add(r);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain("instance");
    const quiet: string[] = [];
    await pushgateway({ url: gw.url, job: "j", grouping: { instance: "x" }, log: (m) => quiet.push(m) }).push(r);
    expect(quiet).toEqual([]);
  });
});

describe("pushgateway validation and URLs", () => {
  it("builds the path as client_golang does", () => {
    expect(groupingPath("backup")).toBe("/metrics/job/backup");
    expect(groupingPath("db/backup", { z: "1", a: "x y", p: "/a/b", e: "" })).toBe(
      "/metrics/job@base64/ZGIvYmFja3Vw/a/x%20y/e@base64/=/p@base64/L2EvYg/z/1",
    );
    expect(groupingPath("j", { instance: "ü?" })).toBe("/metrics/job/j/instance/%C3%BC%3F");
  });

  it("refuses bad jobs and grouping labels before any request", () => {
    const make = (job: string, grouping: Record<string, string>) => () => pushgateway({ url: "http://127.0.0.1:1", job, grouping });
    expect(make("", {})).toThrow(expect.objectContaining({ rule: "job-empty" }));
    expect(make("j", { "bad-name": "x" })).toThrow(expect.objectContaining({ rule: "grouping-label-invalid" }));
    expect(make("j", { "0x": "x" })).toThrow(ValidationError);
    expect(make("j", { job: "x" })).toThrow(ValidationError);
    expect(make("j", { instance: "" })).toThrow(expect.objectContaining({ rule: "grouping-instance-empty" }));
  });

  it("refuses samples with timestamps (Pushgateway answers 400 to them)", async () => {
    const withTs: Collectable = { collect: () => [{ name: "g", type: "gauge", samples: [{ name: "g", labels: [], value: 1, timestamp: 5 }] }] };
    await expect(pushgateway({ url: "http://127.0.0.1:1", job: "j", grouping: { instance: "i" } }).push(withTs)).rejects.toMatchObject({
      rule: "timestamp-not-allowed",
    });
  });
});
