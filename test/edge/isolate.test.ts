// The isolate-wide registry: one per isolate (even with promwire loaded twice), cumulative
// counters, last-write-wins gauges, one flush at a time, a deadline that reports what it could
// not send.
import { afterEach, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import type { RemoteWriter } from "../../core/client/remote-write/remote-writer.ts";
import type { FetchLike } from "../../core/client/http/types.ts";
import { MetricError } from "../../core/errors.ts";
import { closeWithin, dropIsolateMetrics, isolateMetrics } from "../../core/edge/index.ts";
import * as edge from "../../core/edge/isolate-metrics.ts";
import * as state from "../../core/edge/isolate.ts";
import { ISOLATE_STORE_KEY } from "../../core/edge/isolate.ts";
import { decodeWriteRequest } from "../../core/wire/decode.ts";
import { decompress } from "../../core/wire/snappy.ts";

const NAMES = ["t-anchor", "t-copy", "t-values", "t-flush", "t-deadline", "t-lost", "t-error", "t-label"];
afterEach(() => {
  for (const n of NAMES) dropIsolateMetrics(n);
});

/** A fetch that answers 204 after `delayMs` and keeps the decoded bodies. */
function okFetch(delayMs = 0): { fetch: FetchLike; bodies: ReturnType<typeof decodeWriteRequest>[] } {
  const bodies: ReturnType<typeof decodeWriteRequest>[] = [];
  return {
    bodies,
    fetch: async (_url, init) => {
      bodies.push(decodeWriteRequest(decompress(init.body as Uint8Array)));
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return new Response(null, { status: 204 });
    },
  };
}

function valueOf(bodies: ReturnType<typeof decodeWriteRequest>[], name: string): number[] {
  const out: number[] = [];
  for (const b of bodies) for (const s of b.series) if (s.labels[1] === name) for (const x of s.samples ?? []) out.push(x.value);
  return out;
}

describe("isolateMetrics", () => {
  it("is anchored on globalThis under Symbol.for, not enumerable", () => {
    const a = isolateMetrics({ name: "t-anchor" });
    expect(isolateMetrics({ name: "t-anchor" })).toBe(a);
    const store = (globalThis as unknown as Record<symbol, Map<string, unknown>>)[Symbol.for("promwire.isolate-metrics.v1")];
    expect(ISOLATE_STORE_KEY).toBe(Symbol.for("promwire.isolate-metrics.v1"));
    expect((store.get("t-anchor") as { registry: unknown }).registry).toBe(a.registry);
    expect(Object.keys(globalThis)).not.toContain(String(ISOLATE_STORE_KEY));
  });

  it("a second copy of the module (as a bundler may load it) gets the same registry and metrics", async () => {
    const statePath = "../../core/edge/isolate.ts?second-copy";
    const stateCopy = (await import(/* @vite-ignore */ statePath)) as typeof state;
    expect(stateCopy.isolateState).not.toBe(state.isolateState); // really another module instance
    expect(stateCopy.isolateState({ name: "t-copy" })).toBe(state.isolateState({ name: "t-copy" }));
    const path = "../../core/edge/isolate-metrics.ts?second-copy";
    const copy = (await import(/* @vite-ignore */ path)) as typeof edge;
    expect(copy.isolateMetrics).not.toBe(edge.isolateMetrics);
    const a = edge.isolateMetrics({ name: "t-copy" });
    const b = copy.isolateMetrics({ name: "t-copy" });
    expect(b).toBe(a);
    const c1 = a.counter({ name: "copy_requests_total", help: "r" });
    const c2 = b.counter({ name: "copy_requests_total", help: "r" });
    expect(c2).toBe(c1);
    c1.inc();
    c2.inc();
    expect(a.registry.collect().find((f) => f.name === "copy_requests_total")!.samples[0].value).toBe(2);
  });

  it("counters stay cumulative and gauges keep the last write across invocations; get-or-create checks type and labels", () => {
    const iso = isolateMetrics({ name: "t-values", isolateLabel: false });
    for (let invocation = 0; invocation < 100; invocation++) {
      // What a handler does on each invocation: look its metrics up (created once), update them.
      iso.counter({ name: "inv_total", help: "Invocations.", labelNames: ["route"] as const }).labels({ route: "/a" }).inc();
      iso.gauge({ name: "inv_last", help: "Last invocation." }).set(invocation);
      iso.histogram({ name: "inv_seconds", help: "h", buckets: [1] }).observe(0.5);
    }
    const fams = iso.registry.collect();
    expect(fams.find((f) => f.name === "inv_total")!.samples[0].value).toBe(100);
    expect(fams.find((f) => f.name === "inv_last")!.samples[0].value).toBe(99);
    expect(fams.find((f) => f.name === "inv_seconds")!.samples.find((s) => s.name === "inv_seconds_count")!.value).toBe(100);
    expect(() => iso.gauge({ name: "inv_total", help: "x" })).toThrow(MetricError);
    expect(() => iso.counter({ name: "inv_total", help: "x", labelNames: ["other"] as const })).toThrow(MetricError);
    expect(iso.registry.maxSeriesPerMetric).toBe(1_000);
  });

  it("adds the isolate label (a random id made lazily) on the first snapshot", () => {
    const iso = isolateMetrics({ name: "t-label", defaultLabels: { service: "s" } });
    iso.counter({ name: "lbl_total", help: "c" }).inc();
    const s = iso.registry.collect().find((f) => f.name === "lbl_total")!.samples[0];
    expect(iso.id).toMatch(/^[0-9a-f]{16}$/);
    expect(s.labels).toEqual(["isolate", iso.id, "service", "s"]);
  });

  it("flushes at most once per interval, never two at once; each flush sends the cumulative values", async () => {
    let now = 1_000_000;
    const clock = { now: () => now, monotonic: () => performance.now() };
    const iso = isolateMetrics({ name: "t-flush", clock, isolateLabel: false });
    const f = okFetch(30);
    const writers: RemoteWriter[] = [];
    const opts = {
      intervalMs: 1_000,
      writer: (o: object) => {
        const w = remoteWrite({ ...o, url: "http://receiver.invalid/api/v1/write", fetch: f.fetch, now: clock.now });
        writers.push(w);
        return w;
      },
    };
    const c = iso.counter({ name: "fl_total", help: "c" });
    c.inc();
    const first = iso.flush(opts);
    expect(first).toBeDefined();
    c.inc();
    now += 5_000;
    expect(iso.flush(opts)).toBeUndefined(); // busy: the first is still sending
    const r1 = await first!;
    // fl_total and the (zero) cardinality-overflow counter.
    expect(r1).toMatchObject({ enqueued: 2, sent: 2, failed: 0, abandoned: 0, timedOut: false });
    expect(iso.flush(opts)).toBeDefined(); // interval passed, none running
    await iso.flush({ ...opts, force: true }); // busy → undefined; awaiting undefined is fine
    while (iso.stats().flushing) await new Promise((r) => setTimeout(r, 10));
    now += 100;
    expect(iso.flush(opts)).toBeUndefined(); // not due
    c.inc();
    now += 2_000;
    await iso.flush(opts);
    expect(valueOf(f.bodies, "fl_total")).toEqual([1, 2, 3]);
    expect(iso.stats()).toMatchObject({ flushes: 3, busy: 2, notDue: 1, lost: 0, flushing: false });
    expect(writers.every((w) => w.closed)).toBe(true);
    expect(writers).toHaveLength(3);
  });

  it("a flush past its deadline reports the samples it could not send; the values go out with the next flush", async () => {
    const iso = isolateMetrics({ name: "t-deadline", isolateLabel: false });
    const c = iso.counter({ name: "dl_total", help: "c", labelNames: ["k"] as const });
    for (let i = 0; i < 10; i++) c.labels({ k: String(i) }).inc();
    // A receiver that never answers (the attempt is aborted by the deadline).
    const hang: FetchLike = (_u, init) =>
      new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(new Error("aborted"))));
    const t0 = performance.now();
    const report = await iso.flush({ force: true, deadlineMs: 300, writer: (o) => remoteWrite({ ...o, url: "http://receiver.invalid/w", fetch: hang, onError: () => {} }) });
    const ms = performance.now() - t0;
    // 10 series + 1 overflow counter.
    expect(report).toMatchObject({ enqueued: 11, sent: 0, abandoned: 11, failed: 11, timedOut: true });
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(2_000);
    expect(iso.stats().abandoned).toBe(11);
    const f = okFetch();
    c.labels({ k: "0" }).inc();
    const next = await iso.flush({ force: true, writer: (o) => remoteWrite({ ...o, url: "http://receiver.invalid/w", fetch: f.fetch }) });
    expect(next).toMatchObject({ sent: 11, failed: 0 });
    expect(valueOf(f.bodies, "dl_total").sort()).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
  });

  it("closeWithin on its own: delivered writer → nothing abandoned", async () => {
    const f = okFetch();
    const rw = remoteWrite({ url: "http://receiver.invalid/w", fetch: f.fetch });
    rw.write([{ labels: ["__name__", "x"], samples: [{ value: 1, timestamp: 1 }] }]);
    expect(await closeWithin(rw, { deadlineMs: 1_000 })).toMatchObject({ sent: 1, failed: 0, abandoned: 0, timedOut: false });
  });

  it("a flush that never settles (its request was cancelled) is declared lost after twice its deadline", async () => {
    let now = 0;
    const clock = { now: () => now, monotonic: () => now };
    const iso = isolateMetrics({ name: "t-lost", clock, isolateLabel: false });
    iso.counter({ name: "lost_total", help: "c" }).inc();
    const stuck = {
      protocol: "v1",
      write: () => {},
      stats: () => ({ sent: 0, failed: 0, dropped: 0, pending: 0, requests: 0, retries: 0, retried: 0, abandoned: 0, spooled: 0, resent: 0, evicted: 0 }),
      close: () => new Promise(() => {}),
    } as unknown as RemoteWriter;
    expect(iso.flush({ force: true, deadlineMs: 1_000, writer: () => stuck })).toBeDefined();
    now = 1_500;
    expect(iso.flush({ force: true, deadlineMs: 1_000, writer: () => stuck })).toBeUndefined();
    now = 2_500;
    const f = okFetch();
    const r = await iso.flush({ force: true, writer: (o) => remoteWrite({ ...o, url: "http://receiver.invalid/w", fetch: f.fetch, now: clock.now }) });
    expect(r).toMatchObject({ sent: 2, failed: 0 });
    expect(iso.stats()).toMatchObject({ lost: 1, busy: 1 });
  });

  it("a writer factory that throws gives a report with the error, never a rejection", async () => {
    const iso = isolateMetrics({ name: "t-error" });
    const r = await iso.flush({
      force: true,
      writer: () => {
        throw new Error("no url");
      },
    });
    expect(r).toMatchObject({ sent: 0, enqueued: 0 });
    expect((r!.error as Error).message).toBe("no url");
    expect(iso.stats().flushing).toBe(false);
  });
});
