// The aggregator Durable Object (core/edge/aggregate/aggregator.ts) and the isolates' reporter,
// in-process: objects over in-memory storage (test/support/memory-durable-object.ts), reports
// lost before or after delivery, objects restarted, a receiver that is down. What is checked is
// what reaches the writer: one series per label set, totals exact, never counted twice.
import { describe, expect, it } from "vitest";
import { MetricsAggregatorBase } from "../../../core/edge/aggregate/aggregator.ts";
import { REPORT_PATH, shardOf } from "../../../core/edge/aggregate/report.ts";
import { AggregateReporter } from "../../../core/edge/aggregate/reporter.ts";
import { Counter } from "../../../core/metrics/counter.ts";
import { Gauge } from "../../../core/metrics/gauge.ts";
import { Histogram } from "../../../core/metrics/histogram.ts";
import { Registry } from "../../../core/metrics/registry.ts";
import { memoryContext, type MemoryNamespace } from "../../support/memory-durable-object.ts";
import { aggregatorNamespace, CaptureWriters, FakeClock, floatValues } from "./helpers.ts";

const OBJECT = "promwire-aggregator-0";

/** An isolate: its own registry and reporter, reporting to `ns`. */
function isolate(ns: MemoryNamespace, id: string, clock: FakeClock, shards = 1) {
  const registry = new Registry();
  const requests = new Counter({ name: "app_requests_total", help: "Requests.", labelNames: ["route"] as const, registry });
  const latency = new Histogram({ name: "app_latency_seconds", help: "Latency.", buckets: [0.5, 1], native: { schema: 2 }, registry });
  const inflight = new Gauge({ name: "app_inflight", help: "In flight.", registry, clock });
  const reporter = new AggregateReporter(registry, () => id, { shards, clock });
  const flush = () => reporter.flush({ force: true, stub: (i) => ns.get(ns.idFromName(`promwire-aggregator-${i}`) as never) });
  return { registry, requests, latency, inflight, reporter, flush };
}

