// rw.collectEvery: each tick's snapshot is sent at once and waited for; a tick that finds the
// previous snapshot undelivered is skipped (a slow receiver never makes snapshots pile up); the
// handle's timestamps only move forward, even under a frozen clock — against a receiver that
// decodes and re-encodes every body (test/support/fault-server.ts) and against a real
// Prometheus 2.42, which refuses a repeated timestamp with another value.
import "../support/snappy-node.ts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import type { PromwireError } from "../../core/errors.ts";
import { Counter, Gauge, Registry } from "../../core/metrics/index.ts";
import { startFaultServer, type FaultServer, type RecordedRequest } from "../support/fault-server.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const FROZEN = 1_700_000_000_000;

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Every (series, timestamp, value) the receiver accepted, per series in arrival order. */
function stampsBySeries(requests: readonly RecordedRequest[]): Map<string, { t: number; v: number }[]> {
  const out = new Map<string, { t: number; v: number }[]>();
  for (const r of requests) {
    for (const s of r.decoded?.series ?? []) {
      const key = s.labels.join(",");
      const list = out.get(key) ?? [];
      for (const x of s.samples ?? []) list.push({ t: x.timestamp, v: x.value });
      out.set(key, list);
    }
  }
  return out;
}

function jobRegistry(): { registry: Registry; rows: Counter<"table">; phase: Gauge } {
  const registry = new Registry();
  const rows = new Counter({ name: "job_rows_total", help: "Rows.", labelNames: ["table"] as const, registry });
  const phase = new Gauge({ name: "job_phase", help: "Phase.", registry });
  return { registry, rows, phase };
}

describe("collectEvery", () => {
  it("under a frozen clock: every series' timestamps strictly increase across ticks and the final snapshot", async () => {
    server = await startFaultServer();
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: server.url, now: () => FROZEN, onError: (e) => errors.push(e) });
    const { registry, rows, phase } = jobRegistry();
    rows.labels({ table: "users" }).inc(0);
    rows.labels({ table: "orders" }).inc(0);
    const handle = rw.collectEvery(registry, 50);
    // At least 12 steps and at least 6 runs (a loaded machine skips ticks: bounded at 400 steps).
    let i = 0;
    for (; i < 400 && (i < 12 || handle.stats().runs < 6); i++) {
      rows.labels({ table: "users" }).inc(10);
      rows.labels({ table: "orders" }).inc(1);
      phase.set(i % 3);
      await sleep(25);
    }
    const steps = i;
    rows.labels({ table: "users" }).inc(1_000);
    await handle.stop();
    await rw.close();
    expect(errors).toEqual([]);
    expect(server.requests.every((r) => r.problem === undefined && r.status === 204)).toBe(true);
    const s = handle.stats();
    expect(s.runs).toBeGreaterThanOrEqual(6);
    const bySeries = stampsBySeries(server.requests);
    expect(bySeries.size).toBe(3);
    for (const [key, list] of bySeries) {
      expect(list.length, key).toBe(s.runs); // one sample per run, none lost, none doubled
      for (let i = 1; i < list.length; i++) expect(list[i].t, `${key} #${i}`).toBeGreaterThan(list[i - 1].t);
      expect(list[0].t).toBe(FROZEN);
      expect(list[list.length - 1].t).toBe(FROZEN + s.runs - 1);
    }
    // The final snapshot has the values as they were at stop().
    const users = bySeries.get("__name__,job_rows_total,table,users")!;
    expect(users[users.length - 1].v).toBe(steps * 10 + 1_000);
  });

  it("a slow receiver (every answer after 350 ms, 100 ms interval): one request at a time, skipped ticks counted, nothing piles up", async () => {
    server = await startFaultServer(() => ({ status: 204, delayMs: 350 }));
    const rw = remoteWrite({ url: server.url });
    const { registry, rows } = jobRegistry();
    const handle = rw.collectEvery(registry, 100);
    for (let i = 0; i < 15; i++) {
      rows.labels({ table: "users" }).inc();
      await sleep(100);
    }
    const pendingDuring = rw.stats().pending;
    await handle.stop();
    await rw.close();
    const s = handle.stats();
    console.log(`[collectEvery 100 ms, receiver 350 ms] ${server.requests.length} requests, runs ${s.runs}, skipped ${s.skipped}`);
    // Never two requests in flight: each arrives after the previous one was answered.
    for (let i = 1; i < server.requests.length; i++) expect(server.requests[i].at).toBeGreaterThanOrEqual(server.requests[i - 1].answeredAt!);
    expect(s.skipped).toBeGreaterThanOrEqual(6);
    expect(server.requests.length).toBe(s.runs);
    // At most one snapshot waits behind the one in flight.
    expect(pendingDuring).toBeLessThanOrEqual(1);
    expect(s.failed).toBe(0);
  });

  it("a receiver that refuses: runs count as failed, the writer's onError says why (once per batch), the periodic log adds nothing", async () => {
    server = await startFaultServer(() => ({ status: 400, body: "bad" }));
    const errors: PromwireError[] = [];
    const lines: string[] = [];
    const rw = remoteWrite({ url: server.url, onError: (e) => errors.push(e), log: (l) => lines.push(l) });
    const { registry } = jobRegistry();
    new Gauge({ name: "x", help: "x", registry }).set(1);
    const handle = rw.collectEvery(registry, 50);
    await sleep(180);
    await handle.stop();
    const s = handle.stats();
    // Every run failed (one still waiting when stop() came is abandoned, not counted), and every
    // snapshot was refused, each reported once by the writer.
    expect(s.failed).toBeGreaterThanOrEqual(s.runs - 1);
    expect(s.lastSuccessAt).toBeUndefined();
    expect(errors).toHaveLength(s.runs);
    expect(lines).toEqual([]);
    await rw.close();
  });

  it("close() takes the final snapshot before the writer stops taking data; later collectEvery is refused", async () => {
    server = await startFaultServer();
    const rw = remoteWrite({ url: server.url });
    const { registry, phase } = jobRegistry();
    phase.set(1);
    const handle = rw.collectEvery(registry, 60_000);
    await sleep(50);
    phase.set(7);
    const stats = await rw.close();
    expect(handle.stopped).toBe(true);
    expect(stats.failed).toBe(0);
    const phases = stampsBySeries(server.requests).get("__name__,job_phase")!;
    expect(phases.map((p) => p.v)).toEqual([1, 7]);
    expect(() => rw.collectEvery(registry, 1_000)).toThrow(/closed/);
  });

  it("stop() resolves once the final snapshot is delivered", async () => {
    server = await startFaultServer(() => ({ status: 204, delayMs: 200 }));
    const rw = remoteWrite({ url: server.url });
    const { registry, phase } = jobRegistry();
    const handle = rw.collectEvery(registry, 60_000);
    phase.set(3);
    await handle.stop();
    // Both snapshots arrived by the time stop() resolved (in one request or two: the first may
    // still be queued when the final one joins it), the final one with the value set before stop.
    const phaseSamples = [...stampsBySeries(server.accepted()).entries()].find(([k]) => k.includes("job_phase"))?.[1] ?? [];
    expect(phaseSamples.map((x) => x.v)).toEqual([0, 3]);
    expect(phaseSamples[1].t).toBeGreaterThan(phaseSamples[0].t);
    expect(rw.stats().pending).toBe(0);
    await rw.close();
  });
});

