import { afterEach, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { startFaultServer, type FaultServer } from "../support/fault-server.ts";
import { remoteWrite } from "../../core/client/remote-write/writer.ts";
import { ClosedError, EncodeError, RedirectError, RejectedError, type PromwireError } from "../../core/errors.ts";
import { encodeWriteRequest } from "../../core/wire/encode.ts";
import type { Series } from "../../core/wire/types.ts";
import { FAST_RETRY, T0, acceptedSamples, expectedSamples, makeSeries, perSeries } from "./helpers.ts";

const servers: FaultServer[] = [];
async function server(...args: Parameters<typeof startFaultServer>): Promise<FaultServer> {
  const s = await startFaultServer(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("remote write: requests", () => {
  it("batches by maxSamplesPerRequest, headers exactly as specified, auth and custom headers arrive", async () => {
    const s = await server();
    const rw = remoteWrite({
      url: s.url,
      auth: { username: "APPID", password: "s3cret" },
      headers: { "X-Scope-OrgID": "tenant-1", "Content-Type": "text/plain", "User-Agent": "evil", "X-Prometheus-Remote-Write-Version": "9" },
      externalLabels: { zone: "eu" },
    });
    const series = makeSeries(5_000, T0);
    rw.write(series);
    const stats = await rw.flush();
    // Three requests, in flight together: they may arrive in any order.
    expect(s.requests.map((r) => r.decoded?.series.length).sort()).toEqual([1_000, 2_000, 2_000]);
    for (const r of s.requests) {
      expect(r.problem).toBeUndefined();
      expect(r.method).toBe("POST");
      expect(r.headers["content-encoding"]).toBe("snappy");
      expect(r.headers["content-type"]).toBe("application/x-protobuf");
      expect(r.headers["x-prometheus-remote-write-version"]).toBe("0.1.0");
      expect(r.headers["user-agent"]).toBe("promwire/0.1.0");
      expect(r.headers["x-scope-orgid"]).toBe("tenant-1");
      expect(r.headers.authorization).toBe(`Basic ${Buffer.from("APPID:s3cret").toString("base64")}`);
    }
    expect(acceptedSamples(s).sort()).toEqual(expectedSamples(series, ["zone", "eu"]).sort());
    expect(stats).toMatchObject({ sent: 5_000, requests: 3, failed: 0, dropped: 0, pending: 0 });
    await rw.close();
  });

  it("bearer, custom-header and signing auth; credentials in the URL become Basic auth", async () => {
    const s = await server();
    const cases = [
      { auth: { bearer: "tok" }, expect: (h: Record<string, unknown>) => expect(h.authorization).toBe("Bearer tok") },
      { auth: { header: "X-Api-Key", value: "k1" }, expect: (h: Record<string, unknown>) => expect(h["x-api-key"]).toBe("k1") },
      {
        auth: { sign: (r: { method: string; body: Uint8Array | undefined; headers: Record<string, string> }) => ({ "x-sig": `${r.method}:${r.body?.length}:${r.headers["content-type"]}`, "content-type": "nope" }) },
        expect: (h: Record<string, unknown>) => {
          expect(h["x-sig"]).toMatch(/^POST:\d+:application\/x-protobuf$/);
          expect(h["content-type"]).toBe("application/x-protobuf");
        },
      },
    ];
    for (const c of cases) {
      const rw = remoteWrite({ url: s.url, auth: c.auth });
      rw.write(makeSeries(1, T0));
      await rw.close();
      c.expect(s.requests.at(-1)!.headers);
    }
    const rw = remoteWrite({ url: s.url.replace("http://", "http://user:p%40ss@") });
    rw.write(makeSeries(1, T0));
    await rw.close();
    expect(s.requests.at(-1)!.headers.authorization).toBe(`Basic ${Buffer.from("user:p@ss").toString("base64")}`);
  });

  it("splits requests to stay under maxRequestBytes; a long series keeps its order across requests", async () => {
    const s = await server();
    const rw = remoteWrite({ url: s.url, maxRequestBytes: 4_096, maxSamplesPerRequest: 1_000 });
    const long: Series = {
      labels: ["__name__", "long_series", "job", "j"],
      samples: Array.from({ length: 2_500 }, (_, i) => ({ value: i, timestamp: T0 + i })),
    };
    const many = makeSeries(300, T0);
    rw.write([long, ...many]);
    await rw.flush();
    expect(s.requests.length).toBeGreaterThan(5);
    for (const r of s.requests) {
      expect(r.problem).toBeUndefined();
      // The server checked that re-encoding gives the body's exact bytes, so this is the body's size.
      const raw = encodeWriteRequest(r.decoded!.series, { metadata: r.decoded!.metadata });
      expect(raw.length).toBeLessThanOrEqual(4_096);
    }
    const got = acceptedSamples(s);
    expect(got).toHaveLength(2_800);
    // The long series' samples arrive in order, though its requests and the others' were in flight together.
    expect(perSeries(got)).toEqual(perSeries(expectedSamples([long, ...many])));
    await rw.close();
  });

  it("an unencodable series is reported once, never sent, and the rest of its batch is delivered", async () => {
    const s = await server();
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: s.url, retry: FAST_RETRY, onError: (e) => errors.push(e) });
    const bad: Series = { labels: ["__name__", "dup", "a", "1", "a", "2"], samples: [{ value: 1, timestamp: T0 }] };
    const good = makeSeries(3, T0);
    rw.write([good[0], bad, good[1], good[2]]);
    const stats = await rw.flush();
    expect(s.requests).toHaveLength(1);
    expect(acceptedSamples(s)).toEqual(expectedSamples(good));
    expect(errors).toHaveLength(1);
    const err = errors[0] as RejectedError;
    expect(err.reason).toBe("encode");
    expect(err.lastError).toBeInstanceOf(EncodeError);
    expect((err.lastError as EncodeError).rule).toBe("label-duplicate");
    expect(stats).toMatchObject({ sent: 3, failed: 1 });
    await rw.close();
  });

  it("flush() on an idle writer resolves at once; close() is idempotent and refuses new data", async () => {
    const s = await server();
    const rw = remoteWrite({ url: s.url });
    const t = performance.now();
    expect(await rw.flush()).toMatchObject({ sent: 0, pending: 0 });
    expect(performance.now() - t).toBeLessThan(20);
    rw.write(makeSeries(2, T0));
    await rw.flush();
    const t2 = performance.now();
    await rw.flush();
    expect(performance.now() - t2).toBeLessThan(20);
    const c1 = rw.close();
    const c2 = rw.close();
    expect(c2).toBe(c1);
    expect(await c1).toMatchObject({ sent: 2 });
    expect(await rw.close()).toMatchObject({ sent: 2 });
    expect(() => rw.write(makeSeries(1, T0))).toThrow(ClosedError);
    expect(s.requests).toHaveLength(1);
    const idle = remoteWrite({ url: s.url });
    await idle.close();
    await idle.close();
    expect(s.requests).toHaveLength(1);
  });

  it("external labels never override a series' own label", async () => {
    const s = await server();
    const rw = remoteWrite({ url: s.url, externalLabels: { job: "ext", zone: "eu", a: "1" } });
    rw.write([{ labels: ["__name__", "m", "job", "own"], samples: [{ value: 1, timestamp: T0 }] }]);
    await rw.close();
    expect(s.requests[0].decoded?.series[0].labels).toEqual(["__name__", "m", "a", "1", "job", "own", "zone", "eu"]);
  });

  it("sends a partial batch after the flush deadline without flush()", async () => {
    const s = await server();
    const rw = remoteWrite({ url: s.url, flushDeadlineMs: 100 });
    rw.write(makeSeries(3, T0));
    await new Promise((r) => setTimeout(r, 50));
    expect(s.requests).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.requests).toHaveLength(1);
    await rw.close();
  });

  it("close({ markStale: true }) ends every delivered series with a stale marker", async () => {
    const s = await server();
    let now = T0 + 10;
    const rw = remoteWrite({ url: s.url, now: () => now, externalLabels: { instance: "a" } });
    rw.write(makeSeries(2, T0));
    rw.write(makeSeries(2, T0 + 20));
    await rw.flush();
    now = T0 + 5;
    await rw.close({ markStale: true });
    const last = s.requests.at(-1)!;
    expect(last.decoded?.series.map((x) => [x.labels.join(","), x.samples?.[0].timestamp, x.samples?.[0].stale])).toEqual([
      ["__name__,test_metric,i,0,instance,a", T0 + 21, true],
      ["__name__,test_metric,i,1,instance,a", T0 + 21, true],
    ]);
  });

  it("trackSeries: false keeps no record of delivered series: close({ markStale }) then has nothing to mark", async () => {
    const s = await server();
    const rw = remoteWrite({ url: s.url, trackSeries: false });
    rw.write(makeSeries(3, T0));
    await rw.close({ markStale: true });
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0].decoded?.series.every((x) => x.samples?.every((p) => !p.stale))).toBe(true);
  });

  it("onRetry hears of every failed attempt that will be retried: attempt, cause, wait (Retry-After), samples; never of the last", async () => {
    const s = await server((r) => (r.index === 0 ? { status: 503, body: "busy" } : r.index === 1 ? { status: 429, headers: { "retry-after": "0" } } : r.index < 5 ? { status: 500 } : { status: 204 }));
    const retries: { attempt: number; status: number; delayMs: number; samples: number }[] = [];
    const errors: PromwireError[] = [];
    const rw = remoteWrite({
      url: s.url,
      retry: { ...FAST_RETRY, maxAttempts: 4 },
      random: () => 0.5,
      onRetry: (r) => retries.push({ attempt: r.attempt, status: (r.error as unknown as { status: number }).status, delayMs: r.delayMs, samples: r.samples }),
      onError: (e) => errors.push(e),
    });
    rw.write(makeSeries(3, T0));
    await rw.close();
    // 4 attempts (503, 429, 500, 500): three retried, the fourth given up on and reported to onError.
    expect(retries).toEqual([
      { attempt: 1, status: 503, delayMs: 2, samples: 3 },
      { attempt: 2, status: 429, delayMs: 0, samples: 3 },
      { attempt: 3, status: 500, delayMs: 10, samples: 3 },
    ]);
    expect(errors).toHaveLength(1);
    const quiet = await server(() => ({ status: 503 }));
    const throwing = remoteWrite({ url: quiet.url, retry: { ...FAST_RETRY, maxAttempts: 2 }, onRetry: () => { throw new Error("callback bug"); }, onError: () => {} });
    throwing.write(makeSeries(1, T0));
    // A throwing callback does not stop the writer: the retry still happens.
    expect(await throwing.close()).toMatchObject({ failed: 1, retries: 1 });
    expect(quiet.requests).toHaveLength(2);
  });

  it("self-metrics count what happened", async () => {
    const s = await server((r) => (r.index === 0 ? { status: 503 } : { status: 204 }));
    const rw = remoteWrite({ url: s.url, retry: FAST_RETRY });
    rw.write(makeSeries(4, T0));
    await rw.flush();
    const fams = rw.metrics.collect();
    const value = (name: string): number | undefined => fams.find((f) => f.name === name)?.samples[0].value;
    expect(value("promwire_samples_sent_total")).toBe(4);
    expect(value("promwire_samples_failed_total")).toBe(0);
    expect(value("promwire_samples_dropped_total")).toBe(0);
    expect(value("promwire_retries_total")).toBe(1);
    expect(value("promwire_samples_pending")).toBe(0);
    const hist = fams.find((f) => f.name === "promwire_request_duration_seconds")!;
    expect(hist.samples.find((x) => x.name.endsWith("_count"))?.value).toBe(2);
    // They can be pushed along like any series.
    rw.write(
      fams.flatMap((f) => f.samples.map((x) => ({ labels: ["__name__", x.name, ...x.labels], samples: [{ value: x.value, timestamp: T0 + 1 }] }))),
    );
    await rw.close();
    expect(s.requests.at(-1)?.problem).toBeUndefined();
  });
});

