// OAuth2 client credentials end to end: a real OAuth2 server from npm issues RS256 JWTs; a gate
// verifies them (signature, issuer, expiry, revocation) in front of a real Prometheus and a real
// Pushgateway; promwire's Node entry writes through it and the data is read back. Token caching,
// renewal before expiry, one renewal after a 401 then final, Basic → form-field fallback, the
// token endpoint's failures, and no secret in any message.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Gauge, Registry, oauth2, pushgateway, remoteWrite, type RuntimeRemoteWriteOptions } from "../../../adapters/node.ts";
import type { PromwireError } from "../../../core/errors.ts";
import { startGate, startOAuth2, type OAuth2Fixture, type OAuth2Gate } from "../../support/oauth2.ts";
import { startPrometheus, type Prometheus } from "../../support/prometheus.ts";
import { startPushgateway, type Pushgateway } from "../../support/pushgateway.ts";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let prom: Prometheus;
let pgw: Pushgateway;
let oauth: OAuth2Fixture;
let gate: OAuth2Gate;
let pgGate: OAuth2Gate;

beforeAll(async () => {
  [prom, pgw, oauth] = await Promise.all([startPrometheus(), startPushgateway(), startOAuth2()]);
  [gate, pgGate] = await Promise.all([startGate(oauth, prom.url), startGate(oauth, pgw.url)]);
});

afterAll(async () => {
  await Promise.all([gate?.close(), pgGate?.close()]);
  await Promise.all([prom?.stop(), pgw?.stop(), oauth?.stop()]);
});

beforeEach(() => {
  oauth.expiresIn = 3600;
  oauth.acceptBasic = true;
  gate.requireScope = undefined;
});

function gauge(name: string, value: number, labels: Record<string, string>): Registry {
  const registry = new Registry();
  new Gauge({ name, help: "OAuth2 test.", labelNames: Object.keys(labels), registry }).labels(labels).set(value);
  return registry;
}

/** A writer through the gate; `log` and `onError` capture everything the writer says. */
function writer(extra: Partial<RuntimeRemoteWriteOptions> = {}): { rw: ReturnType<typeof remoteWrite>; errors: PromwireError[]; said: string[] } {
  const errors: PromwireError[] = [];
  const said: string[] = [];
  const rw = remoteWrite({
    url: `${gate.url}/api/v1/write`,
    auth: { oauth2: { tokenUrl: oauth.tokenUrl, clientId: oauth.clientId, clientSecret: oauth.clientSecret, scopes: ["metrics.write", "metrics.read"], audience: "prometheus" } },
    flushOnExit: false,
    retry: { minBackoffMs: 10, maxBackoffMs: 20, maxAttempts: 5 },
    onError: (e) => {
      errors.push(e);
      said.push(e.message);
    },
    log: (m) => said.push(m),
    ...extra,
  });
  return { rw, errors, said };
}

async function stored(name: string, labels: string): Promise<string[]> {
  return (await prom.query(`${name}{${labels}}`)).map((r) => r.value?.[1] ?? "");
}