describe("collectEvery under a frozen clock → real Prometheus 2.42", () => {
  let prom: Prometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
  });
  afterAll(async () => {
    await prom?.stop();
  });

  it("every snapshot accepted, where plain collect() twice at the same instant is refused (duplicate sample for timestamp)", async () => {
    const T = Date.now() - 60_000;
    const url = `${prom.url}/api/v1/write`;
    // The hand-written loop: two collects under the frozen clock, the counter changed in between.
    const plainErrors: PromwireError[] = [];
    const plain = remoteWrite({ url, now: () => T, onError: (e) => plainErrors.push(e) });
    const a = jobRegistry();
    a.rows.labels({ table: "plain" }).inc(1);
    plain.collect(a.registry);
    await plain.flush();
    a.rows.labels({ table: "plain" }).inc(1);
    plain.collect(a.registry);
    await plain.close();
    expect(plainErrors.map((e) => e.message).join("\n")).toMatch(/HTTP 400.*duplicate sample for timestamp/);

    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url, now: () => T, onError: (e) => errors.push(e) });
    const b = jobRegistry();
    b.rows.labels({ table: "every" }).inc(0);
    const handle = rw.collectEvery(b.registry, 30);
    for (let i = 0; i < 10; i++) {
      b.rows.labels({ table: "every" }).inc(5);
      await sleep(30);
    }
    await handle.stop();
    await rw.close();
    expect(errors.map((e) => e.message)).toEqual([]);
    const runs = handle.stats().runs;
    const got = await prom.query(`count_over_time(job_rows_total{table="every"}[5m])`, T + runs);
    expect(got.map((r) => Number(r.value?.[1]))).toEqual([runs]);
    const last = await prom.query(`job_rows_total{table="every"}`, T + runs);
    expect(Number(last[0]?.value?.[1])).toBe(50);
  }, 60_000);
});
