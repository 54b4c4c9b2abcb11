// SigV4 end to end: promwire's Node entry writes through a local SigV4 verifier (signatures
// recomputed by `aws4`, reused ones refused) into a real Prometheus and a real Pushgateway, and
// the data is read back. A retry carries a fresh signature; a signer that reuses its first one,
// and a body changed after signing, are refused — the verifier can fail.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gauge, Registry, pushgateway, remoteWrite, sigv4, type SignAuth } from "../../../adapters/node.ts";
import { BIND_AUTH, type BindableAuth } from "../../../core/client/http/connection.ts";
import type { PromwireError } from "../../../core/errors.ts";
import { startPrometheus, type Prometheus } from "../../support/prometheus.ts";
import { startPushgateway, type Pushgateway } from "../../support/pushgateway.ts";
import { startSigV4Verifier, type SigV4Verifier } from "../../support/sigv4-verifier.ts";

const credentials = { accessKeyId: "AKIDPROMWIRETEST", secretAccessKey: "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMTIz" };
// The verifier's 503 says `Retry-After: 1` (x-amz-date has second resolution: only a second later
// can a recomputed signature differ from the first, the body being the same).
const RETRY = { minBackoffMs: 10, maxBackoffMs: 10, maxAttempts: 3 };

function registryWith(name: string, value: number, labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  const g = new Gauge({ name, help: "SigV4 test.", labelNames: Object.keys(labels), registry });
  if (Object.keys(labels).length > 0) g.labels(labels).set(value);
  else g.set(value);
  return registry;
}

let prom: Prometheus;
let pg: Pushgateway;
let verifier: SigV4Verifier;
let pgVerifier: SigV4Verifier;

beforeAll(async () => {
  [prom, pg] = await Promise.all([startPrometheus(), startPushgateway()]);
  verifier = await startSigV4Verifier({ backend: prom.url, region: "eu-west-1", service: "aps", credentials });
  pgVerifier = await startSigV4Verifier({ backend: pg.url, region: "eu-west-1", service: "aps", credentials: { ...credentials, sessionToken: "FQoGZXIvYXdzEXAMPLE//token==" } });
});

afterAll(async () => {
  await Promise.all([verifier?.close(), pgVerifier?.close()]);
  await Promise.all([prom?.stop(), pg?.stop()]);
});

describe("SigV4 through a verifier into real servers", () => {
  it("remote write: the first attempt is answered 503, the retry carries a fresh signature, the sample is stored", async () => {
    verifier.failNext(1);
    const before = verifier.events.length;
    const errors: PromwireError[] = [];
    const rw = remoteWrite({
      url: `${verifier.url}/api/v1/write`,
      auth: { sigv4: { region: "eu-west-1", credentials } },
      retry: RETRY,
      flushOnExit: false,
      onError: (e) => errors.push(e),
    });
    rw.collect(registryWith("promwire_sigv4_test", 42, { case: "retry" }));
    const stats = await rw.close();
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ sent: 1, failed: 0, retries: 1 });
    const seen = verifier.events.slice(before);
    expect(seen.map((e) => [e.status, e.outcome])).toEqual([
      [503, "failed on purpose"],
      [204, "ok"],
    ]);
    expect(seen[1].signature).not.toBe(seen[0].signature);
    expect(seen[1].amzDate).not.toBe(seen[0].amzDate);
    const got = await prom.query('promwire_sigv4_test{case="retry"}');
    expect(got.map((r) => r.value?.[1])).toEqual(["42"]);
  });

  it("a signer that reuses its first signature on the retry is refused: 403 signature reused, nothing stored", async () => {
    verifier.failNext(1);
    const before = verifier.events.length;
    const real = sigv4({ region: "eu-west-1", credentials });
    // The same signature for every attempt: what promwire must not do.
    let first: Record<string, string> | undefined;
    const bound = (real as unknown as BindableAuth)[BIND_AUTH]({ getEnv: () => undefined, fetch: (i, r) => fetch(i, r), now: Date.now });
    const reusing: SignAuth = { sign: async (req) => (first ??= await bound.sign(req)) };
    const errors: PromwireError[] = [];
    const rw = remoteWrite({ url: `${verifier.url}/api/v1/write`, auth: reusing, retry: RETRY, flushOnExit: false, onError: (e) => errors.push(e) });
    rw.collect(registryWith("promwire_sigv4_test", 7, { case: "reused" }));
    const stats = await rw.close();
    expect(stats).toMatchObject({ sent: 0, failed: 1 });
    expect(verifier.events.slice(before).map((e) => [e.status, e.outcome])).toEqual([
      [503, "failed on purpose"],
      [403, "signature reused"],
    ]);
    expect(errors[0]?.message).toMatch(/HTTP 403 .*signature reused/);
    expect(await prom.query('promwire_sigv4_test{case="reused"}')).toEqual([]);
  });

  it("the signature covers the exact body: a body changed after signing is refused", async () => {
    const before = verifier.events.length;
    const errors: PromwireError[] = [];
    const rw = remoteWrite({
      url: `${verifier.url}/api/v1/write`,
      auth: { sigv4: { region: "eu-west-1", credentials } },
      // A hop that re-encodes the body after it was signed.
      fetch: (input, init) => fetch(input, { ...init, body: new Uint8Array([...(init.body as Uint8Array), 0]) }),
      retry: { maxAttempts: 1 },
      flushOnExit: false,
      onError: (e) => errors.push(e),
    });
    rw.collect(registryWith("promwire_sigv4_test", 1, { case: "tampered" }));
    expect((await rw.close()).failed).toBe(1);
    expect(verifier.events.slice(before).map((e) => e.outcome)).toEqual(["signature does not match"]);
  });

  it("Pushgateway: push (gzip body, temporary credentials from AWS_* variables) and delete, signed; read back", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_REGION: "eu-west-1", AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: "FQoGZXIvYXdzEXAMPLE//token==" });
    try {
      pgVerifier.failNext(1);
      const client = pushgateway({ url: pgVerifier.url, job: "sigv4_job", grouping: { instance: "host-1" }, auth: { sigv4: {} }, compression: "gzip", retry: RETRY });
      await client.push(registryWith("promwire_sigv4_pushed", 5));
      const groups = await pg.metrics();
      const group = groups.find((g) => g.labels.job === "sigv4_job");
      expect(group?.labels).toMatchObject({ job: "sigv4_job", instance: "host-1" });
      expect(JSON.stringify(group?.promwire_sigv4_pushed)).toContain('"value":"5"');
      await client.delete();
      await pg.metricsWhen((g) => !g.some((x) => x.labels.job === "sigv4_job"));
      expect(pgVerifier.events.map((e) => [e.method, e.status, e.outcome])).toEqual([
        ["PUT", 503, "failed on purpose"],
        ["PUT", 200, "ok"],
        ["DELETE", 202, "ok"],
      ]);
    } finally {
      for (const k of ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});