describe("remote write 2.0", () => {
  const v2Ok = { status: 204, headers: { "x-prometheus-remote-write-samples-written": "3", "x-prometheus-remote-write-histograms-written": "0" } };

  it("stays on v2 when the receiver reports what it wrote", async () => {
    const s = await server(() => v2Ok);
    const rw = remoteWrite({ url: s.url, protocol: "v2" });
    rw.write(makeSeries(3, T0), [{ metricFamilyName: "test_metric", type: "gauge", help: "A test." }]);
    await rw.flush();
    rw.write(makeSeries(3, T0 + 1));
    await rw.close();
    expect(s.requests).toHaveLength(2);
    for (const r of s.requests) {
      expect(r.problem).toBeUndefined();
      expect(r.headers["content-type"]).toBe("application/x-protobuf;proto=io.prometheus.write.v2.Request");
      expect(r.headers["x-prometheus-remote-write-version"]).toBe("2.0.0");
    }
    expect(s.requests[0].decoded?.series[0].metadata).toEqual({ type: "gauge", help: "A test." });
    expect(rw.protocol).toBe("v2");
  });

  for (const [name, reply] of [
    ["415", { status: 415, body: "unsupported" }],
    ["204 without *-Written headers", { status: 204 }],
  ] as const) {
    it(`answered ${name} → falls back to v1 with the same series, logged once`, async () => {
      const s = await server((r) => (r.headers["content-type"]?.includes("v2") ? reply : { status: 204 }));
      const logs: string[] = [];
      const errors: PromwireError[] = [];
      const rw = remoteWrite({ url: s.url, protocol: "v2", log: (m) => logs.push(m), onError: (e) => errors.push(e) });
      const series = makeSeries(3, T0);
      rw.write(series, [{ metricFamilyName: "test_metric", type: "gauge", help: "A test." }]);
      await rw.flush();
      rw.write(makeSeries(3, T0 + 1));
      const stats = await rw.close();
      expect(s.requests.map((r) => r.decoded?.version)).toEqual(["v2", "v1", "v1"]);
      const [v2, v1] = s.requests;
      expect(v1.decoded?.series.map((x) => x.labels)).toEqual(v2.decoded?.series.map((x) => x.labels));
      expect(v1.decoded?.series.map((x) => x.samples)).toEqual(v2.decoded?.series.map((x) => x.samples));
      expect(v1.decoded?.metadata).toEqual([{ metricFamilyName: "test_metric", type: "gauge", help: "A test." }]);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain("using 1.0");
      expect(errors).toEqual([]);
      expect(rw.protocol).toBe("v1");
      expect(stats).toMatchObject({ sent: 6, failed: 0 });
    });
  }

  it("a partial write reported by *-Written headers is counted as failed, not retried", async () => {
    const s = await server(() => ({ status: 200, headers: { "x-prometheus-remote-write-samples-written": "1" } }));
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: s.url, protocol: "v2", onError: (e) => errors.push(e) });
    rw.write(makeSeries(3, T0));
    expect(await rw.close()).toMatchObject({ sent: 1, failed: 2 });
    expect(s.requests).toHaveLength(1);
    expect((errors[0] as RejectedError).reason).toBe("partial-write");
  });
});