describe("OAuth2 client credentials against a real OAuth2 server", () => {
  it("one token for many requests; scopes and audience sent; data stored", async () => {
    const t0 = oauth.requests.length;
    const { rw, errors } = writer();
    for (let i = 1; i <= 3; i++) {
      rw.collect(gauge("promwire_oauth2_test", i, { case: "cached" }));
      await rw.flush();
    }
    await rw.close();
    expect(errors).toEqual([]);
    const tokens = oauth.requests.slice(t0);
    expect(tokens.map((r) => [r.style, r.status])).toEqual([["basic", 200]]);
    expect(tokens[0].form).toMatchObject({ grant_type: "client_credentials", scope: "metrics.write metrics.read", audience: "prometheus" });
    expect(await stored("promwire_oauth2_test", 'case="cached"')).toEqual(["3"]);
  });

  it("a token is renewed shortly before it expires: no request ever meets an expired token", async () => {
    oauth.expiresIn = 2;
    const t0 = oauth.requests.length;
    const g0 = gate.events.length;
    const { rw, errors } = writer();
    rw.collect(gauge("promwire_oauth2_test", 1, { case: "expiry" }));
    await rw.flush();
    await sleep(1_000); // still valid (renewal is due at 1.8 s)
    rw.collect(gauge("promwire_oauth2_test", 2, { case: "expiry" }));
    await rw.flush();
    expect(oauth.requests.length - t0).toBe(1);
    await sleep(1_300); // past 2 s: the first token has expired
    rw.collect(gauge("promwire_oauth2_test", 3, { case: "expiry" }));
    await rw.close();
    expect(errors).toEqual([]);
    expect(oauth.requests.length - t0).toBe(2);
    const seen = gate.events.slice(g0);
    expect(seen.map((e) => e.status)).toEqual([204, 204, 204]);
    expect(new Set(seen.map((e) => e.token)).size).toBe(2);
    expect(await stored("promwire_oauth2_test", 'case="expiry"')).toEqual(["3"]);
  });

  it("the gate does refuse an expired token (what renewal avoids)", async () => {
    const expired = await oauth.issue(1);
    await sleep(1_100);
    const res = await fetch(`${gate.url}/api/v1/write`, { method: "POST", headers: { authorization: `Bearer ${expired}` }, body: "x" });
    expect(res.status).toBe(401);
    expect(gate.events.at(-1)?.outcome).toMatch(/invalid token: ERR_JWT_EXPIRED/);
  });

  it("401 (token revoked): one new token, the request sent again within the same attempt, stored", async () => {
    const { rw, errors } = writer();
    rw.collect(gauge("promwire_oauth2_test", 1, { case: "revoked" }));
    await rw.flush();
    gate.revoke(gate.lastToken()!);
    const t0 = oauth.requests.length;
    const g0 = gate.events.length;
    rw.collect(gauge("promwire_oauth2_test", 2, { case: "revoked" }));
    const stats = await rw.close();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ failed: 0, retries: 0 });
    expect(oauth.requests.length - t0).toBe(1);
    expect(gate.events.slice(g0).map((e) => [e.status, e.outcome])).toEqual([
      [401, "revoked"],
      [204, "ok"],
    ]);
    expect(await stored("promwire_oauth2_test", 'case="revoked"')).toEqual(["2"]);
  });

  it("401 again after the renewal is final: not retried, reported once, the secret nowhere", async () => {
    gate.requireScope = "admin"; // no token will ever have it
    const t0 = oauth.requests.length;
    const g0 = gate.events.length;
    const { rw, errors, said } = writer();
    rw.collect(gauge("promwire_oauth2_test", 1, { case: "denied" }));
    const stats = await rw.close();
    expect(stats).toMatchObject({ sent: 0, failed: 1, retries: 0 });
    expect(oauth.requests.length - t0).toBe(2);
    expect(gate.events.slice(g0).map((e) => [e.status, e.outcome])).toEqual([
      [401, "missing scope"],
      [401, "missing scope"],
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ _tag: "RejectedError", reason: "status", attempts: 1 });
    expect(errors[0].message).toMatch(/HTTP 401 from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: missing scope/);
    expect(said.join("\n")).not.toContain(oauth.clientSecret);
  });

  it("a wrong client secret: AuthError from the token endpoint, final, without the secret; nothing reaches the gate", async () => {
    const g0 = gate.events.length;
    const wrong = "not-the-secret-4242";
    const { rw, errors, said } = writer({ auth: { oauth2: { tokenUrl: oauth.tokenUrl, clientId: oauth.clientId, clientSecret: wrong } } });
    rw.collect(gauge("promwire_oauth2_test", 1, { case: "bad-secret" }));
    const stats = await rw.close();
    expect(stats).toMatchObject({ failed: 1, retries: 0 });
    const cause = (errors[0] as PromwireError & { lastError?: PromwireError }).lastError;
    expect(cause).toMatchObject({ _tag: "AuthError", scheme: "oauth2", status: 401 });
    expect(cause?.message).toMatch(/^oauth2: token endpoint http:\/\/localhost:\d+\/token answered HTTP 401: invalid_client \(Client authentication failed\)$/);
    expect(said.join("\n")).not.toContain(wrong);
    expect(gate.events.length).toBe(g0);
  });

  it("an endpoint that refuses HTTP Basic: the credentials go as form fields, and keep going that way", async () => {
    oauth.acceptBasic = false;
    oauth.expiresIn = 1;
    const t0 = oauth.requests.length;
    const { rw, errors } = writer();
    rw.collect(gauge("promwire_oauth2_test", 1, { case: "form" }));
    await rw.flush();
    await sleep(1_100);
    rw.collect(gauge("promwire_oauth2_test", 2, { case: "form" }));
    await rw.close();
    expect(errors).toEqual([]);
    expect(oauth.requests.slice(t0).map((r) => [r.style, r.status])).toEqual([
      ["basic", 401],
      ["body", 200],
      ["body", 200],
    ]);
    expect(oauth.requests.slice(t0)[1].form).toMatchObject({ client_id: oauth.clientId });
    expect(await stored("promwire_oauth2_test", 'case="form"')).toEqual(["2"]);
  });

  it("the token endpoint answering 503: retried like the receiver, then stored", async () => {
    oauth.failNext(1);
    const t0 = oauth.requests.length;
    const { rw, errors } = writer();
    rw.collect(gauge("promwire_oauth2_test", 5, { case: "endpoint-503" }));
    const stats = await rw.close();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ sent: 1, retries: 1 });
    expect(oauth.requests.slice(t0).map((r) => r.status)).toEqual([503, 200]);
    expect(await stored("promwire_oauth2_test", 'case="endpoint-503"')).toEqual(["5"]);
  });

  it("oauth2({...}) made by the entry works the same as the data form", async () => {
    const { rw, errors } = writer({ auth: oauth2({ tokenUrl: oauth.tokenUrl, clientId: oauth.clientId, clientSecret: oauth.clientSecret }) });
    rw.collect(gauge("promwire_oauth2_test", 9, { case: "factory" }));
    await rw.close();
    expect(errors).toEqual([]);
    expect(await stored("promwire_oauth2_test", 'case="factory"')).toEqual(["9"]);
  });

  it("the token escape hatch: called before each attempt, and once more after a 401", async () => {
    const first = await oauth.issue();
    const second = await oauth.issue();
    let calls = 0;
    // A source that still hands out its cached token once after it was revoked, then a new one.
    const { rw, errors } = writer({ auth: { token: async () => (++calls <= 2 ? first : second) } });
    rw.collect(gauge("promwire_oauth2_test", 1, { case: "token-fn" }));
    await rw.flush();
    gate.revoke(first);
    const g0 = gate.events.length;
    rw.collect(gauge("promwire_oauth2_test", 2, { case: "token-fn" }));
    await rw.close();
    expect(errors).toEqual([]);
    expect(calls).toBe(3);
    expect(gate.events.slice(g0).map((e) => [e.status, e.outcome])).toEqual([
      [401, "revoked"],
      [204, "ok"],
    ]);
    expect(await stored("promwire_oauth2_test", 'case="token-fn"')).toEqual(["2"]);
  });

  it("Pushgateway: push and delete with OAuth2; read back", async () => {
    const client = pushgateway({
      url: pgGate.url,
      job: "oauth2_job",
      grouping: { instance: "host-1" },
      auth: { oauth2: { tokenUrl: oauth.tokenUrl, clientId: oauth.clientId, clientSecret: oauth.clientSecret } },
    });
    const registry = new Registry();
    new Gauge({ name: "promwire_oauth2_pushed", help: "Pushed.", registry }).set(11);
    await client.push(registry);
    const group = (await pgw.metrics()).find((g) => g.labels.job === "oauth2_job");
    expect(JSON.stringify(group?.promwire_oauth2_pushed)).toContain('"value":"11"');
    await client.delete();
    expect((await pgw.metricsWhen((gs) => !gs.some((g) => g.labels.job === "oauth2_job"))).some((g) => g.labels.job === "oauth2_job")).toBe(false);
    expect(pgGate.events.map((e) => [e.method, e.status])).toEqual([
      ["PUT", 200],
      ["DELETE", 202],
    ]);
  });
});
