// pg.pushEvery against a real Pushgateway 1.5.1, behind a proxy that holds every request (a slow
// gateway): never two requests in flight, each periodic request given up on below the interval,
// ticks skipped while a push (with its retries) is still going, and the final push — with the
// values as they are at stop() — in the gateway afterwards. Also: add vs push semantics, and
// close() making the final push before deleteOnClose.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pushgateway } from "../../core/client/pushgateway/client.ts";
import type { FetchLike } from "../../core/client/http/types.ts";
import { Gauge, Registry } from "../../core/metrics/index.ts";
import { startDelayProxy, type DelayProxy } from "../support/delay-proxy.ts";
import { startPushgateway, type Pushgateway, type PushgatewayGroup } from "../support/pushgateway.ts";

let gw: Pushgateway;
let proxy: DelayProxy;
beforeAll(async () => {
  gw = await startPushgateway();
});
afterAll(async () => {
  await gw?.stop();
});
beforeEach(async () => {
  await gw.wipe();
  await proxy?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A fetch that counts how many of its calls are unsettled at once. */
function countingFetch(): { fetch: FetchLike; max: () => number; calls: () => number } {
  let now = 0;
  let max = 0;
  let calls = 0;
  return {
    fetch: async (input, init) => {
      calls++;
      now++;
      max = Math.max(max, now);
      try {
        return await fetch(input, init);
      } finally {
        now--;
      }
    },
    max: () => max,
    calls: () => calls,
  };
}

/** The value of `name` in the group whose labels include `labels`, from `/api/v1/metrics`. */
function valueIn(groups: PushgatewayGroup[], labels: Record<string, string>, name: string): number | undefined {
  const g = groups.find((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  const family = g?.[name] as { metrics: { value?: string }[] } | undefined;
  const v = family?.metrics[0]?.value;
  return v === undefined ? undefined : Number(v);
}

function progressRegistry(): { registry: Registry; progress: Gauge } {
  const registry = new Registry();
  const progress = new Gauge({ name: "job_progress", help: "Work done so far.", registry });
  return { registry, progress };
}

describe("pushEvery against a slow Pushgateway (every request held 500 ms)", () => {
  it("200 ms interval: never two requests in flight, skipped ticks counted, the final value present after stop()", async () => {
    proxy = await startDelayProxy(gw.url, 500);
    const counting = countingFetch();
    const lines: string[] = [];
    const pg = pushgateway({
      url: proxy.url,
      job: "every_slow",
      grouping: { instance: "t1" },
      // Retries make one push outlast the interval: the ticks meanwhile must be skipped.
      retry: { maxAttempts: 3, minBackoffMs: 100, maxBackoffMs: 100 },
      fetch: counting.fetch,
      log: (l) => lines.push(l),
    });
    const { registry, progress } = progressRegistry();
    const handle = pg.pushEvery(registry, 200);
    for (let i = 1; i <= 25; i++) {
      progress.set(i);
      await sleep(100);
    }
    const during = handle.stats();
    progress.set(424_242);
    const t0 = performance.now();
    await handle.stop();
    const stopMs = performance.now() - t0;

    const s = handle.stats();
    console.log(
      `[pushEvery 200 ms, gateway 500 ms] ${proxy.exchanges.length} requests, runs ${s.runs}, skipped ${s.skipped}, failed ${s.failed}, max in flight: proxy ${proxy.maxConcurrent()}, client ${counting.max()}; stop() took ${stopMs.toFixed(0)} ms`,
    );
    expect(proxy.maxConcurrent()).toBe(1);
    expect(counting.max()).toBe(1);
    // Each push takes 3 attempts of 180 ms plus backoff: about two of every three ticks are skipped.
    expect(during.skipped).toBeGreaterThanOrEqual(4);
    expect(during.runs).toBeGreaterThanOrEqual(3);
    expect(during.runs + during.skipped).toBeGreaterThanOrEqual(11); // ~2.5 s of 200 ms ticks
    // Periodic attempts time out below the interval (90 %: 180 ms) and never reach the gateway…
    const periodic = proxy.exchanges.slice(0, -1);
    for (const x of periodic) {
      expect(x.forwarded).toBe(false);
      expect(x.end! - x.start).toBeLessThan(400);
    }
    // Every periodic push failed (the one in flight when `during` was read, and the one stop()
    // abandoned, aside).
    expect(during.failed).toBeGreaterThanOrEqual(during.runs - 1);
    expect(s.failed).toBeGreaterThanOrEqual(s.runs - 2);
    // One line for the whole failing streak, one when the final push ended it.
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^promwire: periodic push to http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/every_slow\/instance\/t1 failed: request to .* timed out after 180 ms/);
    expect(lines[1]).toMatch(/^promwire: periodic push to .*every_slow\/instance\/t1 succeeded again after \d+ failed runs$/);
    // …the final push has the client's full timeout: it waits out the 500 ms and lands.
    const last = proxy.exchanges[proxy.exchanges.length - 1];
    expect([last.method, last.forwarded, last.status]).toEqual(["PUT", true, 200]);
    expect(stopMs).toBeGreaterThanOrEqual(480);
    expect(valueIn(await gw.metrics(), { job: "every_slow", instance: "t1" }, "job_progress")).toBe(424_242);
  }, 30_000);

  it("pushes that answer within the interval land on every tick; a slow spell is logged once, and its end", async () => {
    proxy = await startDelayProxy(gw.url, 50);
    const counting = countingFetch();
    const lines: string[] = [];
    const pg = pushgateway({ url: proxy.url, job: "every_fast", grouping: { instance: "t2" }, fetch: counting.fetch, log: (l) => lines.push(l) });
    const { registry, progress } = progressRegistry();
    const seen: number[] = [];
    const handle = pg.pushEvery(registry, 200);
    for (let i = 1; i <= 10; i++) {
      progress.set(i);
      await sleep(100);
      if (i % 2 === 0) {
        const v = valueIn(await gw.metrics(), { job: "every_fast", instance: "t2" }, "job_progress");
        if (v !== undefined) seen.push(v);
      }
    }
    expect(handle.stats()).toMatchObject({ skipped: 0, failed: 0 });
    // The gateway followed the values as they changed.
    expect(new Set(seen).size).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));

    proxy.setDelay(500);
    await sleep(700);
    proxy.setDelay(50);
    await sleep(500);
    await handle.stop();
    expect(proxy.maxConcurrent()).toBe(1);
    expect(counting.max()).toBe(1);
    expect(handle.stats().failed).toBeGreaterThanOrEqual(2);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/periodic push to .*every_fast.* failed: request to .* timed out after 180 ms/);
    expect(lines[1]).toMatch(/^promwire: periodic push to .*every_fast\/instance\/t2 succeeded again after \d+ failed runs$/);
  }, 30_000);
});