describe("remote write: credentials", () => {
  it("never appear in error messages", async () => {
    const s = await server(() => ({ status: 401, body: "unauthorized" }));
    const secrets = ["hunter2", "tok-XYZ", "key-123"];
    const messages: string[] = [];
    const onError = (e: PromwireError): void => {
      messages.push(e.message, String(e), JSON.stringify(e), e.stack ?? "");
    };
    for (const auth of [{ username: "u", password: "hunter2" }, { bearer: "tok-XYZ" }, { header: "x-key", value: "key-123" }]) {
      const rw = remoteWrite({ url: s.url, auth, onError });
      rw.write(makeSeries(1, T0));
      await rw.close();
    }
    const rw = remoteWrite({ url: s.url.replace("http://", "http://u:hunter2@") + "?token=tok-XYZ", onError });
    rw.write(makeSeries(1, T0));
    await rw.close();
    // Refused connection: a NetworkError.
    const port = s.port;
    await s.close();
    const down = remoteWrite({ url: `http://u:hunter2@127.0.0.1:${port}/w`, retry: { ...FAST_RETRY, maxAttempts: 2 }, onError });
    down.write(makeSeries(1, T0));
    await down.close();
    expect(messages.length).toBeGreaterThanOrEqual(5 * 4);
    for (const m of messages) for (const secret of secrets) expect(m).not.toContain(secret);
  });

  it("does not follow a redirect to another host while credentials are set", async () => {
    const other = await server();
    const s = await server(() => ({ status: 307, headers: { location: other.url } }));
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: s.url, auth: { bearer: "tok" }, onError: (e) => errors.push(e) });
    rw.write(makeSeries(1, T0));
    expect(await rw.close()).toMatchObject({ failed: 1 });
    expect(other.requests).toHaveLength(0);
    expect((errors[0] as RejectedError).lastError).toBeInstanceOf(RedirectError);
    // Without credentials, or to the same origin, the redirect is followed with the same body.
    const open = remoteWrite({ url: s.url });
    open.write(makeSeries(1, T0));
    expect(await open.close()).toMatchObject({ sent: 1 });
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0].body.equals(s.requests.at(-1)!.body)).toBe(true);
  });
});

