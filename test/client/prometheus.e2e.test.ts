// Remote write against a real Prometheus 2.42 receiver (`--web.enable-remote-write-receiver`).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import { HttpError, RejectedError, type PromwireError } from "../../core/errors.ts";
import { Counter, Gauge, Registry } from "../../core/metrics/index.ts";

let prom: Prometheus;
beforeAll(async () => {
  prom = await startPrometheus();
});
afterAll(async () => {
  await prom?.stop();
});

const writeUrl = (): string => `${prom.url}/api/v1/write`;

describe("remote write → real Prometheus", () => {
  it("10,000 series from a registry arrive and are queryable with the right values", async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: "e2e_value", help: "One per series.", labelNames: ["i"] as const, registry });
    const jobs = new Counter({ name: "e2e_jobs_total", help: "Jobs done.", registry });
    for (let i = 0; i < 10_000; i++) gauge.labels({ i: String(i) }).set(i * 1.5);
    jobs.inc(3);
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: writeUrl(), externalLabels: { instance: "e2e" }, onError: (e) => errors.push(e) });
    const t0 = performance.now();
    const before = Date.now();
    rw.collect(registry);
    const after = Date.now();
    const stats = await rw.close();
    const at = Date.now();
    const ms = performance.now() - t0;
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ sent: 10_001, failed: 0, dropped: 0, requests: 6 });
    console.log(`10,001 samples → Prometheus 2.42 in ${stats.requests} requests, ${ms.toFixed(0)} ms (collect → close)`);

    const result = await prom.query('e2e_value{instance="e2e"}', at);
    expect(result).toHaveLength(10_000);
    const byI = new Map(result.map((r) => [r.metric.i, Number(r.value![1])]));
    for (let i = 0; i < 10_000; i++) expect(byI.get(String(i))).toBe(i * 1.5);
    expect(result[0].metric).toEqual({ __name__: "e2e_value", i: result[0].metric.i, instance: "e2e" });
    const [jobsNow] = await prom.query("e2e_jobs_total", at);
    expect(Number(jobsNow.value![1])).toBe(3);
    // Sample timestamps are the collection time.
    const [ts] = await prom.query('timestamp(e2e_value{i="7"})', at);
    expect(Math.round(Number(ts.value![1]) * 1000)).toBeGreaterThanOrEqual(before);
    expect(Math.round(Number(ts.value![1]) * 1000)).toBeLessThanOrEqual(after);
  });

  it("protocol v2 against Prometheus 2.42 (a 1.0-only receiver) falls back to v1 and the data arrives", async () => {
    const logs: string[] = [];
    const rw = remoteWrite({ url: writeUrl(), protocol: "v2", log: (m) => logs.push(m) });
    const at = Date.now();
    rw.write(
      [{ labels: ["__name__", "e2e_v2_fallback", "k", "v"], samples: [{ value: 42, timestamp: at }] }],
      [{ metricFamilyName: "e2e_v2_fallback", type: "gauge", help: "Fallback." }],
    );
    const stats = await rw.close();
    expect(stats).toMatchObject({ sent: 1, failed: 0 });
    expect(rw.protocol).toBe("v1");
    expect(logs).toHaveLength(1);
    console.log(logs[0]);
    const [r] = await prom.query("e2e_v2_fallback", at);
    expect(Number(r.value![1])).toBe(42);
  });

  it("close({ markStale: true }) ends the series in Prometheus at once", async () => {
    const rw = remoteWrite({ url: writeUrl() });
    const at = Date.now() - 2_000;
    rw.write([{ labels: ["__name__", "e2e_stale", "k", "v"], samples: [{ value: 1, timestamp: at }] }]);
    await rw.flush();
    expect(await prom.query("e2e_stale", at + 500)).toHaveLength(1);
    await rw.close({ markStale: true });
    // Without the marker the sample would answer queries for 5 minutes.
    expect(await prom.query("e2e_stale", Date.now() + 1_000)).toHaveLength(0);
  });

  it("an out-of-order sample is refused with 400: one attempt, reported with Prometheus' message", async () => {
    const errors: { e: PromwireError; attempts: number }[] = [];
    const rw = remoteWrite({ url: writeUrl(), onError: (e, i) => errors.push({ e, attempts: i.attempts }) });
    const at = Date.now();
    rw.write([{ labels: ["__name__", "e2e_ooo"], samples: [{ value: 1, timestamp: at }] }]);
    await rw.flush();
    rw.write([{ labels: ["__name__", "e2e_ooo"], samples: [{ value: 2, timestamp: at - 60_000 }] }]);
    const stats = await rw.close();
    expect(stats).toMatchObject({ sent: 1, failed: 1, retries: 0 });
    expect(errors).toHaveLength(1);
    expect(errors[0].attempts).toBe(1);
    const http = (errors[0].e as RejectedError).lastError as HttpError;
    expect(http.status).toBe(400);
    expect(http.body).toMatch(/out of (order|bounds)/);
  });
});
