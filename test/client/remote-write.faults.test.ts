import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterEach, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { startFaultServer, type FaultServer } from "../support/fault-server.ts";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import { HttpError, RejectedError, TimeoutError, type PromwireError } from "../../core/errors.ts";
import { FAST_RETRY, T0, acceptedSamples, expectedSamples, makeSeries, sleep } from "./helpers.ts";

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("remote write under faults", () => {
  it("500 → the same payload is sent again, with growing gaps, until accepted", async () => {
    server = await startFaultServer((r) => (r.index < 3 ? { status: 500, body: "boom" } : { status: 204 }));
    const errors: PromwireError[] = [];
    const delays: number[] = [];
    const rw = remoteWrite({
      url: server.url,
      retry: { minBackoffMs: 40, maxBackoffMs: 1_000, maxAttempts: 10 },
      random: () => 0.999,
      onError: (e) => errors.push(e),
      onRetry: (n) => delays.push(n.delayMs),
    });
    const series = makeSeries(10, T0);
    rw.write(series);
    const stats = await rw.flush();
    const reqs = server.requests;
    expect(reqs).toHaveLength(4);
    for (const r of reqs) {
      expect(r.problem).toBeUndefined();
      expect(r.body.equals(reqs[0].body)).toBe(true);
    }
    // Ceilings 40, 80, 160 ms (doubling), jitter pinned near the top: the schedule chose these,
    // and no retry left before its delay had passed (a timer never fires early; a loaded machine
    // only makes gaps longer, so only the lower bound is checked).
    expect(delays).toEqual([39, 79, 159]);
    const gaps = [1, 2, 3].map((i) => reqs[i].at - reqs[i - 1].at);
    for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(delays[i] - 2);
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ sent: 10, failed: 0, retried: 30, retries: 3, requests: 1 });
    expect(acceptedSamples(server)).toEqual(expectedSamples(series));
    await rw.close();
  });

  it("400 → exactly one attempt, failure reported with status and the first 1 KiB of the body", async () => {
    const body = `out of order sample ${"x".repeat(5_000)}`;
    server = await startFaultServer(() => ({ status: 400, body }));
    const errors: { e: PromwireError; samples: number; attempts: number }[] = [];
    const rw = remoteWrite({ url: server.url, retry: FAST_RETRY, onError: (e, i) => errors.push({ e, ...i }) });
    rw.write(makeSeries(7, T0));
    const stats = await rw.flush();
    await sleep(100);
    expect(server.requests).toHaveLength(1);
    expect(stats).toMatchObject({ sent: 0, failed: 7, retries: 0 });
    expect(errors).toHaveLength(1);
    const err = errors[0].e as RejectedError;
    expect(err).toBeInstanceOf(RejectedError);
    expect(err.reason).toBe("status");
    expect(errors[0]).toMatchObject({ samples: 7, attempts: 1 });
    const http = err.lastError as HttpError;
    expect(http).toBeInstanceOf(HttpError);
    expect(http.status).toBe(400);
    expect(http.body).toBe(body.slice(0, 1024));
    expect(err.message).toContain("HTTP 400");
    await rw.close();
  });

  it("429 with Retry-After: 1 → the next attempt waits at least 1 s", async () => {
    server = await startFaultServer((r) => (r.index === 0 ? { status: 429, headers: { "retry-after": "1" } } : { status: 204 }));
    const rw = remoteWrite({ url: server.url, retry: FAST_RETRY });
    rw.write(makeSeries(3, T0));
    const stats = await rw.flush();
    const [a, b] = server.requests;
    expect(server.requests).toHaveLength(2);
    expect(b.at - a.at).toBeGreaterThanOrEqual(1_000);
    expect(b.body.equals(a.body)).toBe(true);
    expect(stats).toMatchObject({ sent: 3, failed: 0, retries: 1 });
    await rw.close();
  });

  it("429 is final when retryOn429 is false", async () => {
    server = await startFaultServer(() => ({ status: 429 }));
    const rw = remoteWrite({ url: server.url, retry: { ...FAST_RETRY, retryOn429: false }, onError: () => {} });
    rw.write(makeSeries(3, T0));
    expect(await rw.flush()).toMatchObject({ failed: 3 });
    expect(server.requests).toHaveLength(1);
    await rw.close();
  });

  it("a hung server → the attempt is aborted at the timeout and retried", async () => {
    server = await startFaultServer((r) => (r.index === 0 ? { hang: true } : { status: 204 }));
    // When the client started each attempt and when its signal aborted it (the client's own clock).
    const attempts: { start: number; aborted?: number }[] = [];
    const fetchTimed = (input: string, init: RequestInit): Promise<Response> => {
      const a: { start: number; aborted?: number } = { start: performance.now() };
      attempts.push(a);
      init.signal?.addEventListener("abort", () => (a.aborted = performance.now()));
      return fetch(input, init);
    };
    const retried: string[] = [];
    const rw = remoteWrite({ url: server.url, timeoutMs: 300, retry: { ...FAST_RETRY, minBackoffMs: 1, maxBackoffMs: 1 }, fetch: fetchTimed, onRetry: (n) => retried.push(n.error._tag) });
    const series = makeSeries(5, T0);
    rw.write(series);
    const stats = await rw.flush();
    const [a, b] = server.requests;
    expect(server.requests).toHaveLength(2);
    expect(retried).toEqual(["TimeoutError"]);
    // Aborted at the timeout, not before (a timer never fires early), and then retried.
    expect(attempts).toHaveLength(2);
    expect(attempts[0].aborted).toBeDefined();
    expect(attempts[0].aborted! - attempts[0].start).toBeGreaterThanOrEqual(299);
    expect(attempts[1].start).toBeGreaterThanOrEqual(attempts[0].aborted!);
    // The abort closed the connection on the server side.
    expect(a.closedAt).toBeDefined();
    expect(b.body.equals(a.body)).toBe(true);
    expect(stats).toMatchObject({ sent: 5, failed: 0, retries: 1 });
    expect(acceptedSamples(server)).toEqual(expectedSamples(series));
    await rw.close();
  });

  it("a hung server with no retries left → TimeoutError reported", async () => {
    server = await startFaultServer(() => ({ hang: true }));
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: server.url, timeoutMs: 100, retry: { ...FAST_RETRY, maxAttempts: 2 }, onError: (e) => errors.push(e) });
    rw.write(makeSeries(2, T0));
    expect(await rw.flush()).toMatchObject({ failed: 2, sent: 0 });
    expect(server.requests).toHaveLength(2);
    expect((errors[0] as RejectedError).reason).toBe("retry-budget");
    expect((errors[0] as RejectedError).lastError).toBeInstanceOf(TimeoutError);
    await rw.close();
  });

  it("receiver down for 3 s then back → nothing lost, nothing duplicated", async () => {
    server = await startFaultServer();
    const errors: PromwireError[] = [];
    const rw = remoteWrite({
      url: server.url,
      flushDeadlineMs: 50,
      maxSamplesPerRequest: 40,
      retry: { minBackoffMs: 20, maxBackoffMs: 400, maxAttempts: 1_000, maxAgeMs: 20_000 },
      onError: (e) => errors.push(e),
    });
    const written = [];
    const srv = server;
    const outage = (async () => {
      await sleep(500);
      await srv.down(3_000);
    })();
    // 20 series, a sample every 50 ms for 4.5 s: before, during and after the outage.
    for (let tick = 0; tick < 90; tick++) {
      const batch = makeSeries(20, T0 + tick * 1000);
      written.push(...batch);
      rw.write(batch);
      await sleep(50);
    }
    await outage;
    const stats = await rw.close();
    expect(errors).toEqual([]);
    const got = acceptedSamples(server);
    expect(got.length).toBe(90 * 20);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual(expectedSamples(written).sort());
    // Per series, timestamps arrive in increasing order.
    const last = new Map<string, number>();
    for (const s of got) {
      const [labels, rest] = s.split("@");
      const ts = Number(rest.split("=")[0]);
      expect(ts).toBeGreaterThan(last.get(labels) ?? -Infinity);
      last.set(labels, ts);
    }
    expect(stats).toMatchObject({ sent: 1800, failed: 0, dropped: 0, pending: 0 });
    expect(stats.retries).toBeGreaterThan(0);
    for (const r of server.requests) expect(r.problem).toBeUndefined();
  }, 20_000);

  it("always failing endpoint and 1,000,000 samples → bounded pending, every dropped sample counted", async () => {
    server = await startFaultServer(() => ({ status: 503 }));
    let droppedReported = 0;
    let failedReported = 0;
    const cap = 10_000;
    const rw = remoteWrite({
      url: server.url,
      maxPendingSamples: cap,
      maxSamplesPerRequest: 1_000,
      flushDeadlineMs: 10,
      retry: { minBackoffMs: 1, maxBackoffMs: 2, maxAttempts: 2, maxAgeMs: 1_000 },
      onDrop: (n) => (droppedReported += n),
      onError: (_e, info) => (failedReported += info.samples),
    });
    const { heapBefore, heapPeak } = await (async () => {
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as () => void;
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      let heapPeak = heapBefore;
      let maxPending = 0;
      for (let call = 0; call < 1_000; call++) {
        rw.write(makeSeries(1_000, T0 + call));
        maxPending = Math.max(maxPending, rw.stats().pending);
        if (call % 100 === 99) {
          gc();
          heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
          await sleep(0);
        }
      }
      expect(maxPending).toBeLessThanOrEqual(cap);
      return { heapBefore, heapPeak };
    })();
    const stats = await rw.close();
    expect(stats.sent).toBe(0);
    expect(stats.pending).toBe(0);
    expect(stats.dropped).toBe(droppedReported);
    expect(stats.failed).toBe(failedReported);
    expect(stats.dropped + stats.failed).toBe(1_000_000);
    expect(stats.dropped).toBeGreaterThan(900_000);
    const growthMb = (heapPeak - heapBefore) / 2 ** 20;
    // Control, same run: what holding 100,000 of these series costs, times 10.
    const gc = runInNewContext("gc") as () => void;
    gc();
    const base = process.memoryUsage().heapUsed;
    const held = [];
    for (let call = 0; call < 100; call++) held.push(makeSeries(1_000, T0 + call));
    gc();
    const holdAllMb = ((process.memoryUsage().heapUsed - base) / 2 ** 20) * 10;
    expect(held).toHaveLength(100);
    console.log(
      `1M samples, always 503: dropped ${stats.dropped}, failed ${stats.failed}, requests ${server.requests.length}; ` +
        `retained heap growth (after GC, every 100k samples) ≤ ${growthMb.toFixed(1)} MiB vs ≈ ${holdAllMb.toFixed(0)} MiB to hold them all`,
    );
    expect(growthMb).toBeLessThan(holdAllMb / 4);
  }, 60_000);
});