describe("aggregator: isolates' reports → one series per label set", () => {
  it("8 isolates, 10,000 requests: one series per label set, no isolate label, exact totals", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock });
    const isolates = Array.from({ length: 8 }, (_, i) => isolate(ns, `iso${i}`, clock));
    for (let r = 0; r < 10_000; r++) {
      const iso = isolates[r % 8];
      iso.requests.labels({ route: r % 3 === 0 ? "/a" : "/b" }).inc();
      iso.latency.observe((r % 5) / 4);
      if (r % 500 === 0) await iso.flush();
      clock.advance(1);
    }
    for (const iso of isolates) await iso.flush();
    await ns.runAlarms();
    const v = floatValues(writers.last());
    expect(v.get('app_requests_total{route="/a"}')).toBe(3334);
    expect(v.get('app_requests_total{route="/b"}')).toBe(6666);
    expect(v.get("app_latency_seconds_count{}")).toBe(10_000);
    expect(v.get('app_latency_seconds_bucket{le="0.5"}')).toBe(6000);
    expect(v.get("app_latency_seconds_sum{}")).toBe(2000 * (0 + 0.25 + 0.5 + 0.75 + 1));
    const names = writers.last()!.series.map((s) => s.labels);
    expect(names.every((l) => !l.includes("isolate"))).toBe(true);
    // The native histogram: one series, the buckets of all 10,000 observations.
    const native = writers.last()!.series.filter((s) => s.histograms !== undefined);
    expect(native).toHaveLength(1);
    expect(native[0].histograms![0]).toMatchObject({ count: 10_000, schema: 2, zeroCount: 2000 });
    const stats = (await (await ns.object(OBJECT).fetch(new Request("https://x/stats"))).json()) as { reports: { applied: number; duplicates: number }; isolates: number };
    expect(stats.isolates).toBe(8);
    expect(stats.reports.duplicates).toBe(0);
  });

  it("a report lost in flight (after delivery) is sent again and counted once; one lost before delivery too", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock });
    const a = isolate(ns, "a", clock);
    ns.fault = (call) => (call === 2 ? "drop-response" : call === 4 ? "drop-request" : "none");
    let sent = 0;
    for (let round = 0; round < 6; round++) {
      a.requests.labels({ route: "/" }).inc(3);
      sent += 3;
      const r = await a.flush();
      expect(r?.error === undefined).toBe(round !== 1 && round !== 3);
      clock.advance(1_000);
    }
    await ns.runAlarms();
    expect(floatValues(writers.last()).get('app_requests_total{route="/"}')).toBe(sent);
    const stats = a.reporter.stats();
    expect(stats).toMatchObject({ failures: 2, refused: 0, pending: 0 });
    const agg = (await (await ns.object(OBJECT).fetch(new Request("https://x/stats"))).json()) as { reports: { duplicates: number } };
    expect(agg.reports.duplicates).toBe(1); // the one applied whose answer was lost
  });

  it("totals survive a restart of the object (storage kept): counters never go back", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock });
    const a = isolate(ns, "a", clock);
    a.requests.labels({ route: "/" }).inc(5);
    await a.flush();
    await ns.runAlarms();
    ns.restart(OBJECT);
    const b = isolate(ns, "b", clock); // a new isolate after the restart (a deployment)
    b.requests.labels({ route: "/" }).inc(2);
    clock.advance(10_000);
    await b.flush();
    await ns.runAlarms();
    expect(floatValues(writers.last()).get('app_requests_total{route="/"}')).toBe(7);
    // A repeated report of the old isolate is still recognised after the restart.
    ns.restart(OBJECT);
    const res = await ns.get(OBJECT as never).fetch(`https://x${REPORT_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ v: 1, isolate: "a", shard: 0, shards: 1, reports: [{ seq: 1, time: 0, families: [{ name: "app_requests_total", type: "counter", series: [{ n: "app_requests_total", l: ["route", "/"], d: 5 }] }] }] }),
    });
    expect(await res.json()).toEqual({ acked: 1, applied: 0, duplicates: 1 });
  });

  it("a receiver that is down: totals kept, delivered when it is back", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock });
    const a = isolate(ns, "a", clock);
    writers.down = true;
    for (let i = 0; i < 5; i++) {
      a.requests.labels({ route: "/" }).inc();
      await a.flush();
      clock.advance(10_000);
      await ns.runAlarms();
    }
    expect(writers.last()).toBeUndefined();
    expect(writers.writes.length).toBe(5);
    writers.down = false;
    clock.advance(10_000);
    await ns.runAlarms();
    expect(floatValues(writers.last()).get('app_requests_total{route="/"}')).toBe(5);
    const agg = (await (await ns.object(OBJECT).fetch(new Request("https://x/stats"))).json()) as { writes: { ok: number; failed: number } };
    expect(agg.writes).toEqual({ ok: 1, failed: 5 });
  });

  it("gauges: the value set last (by the isolates' clocks) wins", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock });
    const a = isolate(ns, "a", clock);
    const b = isolate(ns, "b", clock);
    a.inflight.set(3);
    await a.flush();
    clock.advance(100);
    b.inflight.set(7);
    await b.flush();
    clock.advance(100);
    // a reports again (a full report after a minute lists its unchanged, older value): b's stays.
    a.requests.labels({ route: "/" }).inc();
    clock.advance(60_000);
    await a.flush();
    await ns.runAlarms();
    expect(floatValues(writers.last()).get("app_inflight{}")).toBe(7);
    a.inflight.set(1);
    clock.advance(100);
    await a.flush();
    await ns.runAlarms();
    expect(floatValues(writers.last()).get("app_inflight{}")).toBe(1);
  });

  it("label sets idle past staleAfterMs get a stale marker, then stop; one coming back continues from its total", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock, staleAfterMs: 30_000, forgetAfterMs: 600_000 });
    const a = isolate(ns, "a", clock);
    a.requests.labels({ route: "/old" }).inc(4);
    a.requests.labels({ route: "/live" }).inc();
    await a.flush();
    await ns.runAlarms();
    // /old no longer changes; the isolate reports /live changes but no full report before 60 s.
    for (let t = 0; t < 4; t++) {
      clock.advance(10_000);
      a.requests.labels({ route: "/live" }).inc();
      await a.flush();
      await ns.runAlarms();
    }
    const v = floatValues(writers.last());
    expect(v.get('app_requests_total{route="/old"}')).toBe("stale");
    expect(v.get('app_requests_total{route="/live"}')).toBe(5);
    clock.advance(10_000);
    await ns.runAlarms();
    expect(floatValues(writers.last()).has('app_requests_total{route="/old"}')).toBe(false);
    a.requests.labels({ route: "/old" }).inc();
    await a.flush();
    await ns.runAlarms();
    expect(floatValues(writers.last()).get('app_requests_total{route="/old"}')).toBe(5);
  });

  it("the cardinality cap applies at the aggregator: past it, an overflow label set, counted", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock, maxSeriesPerMetric: 3 });
    const isolates = Array.from({ length: 3 }, (_, i) => isolate(ns, `i${i}`, clock));
    isolates.forEach((iso, i) => {
      iso.requests.labels({ route: `/a${i}` }).inc();
      iso.requests.labels({ route: `/b${i}` }).inc(10);
    });
    for (const iso of isolates) await iso.flush();
    await ns.runAlarms();
    const v = floatValues(writers.last());
    const routes = [...v.keys()].filter((k) => k.startsWith("app_requests_total"));
    expect(routes).toHaveLength(4); // 3 label sets + the overflow one
    expect(v.get('app_requests_total{route="__overflow__"}')).toBe(3 * 11 - [...routes].filter((k) => !k.includes("__overflow__")).reduce((n, k) => n + (v.get(k) as number), 0));
    expect(v.get('promwire_aggregator_series_overflow_total{metric="app_requests_total",shard="0"}')).toBe(3);
  });

  it("shards: each family lives in one object, chosen by a hash of its name", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock });
    const a = isolate(ns, "a", clock, 4);
    a.requests.labels({ route: "/" }).inc();
    a.latency.observe(1);
    a.inflight.set(2);
    await a.flush();
    const families = { app_requests_total: shardOf("app_requests_total", 4), app_latency_seconds: shardOf("app_latency_seconds", 4), app_inflight: shardOf("app_inflight", 4) };
    for (const [name, shard] of Object.entries(families)) {
      for (let i = 0; i < 4; i++) {
        const s = ns.storages.get(`promwire-aggregator-${i}`);
        const has = s !== undefined && s.data.has(`f:${name}`);
        expect(has, `${name} in object ${i}`).toBe(i === shard);
      }
    }
  });

  it("a storage failure answers 500 and applies nothing: the report is sent again and counted once", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock });
    const a = isolate(ns, "a", clock);
    a.requests.labels({ route: "/" }).inc(2);
    await a.flush();
    ns.storages.get(OBJECT)!.failNextPut = true;
    a.requests.labels({ route: "/" }).inc(3);
    const failed = await a.flush();
    expect(failed?.error).toMatch(/storage failure|500/);
    ns.restart(OBJECT); // the runtime resets an object whose storage write failed
    await a.flush();
    await ns.runAlarms();
    expect(floatValues(writers.last()).get('app_requests_total{route="/"}')).toBe(5);
  });
});

describe("aggregator: bad requests are refused (4xx), counted, and change nothing", () => {
  const post = async (body: string, init: { type?: string; method?: string } = {}) => {
    const ctx = memoryContext();
    const obj = new MetricsAggregatorBase(ctx, {}, new CaptureWriters().factory, { maxReportBytes: 4096 });
    const res = await obj.fetch(new Request(`https://x${REPORT_PATH}`, { method: init.method ?? "POST", headers: { "content-type": init.type ?? "application/json" }, ...(init.method === "GET" ? {} : { body }) }));
    const stats = (await (await obj.fetch(new Request("https://x/stats"))).json()) as { refused: Record<string, number>; series: { live: number } };
    return { status: res.status, body: (await res.json()) as { error: string; detail: string }, stats, keys: [...ctx.storage.data.keys()] };
  };
  const batch = (families: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ v: 1, isolate: "x", shard: 0, shards: 1, reports: [{ seq: 1, time: 0, families }], ...extra });
  const fam = (series: unknown[], extra: Record<string, unknown> = {}) => ({ name: "m_total", type: "counter", series, ...extra });

  const cases: [string, string, { type?: string; method?: string }, number, string][] = [
    ["not JSON", "{", {}, 400, "not-json"],
    ["wrong version", JSON.stringify({ v: 2 }), {}, 400, "version"],
    ["isolate id with a slash", batch([], { isolate: "a/b" }), {}, 400, "isolate-invalid"],
    ["shard out of range", batch([], { shard: 2, shards: 2 }), {}, 400, "shard-invalid"],
    ["no reports", JSON.stringify({ v: 1, isolate: "x", shard: 0, shards: 1, reports: [] }), {}, 400, "reports-invalid"],
    ["invalid metric name", batch([fam([], { name: "1bad" })]), {}, 400, "family-invalid"],
    ["unknown type", batch([fam([], { type: "histogramm" })]), {}, 400, "family-invalid"],
    ["labels not pairs", batch([fam([{ n: "m_total", l: ["a"], d: 1 }])]), {}, 400, "labels-invalid"],
    ["duplicate label", batch([fam([{ n: "m_total", l: ["a", "1", "a", "2"], d: 1 }])]), {}, 400, "labels-invalid"],
    ["__name__ among labels", batch([fam([{ n: "m_total", l: ["__name__", "x"], d: 1 }])]), {}, 400, "labels-invalid"],
    ["lone surrogate in a value", batch([fam([{ n: "m_total", l: ["a", "\ud800"], d: 1 }])]), {}, 400, "labels-invalid"],
    ["value not a number", batch([fam([{ n: "m_total", l: [], d: "1" }])]), {}, 400, "value-invalid"],
    ["two forms", batch([fam([{ n: "m_total", l: [], d: 1, g: 2, t: 0 }])]), {}, 400, "series-invalid"],
    ["schema 9", batch([fam([{ n: "h", l: [], h: { s: 9, z: 0, zc: 0, c: 0, sum: 0 } }], { name: "h", type: "histogram" })]), {}, 400, "histogram-invalid"],
    ["negative bucket count", batch([fam([{ n: "h", l: [], h: { s: 0, z: 0, zc: 0, c: 1, sum: 0, p: [1, -1] } }], { name: "h", type: "histogram" })]), {}, 400, "histogram-invalid"],
    ["too large", batch([fam([{ n: "m_total", l: ["a", "x".repeat(5000)], d: 1 }])]), {}, 413, "too-large"],
    ["text/plain", batch([]), { type: "text/plain" }, 415, "content-type"],
    ["GET", "", { method: "GET" }, 405, "method"],
  ];
  for (const [what, body, init, status, rule] of cases) {
    it(`${what} → ${status} ${rule}`, async () => {
      const r = await post(body, init);
      expect(r.status).toBe(status);
      expect(r.body.error).toBe(rule);
      expect(r.stats.refused[rule]).toBe(1);
      expect(r.stats.series.live).toBe(0);
      expect(r.keys.filter((k) => !k.startsWith("x:"))).toEqual([]); // only the refusal count was stored
    });
  }

  it("a refused report is dropped by the isolate (not sent forever) and counted there too", async () => {
    const clock = new FakeClock();
    const writers = new CaptureWriters();
    const ns = aggregatorNamespace(writers, { clock, maxReportBytes: 2048 });
    const registry = new Registry();
    // Labels too long for the object's limit: every report of it is refused.
    new Counter({ name: "big_total", help: "Big.", labelNames: ["v"] as const, registry }).labels({ v: "x".repeat(3000) }).inc();
    const reporter = new AggregateReporter(registry, () => "i", { clock });
    const stub = (i: number) => ns.get(`promwire-aggregator-${i}` as never);
    await reporter.flush({ force: true, stub });
    expect(reporter.stats()).toMatchObject({ refused: 1, pending: 0 });
  });
});
