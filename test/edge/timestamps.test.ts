// Sample timestamps never go back per series, even with a clock that never advances (as
// Date.now() during a Worker request), and the real Prometheus never answers out of order.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import type { FetchLike } from "../../core/client/http/types.ts";
import type { PromwireError } from "../../core/errors.ts";
import { dropIsolateMetrics, isolateMetrics, SeriesTimestamps } from "../../core/edge/index.ts";
import { Counter, Registry } from "../../core/metrics/index.ts";
import { decodeWriteRequest } from "../../core/wire/decode.ts";
import { decompress } from "../../core/wire/snappy.ts";
import type { Series } from "../../core/wire/types.ts";

describe("SeriesTimestamps (unit)", () => {
  const series = (name: string, value: number, ts: number): Series => ({ labels: ["__name__", name], samples: [{ value, timestamp: ts }] });

  it("keeps newer timestamps, moves a changed value to last + 1, drops an unchanged one", () => {
    const p = new SeriesTimestamps();
    expect(p.apply([series("a", 1, 100)], 100)[0].samples![0].timestamp).toBe(100);
    expect(p.apply([series("a", 2, 100)], 100)[0].samples![0].timestamp).toBe(101);
    expect(p.apply([series("a", 3, 50)], 50)[0].samples![0].timestamp).toBe(102); // clock went back
    expect(p.apply([series("a", 3, 102)], 102)).toEqual([]); // same value, no newer time: nothing to say
    expect(p.apply([series("a", 3, 200)], 200)[0].samples![0].timestamp).toBe(200);
    expect(p.apply([series("b", 7, 10)], 10)[0].samples![0].timestamp).toBe(10); // per series
    expect(p.stats()).toMatchObject({ kept: 3, moved: 2, unchanged: 1, deferred: 0, series: 2 });
  });

  it("NaN and -0 are compared by bits; stale markers always go out", () => {
    const p = new SeriesTimestamps();
    p.apply([series("n", NaN, 5)], 5);
    expect(p.apply([series("n", NaN, 5)], 5)).toEqual([]);
    p.apply([series("z", 0, 5)], 5);
    expect(p.apply([series("z", -0, 5)], 5)[0].samples![0].timestamp).toBe(6);
    const stale: Series = { labels: ["__name__", "z"], samples: [{ value: NaN, timestamp: 6, stale: true }] };
    expect(p.apply([stale], 6)[0].samples![0]).toMatchObject({ timestamp: 7, stale: true });
  });

  it("holds back samples that would run more than maxAheadMs ahead of the clock; forgets the least recent series past maxSeries", () => {
    const p = new SeriesTimestamps({ maxAheadMs: 2, maxSeries: 2 });
    for (let v = 0; v < 5; v++) p.apply([series("a", v, 1000)], 1000);
    expect(p.stats()).toMatchObject({ kept: 1, moved: 2, deferred: 2, maxLeadMs: 2 });
    p.apply([series("b", 1, 1000)], 1000);
    p.apply([series("c", 1, 1000)], 1000);
    expect(p.stats().series).toBe(2);
    expect(p.lastTimestamp(["__name__", "a"])).toBeUndefined();
    expect(p.lastTimestamp(["__name__", "c"])).toBe(1000);
  });

  it("restamps several samples of one series and native histograms", () => {
    const p = new SeriesTimestamps();
    const s: Series = {
      labels: ["__name__", "h"],
      samples: [
        { value: 1, timestamp: 10 },
        { value: 2, timestamp: 10 },
        { value: 3, timestamp: 11 },
      ],
    };
    expect(p.apply([s], 10)[0].samples!.map((x) => x.timestamp)).toEqual([10, 11, 12]);
    const h = { timestamp: 12, count: 1, sum: 1, schema: 0, zeroThreshold: 0, zeroCount: 0 };
    expect(p.apply([{ labels: ["__name__", "h"], histograms: [h] }], 12)[0].histograms![0].timestamp).toBe(13);
  });
});

/** A fetch that decodes every remote-write body it forwards and records what the receiver said. */
function capturingFetch(): { fetch: FetchLike; byKey: Map<string, number[]>; statuses: number[]; errors: string[]; requests: number } {
  const byKey = new Map<string, number[]>();
  const statuses: number[] = [];
  const errors: string[] = [];
  const out = {
    byKey,
    statuses,
    errors,
    requests: 0,
    fetch: (async (input, init) => {
      const body = init.body as Uint8Array;
      const decoded = decodeWriteRequest(decompress(body));
      for (const s of decoded.series) {
        const key = s.labels.join(",");
        let list = byKey.get(key);
        if (list === undefined) byKey.set(key, (list = []));
        for (const x of s.samples ?? []) list.push(x.timestamp);
      }
      out.requests++;
      const res = await fetch(input, init);
      statuses.push(res.status);
      if (!res.ok) errors.push(`${res.status} ${await res.clone().text()}`);
      return res;
    }) as FetchLike,
  };
  return out;
}

function strictlyIncreasing(list: readonly number[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i] <= list[i - 1]) return false;
  return true;
}