describe("pushEvery semantics on a real gateway", () => {
  it("method add (POST) leaves the group's other metrics alone; push (PUT) replaces the group", async () => {
    const pg = pushgateway({ url: gw.url, job: "every_methods", grouping: { instance: "t3" } });
    const other = new Registry();
    new Gauge({ name: "kept_metric", help: "Pushed once.", registry: other }).set(7);
    await pg.add(other);
    const { registry, progress } = progressRegistry();
    progress.set(1);
    const adding = pg.pushEvery(registry, 100, { method: "add" });
    await sleep(250);
    progress.set(2);
    await adding.stop();
    let groups = await gw.metrics();
    expect(valueIn(groups, { job: "every_methods" }, "kept_metric")).toBe(7);
    expect(valueIn(groups, { job: "every_methods" }, "job_progress")).toBe(2);
    const putting = pg.pushEvery(registry, 100);
    progress.set(3);
    await putting.stop();
    groups = await gw.metrics();
    expect(valueIn(groups, { job: "every_methods" }, "kept_metric")).toBeUndefined();
    expect(valueIn(groups, { job: "every_methods" }, "job_progress")).toBe(3);
  });

  it("close(): the final push of every running handle, then deleteOnClose deletes the group; later pushEvery is refused", async () => {
    proxy = await startDelayProxy(gw.url, 0);
    const pg = pushgateway({ url: proxy.url, job: "every_close", grouping: { instance: "t4" }, deleteOnClose: true });
    const { registry, progress } = progressRegistry();
    progress.set(1);
    const handle = pg.pushEvery(registry, 60_000, { selfMetrics: true });
    await sleep(100);
    progress.set(99);
    await pg.close();
    expect(handle.stopped).toBe(true);
    expect(proxy.exchanges.map((x) => x.method)).toEqual(["PUT", "PUT", "DELETE"]);
    // The final body carried the value at close() and the handle's own counters.
    const finalBody = proxy.exchanges[1].body;
    expect(finalBody.length).toBeGreaterThan(0);
    expect(await gw.metricsWhenEmpty()).toEqual([]);
    expect(() => pg.pushEvery(registry, 1_000)).toThrow(/closed/);
  });

  it("selfMetrics: the gateway holds promwire_periodic_* beside the source's metrics", async () => {
    const pg = pushgateway({ url: gw.url, job: "every_self", grouping: { instance: "t5" } });
    const { registry, progress } = progressRegistry();
    progress.set(5);
    const handle = pg.pushEvery(registry, 100, { selfMetrics: true });
    await sleep(350);
    await handle.stop();
    const groups = await gw.metrics();
    expect(valueIn(groups, { job: "every_self" }, "job_progress")).toBe(5);
    const runs = valueIn(groups, { job: "every_self" }, "promwire_periodic_runs_total");
    // The final push carries the count as it was when it started (itself included).
    expect(runs).toBe(handle.stats().runs);
    expect(valueIn(groups, { job: "every_self" }, "promwire_periodic_skipped_total")).toBe(0);
  });

  it("an interval below 10 ms or a bad method is refused before anything is sent", () => {
    const pg = pushgateway({ url: gw.url, job: "every_bad", grouping: { instance: "t6" } });
    const { registry } = progressRegistry();
    expect(() => pg.pushEvery(registry, 5)).toThrow(/interval must be/);
    expect(() => pg.pushEvery(registry, 100, { method: "delete" as "push" })).toThrow(/method must be "push" or "add"/);
  });
});
