// Shards against a real VictoriaMetrics, behind a proxy that answers 503 to 30 % of requests
// (without forwarding them) and forwards the rest: every series' samples reach the receiver in
// timestamp order — across shards and across retries — and the read-back through
// /api/v1/export holds every sample exactly once.
import "../support/snappy-node.ts";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import { decodeWriteRequest } from "../../core/wire/decode.ts";
import { decompress } from "../../core/wire/snappy.ts";
import type { Series } from "../../core/wire/types.ts";
import { startVictoriaMetrics, type VictoriaMetrics } from "../support/victoria-metrics.ts";

let vm: VictoriaMetrics;
beforeAll(async () => {
  vm = await startVictoriaMetrics();
}, 60_000);
afterAll(async () => {
  await vm?.stop();
});

describe("shards → VictoriaMetrics 1.79 through a proxy answering 503 to 30 % of requests", () => {
  it("each series arrives in timestamp order across shards and retries; the read-back holds every sample once", async () => {
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const last = new Map<string, number>();
    let outOfOrder = 0;
    let refused = 0;
    let forwarded = 0;
    let open = 0;
    let maxOpen = 0;
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        if (random() < 0.3) {
          refused++;
          return void setTimeout(() => res.writeHead(503).end("try again"), 5);
        }
        // What goes on to the receiver, in the order it goes: each series' timestamps must grow.
        for (const s of decodeWriteRequest(decompress(new Uint8Array(body)), { version: "v1" }).series) {
          const key = s.labels.join(",");
          let prev = last.get(key) ?? -Infinity;
          for (const x of s.samples ?? []) {
            if (x.timestamp <= prev) outOfOrder++;
            prev = x.timestamp;
          }
          last.set(key, prev);
        }
        open++;
        maxOpen = Math.max(maxOpen, open);
        const up = request(`${vm.url}/api/v1/write`, { method: "POST", headers: req.headers }, (r) => {
          r.resume();
          r.on("end", () => {
            open--;
            forwarded++;
            res.writeHead(r.statusCode ?? 502).end();
          });
        });
        up.on("error", (e) => (open--, res.writeHead(502).end(String(e))));
        up.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`;
      const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
      const rw = remoteWrite({ url, maxPendingSamples: 200_000, maxSamplesPerRequest: 500, retry: { minBackoffMs: 5, maxBackoffMs: 50, maxAttempts: 60, maxAgeMs: 120_000 } });
      const written: Series[] = [];
      // Three writes of the same 200 series (1 to 600 samples each), each later than the last.
      for (let round = 0; round < 3; round++) {
        const batch: Series[] = Array.from({ length: 200 }, (_, i) => {
          const n = 1 + ((i * 37) % 200);
          return {
            labels: ["__name__", "shards_vm_value", "series", String(i).padStart(3, "0")],
            samples: Array.from({ length: n }, (_, j) => ({ value: round * 1000 + j, timestamp: t0 + round * 600_000 + j * 1000 })),
          };
        });
        written.push(...batch);
        rw.write(batch);
      }
      const stats = await rw.close();
      const total = written.reduce((n, s) => n + s.samples!.length, 0);
      expect(stats).toMatchObject({ sent: total, failed: 0, dropped: 0 });
      expect(refused).toBeGreaterThan(0.2 * (refused + forwarded));
      expect(stats.retries).toBe(refused);
      expect(maxOpen).toBeGreaterThan(1);
      expect(outOfOrder).toBe(0);

      const rows = await vm.exportRaw('{__name__="shards_vm_value"}');
      const got = new Map(rows.map((r) => [r.metric.series, r.timestamps.map((t, i) => [t, r.values[i]])]));
      const want = new Map<string, number[][]>();
      for (const s of written) want.set(s.labels[3], [...(want.get(s.labels[3]) ?? []), ...s.samples!.map((x) => [x.timestamp, x.value])]);
      expect(got.size).toBe(200);
      expect(got).toEqual(want);
      console.log(`[e2e shards] ${total} samples in ${forwarded} accepted requests, ${refused} answered 503 and retried, up to ${maxOpen} at once; read back complete`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 120_000);
});
