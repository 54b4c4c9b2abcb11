// Shards: several requests in flight when more than one request's worth waits, never two holding
// the same series, so each series arrives in timestamp order — also across retries.
import { afterEach, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { startFaultServer, type FaultServer } from "../support/fault-server.ts";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import type { Series } from "../../core/wire/types.ts";
import { T0, acceptedSamples, expectedSamples, makeSeries, perSeries } from "./helpers.ts";

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** `n` series with `k` samples each, 1 s apart from `t`. */
function longSeries(n: number, k: number, t: number): Series[] {
  return Array.from({ length: n }, (_, i) => ({
    labels: ["__name__", "sharded", "i", String(i)],
    samples: Array.from({ length: k }, (_, j) => ({ value: j, timestamp: t + j * 1000 })),
  }));
}

describe("shards", () => {
  it("a small write is one request; a backlog goes out up to `shards` at a time", async () => {
    server = await startFaultServer(() => ({ status: 204, delayMs: 250 }));
    const rw = remoteWrite({ url: server.url, shards: 4, maxSamplesPerRequest: 100 });
    rw.write(makeSeries(60, T0));
    await rw.flush();
    expect(server.requests).toHaveLength(1);
    rw.write(longSeries(20, 50, T0)); // 1,000 samples: 10 requests
    await rw.flush();
    expect(server.requests).toHaveLength(11);
    expect(server.maxConcurrent()).toBe(4);
    expect(rw.metrics.collect().find((f) => f.name === "promwire_shards_max")?.samples[0].value).toBe(4);
    await rw.close();
  });

  it("30 % of requests answered 503: every sample arrives once, each series in timestamp order, across shards and retries", async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    server = await startFaultServer(() => ({ status: random() < 0.3 ? 503 : 204, delayMs: 5 }));
    const rw = remoteWrite({ url: server.url, maxSamplesPerRequest: 500, retry: { minBackoffMs: 1, maxBackoffMs: 20, maxAttempts: 50 } });
    const written: Series[] = [];
    for (let round = 0; round < 4; round++) {
      // Each round: long series (several requests each) and many short ones.
      const batch = [...longSeries(30, 200, T0 + round * 200_000), ...makeSeries(700, T0 + round * 1000)];
      written.push(...batch);
      rw.write(batch);
    }
    const stats = await rw.close();
    const got = acceptedSamples(server);
    expect(stats).toMatchObject({ failed: 0, dropped: 0, sent: written.reduce((n, s) => n + s.samples!.length, 0) });
    expect(stats.retries).toBeGreaterThan(5);
    expect(got).toHaveLength(stats.sent);
    expect(perSeries(got)).toEqual(perSeries(expectedSamples(written)));
    expect(server.maxConcurrent()).toBeGreaterThan(1);
    expect(server.maxConcurrent()).toBeLessThanOrEqual(16);
    expect(server.requests.filter((r) => r.status === 503).length).toBeGreaterThan(0.2 * server.requests.length);
  });

  it("the pending bound covers what is in flight: queued + in flight never exceed maxPendingSamples", async () => {
    server = await startFaultServer(() => ({ hang: true }));
    let dropped = 0;
    const rw = remoteWrite({ url: server.url, shards: 4, maxSamplesPerRequest: 100, maxPendingSamples: 1_000, onDrop: (n) => (dropped += n), onError: () => {} });
    rw.write(longSeries(10, 100, T0)); // 1,000: four requests go in flight, 600 stay queued
    await new Promise((r) => setTimeout(r, 100));
    expect(rw.stats().pending).toBe(600);
    rw.write(longSeries(1, 100, T0 + 200_000));
    expect(dropped).toBe(100);
    expect(rw.stats().pending).toBe(600);
    await rw.close({ timeoutMs: 10 });
  });
});