describe("remote write: registries and text", () => {
  it("collect(registry) snapshots now, with metadata; writeText parses and enqueues", async () => {
    const { Counter, Gauge, Registry } = await import("../../core/metrics/index.ts");
    const s = await server();
    const registry = new Registry();
    const rows = new Counter({ name: "rows_copied_total", help: "Rows copied.", labelNames: ["table"] as const, registry });
    rows.labels({ table: "users" }).inc(42);
    new Gauge({ name: "queue_depth", help: "Jobs waiting.", registry }).set(3);
    const rw = remoteWrite({ url: s.url, now: () => T0, externalLabels: { job: "batch" } });
    rw.collect(registry);
    rows.labels({ table: "users" }).inc(1); // after the snapshot: not in it
    rw.writeText("# TYPE temp_celsius gauge\ntemp_celsius{room=\"a\"} 21.5\ntemp_celsius{room=\"b\"} 19 1700000000500\n");
    await rw.close();
    expect(acceptedSamples(s).sort()).toEqual(
      [
        `__name__,queue_depth,job,batch@${T0}=3`,
        `__name__,rows_copied_total,job,batch,table,users@${T0}=42`,
        `__name__,temp_celsius,job,batch,room,a@${T0}=21.5`,
        `__name__,temp_celsius,job,batch,room,b@1700000000500=19`,
      ].sort(),
    );
    const meta = s.requests.flatMap((r) => r.decoded?.metadata ?? []);
    expect(meta).toEqual(
      expect.arrayContaining([
        { metricFamilyName: "rows_copied_total", type: "counter", help: "Rows copied." },
        { metricFamilyName: "queue_depth", type: "gauge", help: "Jobs waiting." },
      ]),
    );
    expect(() => rw.writeText("x")).toThrow(ClosedError);
  });

  it("writeText throws ParseError on a bad page and enqueues nothing", async () => {
    const s = await server();
    const rw = remoteWrite({ url: s.url });
    expect(() => rw.writeText("metric{ 1\n")).toThrow(expect.objectContaining({ _tag: "ParseError" }));
    await rw.close();
    expect(s.requests).toHaveLength(0);
  });
});