describe("remote write: dead endpoints cannot hold a job", () => {
  it("the age budget counts from enqueue: behind a dead endpoint later batches give up after one attempt", async () => {
    server = await startFaultServer(() => ({ status: 503 }));
    const rw = remoteWrite({
      url: server.url,
      maxSamplesPerRequest: 10,
      flushDeadlineMs: 60_000,
      shards: 1, // one batch after the other: the later ones are those behind the first
      retry: { minBackoffMs: 50, maxBackoffMs: 50, maxAttempts: 1_000, maxAgeMs: 400 },
      random: () => 0.999,
      onError: () => {},
    });
    rw.write(makeSeries(50, T0)); // 5 batches
    const t = performance.now();
    const stats = await rw.close();
    const took = performance.now() - t;
    expect(stats).toMatchObject({ failed: 50, sent: 0 });
    // First batch: ~8 attempts over 400 ms; the other four are already too old to wait again.
    expect(took).toBeLessThan(1_500);
    expect(server.requests.length).toBeLessThan(20);
  });

  it("close({ timeoutMs }) aborts the attempt in flight and counts the rest as failed", async () => {
    server = await startFaultServer(() => ({ hang: true }));
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: server.url, maxSamplesPerRequest: 10, onError: (e) => errors.push(e) });
    rw.write(makeSeries(35, T0));
    const t = performance.now();
    const stats = await rw.close({ timeoutMs: 300 });
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(stats).toMatchObject({ sent: 0, failed: 35, pending: 0 });
    expect(errors).toHaveLength(1);
    expect((errors[0] as RejectedError).reason).toBe("closed");
    await sleep(50);
    expect(server.requests[0].closedAt).toBeDefined();
    expect(await rw.close()).toBe(stats);
  });
});