describe("frozen clock → real Prometheus 2.42", () => {
  let prom: Prometheus;
  beforeAll(async () => {
    prom = await startPrometheus();
  });
  afterAll(async () => {
    await prom?.stop();
    dropIsolateMetrics("frozen");
  });

  it("10,000 invocations, each flushing the isolate registry with its own writer: timestamps strictly increase, no out-of-order answer", async () => {
    const T = Date.now();
    const clock = { now: () => T, monotonic: () => performance.now() };
    const iso = isolateMetrics({ name: "frozen", clock, isolateLabel: false });
    const cap = capturingFetch();
    const errors: PromwireError[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      // One invocation: update metrics, flush (forced: the frozen clock never lets an interval pass).
      iso.counter({ name: "frozen_requests_total", help: "Requests." }).inc();
      iso.gauge({ name: "frozen_constant", help: "Never changes." }).set(42);
      const report = await iso.flush({
        force: true,
        writer: (o) => remoteWrite({ ...o, url: `${prom.url}/api/v1/write`, now: clock.now, fetch: cap.fetch, onError: (e) => errors.push(e) }),
      });
      expect(report?.failed).toBe(0);
    }
    const ms = performance.now() - t0;
    expect(errors.map((e) => e.message)).toEqual([]);
    expect(cap.errors).toEqual([]);
    expect(cap.statuses.every((s) => s === 204)).toBe(true);
    const counterKey = [...cap.byKey.keys()].find((k) => k.includes("frozen_requests_total"))!;
    const stamps = cap.byKey.get(counterKey)!;
    expect(stamps).toHaveLength(10_000);
    expect(strictlyIncreasing(stamps)).toBe(true);
    expect(stamps[0]).toBe(T);
    expect(stamps[9_999]).toBe(T + 9_999);
    for (const [, list] of cap.byKey) expect(strictlyIncreasing(list)).toBe(true);
    const st = iso.timestamps.stats();
    // The constant gauge and the two (zero) cardinality-overflow counters went out once each;
    // their 9,999 repeats had nothing new to say.
    expect(st.unchanged).toBe(3 * 9_999);
    expect(st.moved).toBe(9_999);
    console.log(
      `frozen clock: 10,000 invocations → ${cap.requests} requests in ${(ms / 1000).toFixed(1)} s, all 204; ` +
        `timestamps kept ${st.kept}, moved ${st.moved}, unchanged ${st.unchanged}, max lead ${st.maxLeadMs} ms`,
    );

    const at = T + 20_000;
    const [count] = await prom.query("count_over_time(frozen_requests_total[1h])", at);
    expect(Number(count.value![1])).toBe(10_000);
    const [resets] = await prom.query("resets(frozen_requests_total[1h])", at);
    expect(Number(resets.value![1])).toBe(0);
    const [last] = await prom.query("frozen_requests_total", at);
    expect(Number(last.value![1])).toBe(10_000);
    const [g] = await prom.query("count_over_time(frozen_constant[1h])", at);
    expect(Number(g.value![1])).toBe(1);
  }, 180_000);

  it("one long-lived writer with the `timestamps` option: 10,000 collects at a frozen clock arrive in order", async () => {
    const T = Date.now();
    const registry = new Registry();
    const c = new Counter({ name: "frozen_single_total", help: "c", registry });
    const cap = capturingFetch();
    const errors: PromwireError[] = [];
    const rw = remoteWrite({
      url: `${prom.url}/api/v1/write`,
      now: () => T,
      timestamps: new SeriesTimestamps(),
      fetch: cap.fetch,
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 10_000; i++) {
      c.inc();
      rw.collect(registry);
    }
    const stats = await rw.close();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ sent: 10_000, failed: 0 });
    const stamps = [...cap.byKey.values()][0];
    expect(stamps).toHaveLength(10_000);
    expect(strictlyIncreasing(stamps)).toBe(true);
    const [resets] = await prom.query("resets(frozen_single_total[1h])", T + 20_000);
    expect(Number(resets.value![1])).toBe(0);
    const [count] = await prom.query("count_over_time(frozen_single_total[1h])", T + 20_000);
    expect(Number(count.value![1])).toBe(10_000);
  }, 60_000);

  it("without the policy, the same frozen clock makes Prometheus refuse the requests (what the policy prevents)", async () => {
    const T = Date.now();
    const registry = new Registry();
    const c = new Counter({ name: "frozen_naive_total", help: "c", registry });
    const cap = capturingFetch();
    const errors: PromwireError[] = [];
    for (let i = 0; i < 3; i++) {
      c.inc();
      const rw = remoteWrite({ url: `${prom.url}/api/v1/write`, now: () => T, fetch: cap.fetch, onError: (e) => errors.push(e) });
      rw.collect(registry);
      await rw.close();
    }
    expect(cap.statuses).toEqual([204, 400, 400]);
    expect(cap.errors[0]).toMatch(/duplicate sample for timestamp/);
    expect(errors).toHaveLength(2);
  });
});
