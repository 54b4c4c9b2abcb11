// The debug receiver (`promwire receive`, cli/receiver.ts): answers like a remote-write 2.0
// receiver and a Pushgateway, decodes what it gets, and refuses bad input with a reason.
import "../support/snappy-node.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { pushgateway } from "../../core/client/pushgateway/client.ts";
import { encodeWriteRequest } from "../../core/wire/encode.ts";
import { compress } from "../../core/wire/snappy.ts";
import { Histogram, Registry, Summary } from "../../core/metrics/index.ts";

let rx: Receiver;
const rejects: string[] = [];
beforeAll(async () => {
  rx = await startReceiver({ port: 0, maxBodyBytes: 64 * 1024, onReject: (path, status, reason) => rejects.push(`${status} ${path}: ${reason}`) });
});
afterAll(async () => {
  await rx?.close();
});

const V2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
const series = [
  { labels: ["__name__", "up", "job", "a"], samples: [{ value: 1, timestamp: 1_700_000_000_000 }, { value: 0, timestamp: 1_700_000_001_000 }] },
  { labels: ["__name__", "h", "job", "a"], histograms: [{ timestamp: 1_700_000_000_000, count: 2, sum: 3, schema: 0, zeroThreshold: 0, zeroCount: 2 }] },
];

describe("promwire receive", () => {
  it("binds to loopback by default and answers /-/ready", async () => {
    expect(rx.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${rx.url}/-/ready`)).status).toBe(200);
  });

  it("remote write 2.0: 204 with the *-Written headers; 1.0: 204 without them; secrets masked", async () => {
    const v2 = await fetch(`${rx.url}/api/v1/write`, {
      method: "POST",
      headers: { "content-encoding": "snappy", "content-type": V2, authorization: "Bearer top-secret" },
      body: compress(encodeWriteRequest(series, { version: "v2" })) as BodyInit,
    });
    expect(v2.status).toBe(204);
    expect(v2.headers.get("x-prometheus-remote-write-samples-written")).toBe("2");
    expect(v2.headers.get("x-prometheus-remote-write-histograms-written")).toBe("1");
    expect(v2.headers.get("x-prometheus-remote-write-exemplars-written")).toBe("0");
    const got = rx.requests.at(-1)!;
    expect(got.kind === "remote-write" && got.request.series.length).toBe(2);
    expect(got.headers.authorization).toBe("Bearer ***");
    expect(JSON.stringify(got)).not.toContain("top-secret");
    const v1 = await fetch(`${rx.url}/api/v1/write`, {
      method: "POST",
      headers: { "content-encoding": "snappy", "content-type": "application/x-protobuf" },
      body: compress(encodeWriteRequest(series)) as BodyInit,
    });
    expect(v1.status).toBe(204);
    expect(v1.headers.get("x-prometheus-remote-write-samples-written")).toBeNull();
  });

  it("refuses bad input with 400/405/413/415 and the reason, and keeps running", async () => {
    const post = (headers: Record<string, string>, body: Uint8Array | string, path = "/api/v1/write", method = "POST") =>
      fetch(`${rx.url}${path}`, { method, headers, body: body as BodyInit });
    const checks: [() => Promise<Response>, number, string][] = [
      [() => post({ "content-type": "application/x-protobuf" }, compress(encodeWriteRequest(series))), 415, "Content-Encoding must be snappy"],
      [() => post({ "content-encoding": "snappy", "content-type": "application/json" }, "{}"), 415, "unsupported Content-Type"],
      [() => post({ "content-encoding": "snappy", "content-type": "application/x-protobuf" }, new Uint8Array([0xff, 0xff, 0xff, 0x7f, 0])), 400, ""],
      [() => post({ "content-encoding": "snappy", "content-type": "application/x-protobuf" }, new Uint8Array(70 * 1024)), 413, "body larger than 65536 bytes"],
      [() => fetch(`${rx.url}/api/v1/write`), 405, "use POST"],
      [() => post({ "content-type": "text/plain" }, "x 1", "/metrics/job/j", "PUT"), 400, "must end with a newline"],
      [() => post({ "content-type": "text/plain" }, "x 1\n", "/metrics/job/j/", "PUT"), 400, "trailing slash"],
      [() => post({ "content-type": "text/plain" }, "x{ 1\n", "/metrics/job/j", "PUT"), 400, "line 1"],
    ];
    for (const [call, status, reason] of checks) {
      const res = await call();
      expect(res.status).toBe(status);
      expect(await res.text()).toContain(reason);
    }
    expect(rejects.length).toBeGreaterThanOrEqual(checks.length);
    expect((await fetch(`${rx.url}/-/ready`)).status).toBe(200);
  });

  it("Pushgateway: PUT/POST 200, DELETE 202, base64 grouping decoded, protobuf histograms and summaries expanded", async () => {
    const registry = new Registry();
    new Histogram({ name: "job_seconds", help: "h", buckets: [1, 5], registry }).observe(2);
    new Summary({ name: "job_bytes", help: "s", percentiles: [0.5], registry }).observe(10);
    const pg = pushgateway({ url: rx.url, job: "j", grouping: { instance: "a/b" }, log: () => {} });
    await pg.push(registry);
    const put = rx.requests.at(-1)!;
    if (put.kind !== "pushgateway") throw new Error("expected a push");
    expect(put.grouping).toEqual({ job: "j", instance: "a/b" });
    const samples = put.families.flatMap((f) => f.samples.map((s) => `${s.name}{${s.labels.join(",")}} ${s.value}`));
    expect(samples).toEqual([
      "job_bytes{quantile,0.5} 10",
      "job_bytes_sum{} 10",
      "job_bytes_count{} 1",
      "job_seconds_bucket{le,1} 0",
      "job_seconds_bucket{le,5} 1",
      "job_seconds_bucket{le,+Inf} 1",
      "job_seconds_sum{} 2",
      "job_seconds_count{} 1",
    ]);
    const del = await fetch(`${rx.url}/metrics/job/j/instance@base64/YS9i`, { method: "DELETE" });
    expect(del.status).toBe(202);
  });
});
