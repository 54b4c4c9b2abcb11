// The Pushgateway client takes the same proxy and TLS settings as remote write (one connection
// seam): push and delete through a real proxy to a real Pushgateway, read back; the proxy saw it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gauge, Registry, pushgateway } from "../../../adapters/node.ts";
import { startConnectProxy, type ConnectProxy } from "../../support/connect-proxy.ts";
import { startPushgateway, type Pushgateway } from "../../support/pushgateway.ts";

let pgw: Pushgateway;
let proxy: ConnectProxy;

beforeAll(async () => {
  [pgw, proxy] = await Promise.all([startPushgateway(), startConnectProxy()]);
});

afterAll(async () => {
  await Promise.all([pgw?.stop(), proxy?.close()]);
});

describe("Pushgateway through a proxy", () => {
  it("push and delete go through the proxy option, with its credentials; the group is stored, then gone", async () => {
    const n = proxy.seen.length;
    const client = pushgateway({ url: pgw.url, job: "proxied_job", grouping: { instance: "host-1" }, proxy: proxy.url });
    const registry = new Registry();
    new Gauge({ name: "promwire_proxied", help: "Through a proxy.", registry }).set(3);
    await client.push(registry);
    const group = (await pgw.metrics()).find((g) => g.labels.job === "proxied_job");
    expect(JSON.stringify(group?.promwire_proxied)).toContain('"value":"3"');
    await client.delete();
    await pgw.metricsWhen((gs) => !gs.some((g) => g.labels.job === "proxied_job"));
    expect(proxy.seen.slice(n)).toEqual([
      { kind: "request", target: `${pgw.url}/metrics/job/proxied_job/instance/host-1`, authorized: true },
      { kind: "request", target: `${pgw.url}/metrics/job/proxied_job/instance/host-1`, authorized: true },
    ]);
  });

  it("a proxy without its credentials answers 407: an HttpError naming the status, nothing stored", async () => {
    const client = pushgateway({ url: pgw.url, job: "refused_job", grouping: { instance: "host-1" }, proxy: proxy.bareUrl });
    const registry = new Registry();
    new Gauge({ name: "promwire_proxied", help: "x", registry }).set(1);
    await expect(client.push(registry)).rejects.toMatchObject({ _tag: "HttpError", status: 407 });
    expect((await pgw.metrics()).some((g) => g.labels.job === "refused_job")).toBe(false);
  });
});
