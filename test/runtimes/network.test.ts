// Proxies and TLS on Node, Deno and Bun, each through its own adapter in its own runtime: a job
// (fixtures/network-job.ts) writes one gauge by remote write to a real Prometheus — through a real
// HTTP proxy (the `proxy` package, Basic proxy credentials required) given as the `proxy` option
// or as HTTP_PROXY, not through it when NO_PROXY says so, and to a real Prometheus serving TLS
// with client certificates required (`--web.config.file`, certificates made with openssl here) —
// and the value is read back from Prometheus. Without the CA, with another CA, or without the
// client certificate the job gets a TlsError naming the host and the reason.
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { makeTestCerts, type TestCerts } from "../support/tls-certs.ts";
import type { NetworkJobSpec } from "./fixtures/network-job.ts";

const runtimes = {
  node: async (): Promise<string[]> => {
    const outdir = resolve(".cache/network-job");
    mkdirSync(outdir, { recursive: true });
    const outfile = `${outdir}/network-job-node.mjs`;
    await build({ entryPoints: ["test/runtimes/fixtures/network-job-node.ts"], bundle: true, platform: "node", format: "esm", target: "node20", outfile, packages: "external", logLevel: "error" });
    return [process.execPath, outfile];
  },
  bun: async () => [resolve("node_modules/.bin/bun"), "test/runtimes/fixtures/network-job-bun.ts"],
  // --allow-net alone: options and certificates come in the argument; Deno's fetch reads the
  // proxy variables without --allow-env.
  deno: async () => [resolve("node_modules/.bin/deno"), "run", "--allow-net", "test/runtimes/fixtures/network-job-deno.ts"],
};

interface JobResult {
  sent: number;
  failed: number;
  retries: number;
  error?: { tag: string; message: string; reason?: string; host?: string };
}

/** The environment without anything proxy- or promwire-related, plus `extra`. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/_proxy$/i.test(k) && !k.startsWith("PROMWIRE_")) env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
}

function runJob(cmd: string[], spec: NetworkJobSpec, env: Record<string, string> = {}): Promise<JobResult> {
  return new Promise((done, fail) => {
    const child = spawn(cmd[0], [...cmd.slice(1), JSON.stringify(spec)], { stdio: ["ignore", "pipe", "pipe"], env: cleanEnv(env) });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(guard);
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        done(JSON.parse(out.trim().split("\n").at(-1)!) as JobResult);
      } catch (e) {
        fail(new Error(`job failed (${(e as Error).message}): ${out}\n${err}`));
      }
    });
  });
}

let certs: TestCerts;
let plain: Prometheus;
let secure: Prometheus;
let proxy: ConnectProxy;

beforeAll(async () => {
  certs = makeTestCerts();
  [plain, secure, proxy] = await Promise.all([
    startPrometheus(),
    startPrometheus({
      https: {
        webConfig: { tls_server_config: { cert_file: certs.server.certFile, key_file: certs.server.keyFile, client_auth_type: "RequireAndVerifyClientCert", client_ca_file: certs.ca.certFile } },
        ca: certs.ca.cert,
        cert: certs.client.cert,
        key: certs.client.key,
      },
    }),
    startConnectProxy(),
  ]);
});

afterAll(async () => {
  await Promise.all([plain?.stop(), secure?.stop(), proxy?.close()]);
  certs?.remove();
});

async function value(prom: Prometheus, labels: Record<string, string>): Promise<string[]> {
  const sel = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  return (await prom.query(`promwire_network_test{${sel}}`)).map((r) => r.value?.[1] ?? "");
}

describe.each(Object.keys(runtimes) as (keyof typeof runtimes)[])("proxy and TLS on %s", (runtime) => {
  let cmd: string[];
  beforeAll(async () => {
    cmd = await runtimes[runtime]();
  });
  const clientTls = (): NetworkJobSpec["tls"] => ({ ca: certs.ca.cert, cert: certs.client.cert, key: certs.client.key });
  const host = (): string => new URL(secure.url).host;

  it("the proxy option (with proxy credentials): plain HTTP through the proxy to Prometheus, read back", async () => {
    const labels = { runtime, case: "proxy-option" };
    const n = proxy.seen.length;
    const r = await runJob(cmd, { url: `${plain.url}/api/v1/write`, value: 11, labels, proxy: proxy.url });
    expect(r).toMatchObject({ sent: 1, failed: 0 });
    expect(proxy.seen.slice(n)).toEqual([{ kind: "request", target: `${plain.url}/api/v1/write`, authorized: true }]);
    expect(await value(plain, labels)).toEqual(["11"]);
  });

  it("HTTP_PROXY from the environment; NO_PROXY sends it direct", async () => {
    const labels = { runtime, case: "proxy-env" };
    let n = proxy.seen.length;
    const r = await runJob(cmd, { url: `${plain.url}/api/v1/write`, value: 12, labels }, { HTTP_PROXY: proxy.url });
    expect(r).toMatchObject({ sent: 1, failed: 0 });
    expect(proxy.seen.slice(n).map((s) => [s.kind, s.target])).toEqual([["request", `${plain.url}/api/v1/write`]]);
    expect(await value(plain, labels)).toEqual(["12"]);
    n = proxy.seen.length;
    const direct = { runtime, case: "no-proxy" };
    const r2 = await runJob(cmd, { url: `${plain.url}/api/v1/write`, value: 13, labels: direct }, { HTTP_PROXY: proxy.url, NO_PROXY: "localhost,127.0.0.1" });
    expect(r2).toMatchObject({ sent: 1, failed: 0 });
    expect(proxy.seen.length).toBe(n);
    expect(await value(plain, direct)).toEqual(["13"]);
  });

  it("TLS with the CA and a client certificate: accepted by Prometheus requiring client certificates, read back", async () => {
    const labels = { runtime, case: "mtls" };
    const r = await runJob(cmd, { url: `${secure.url}/api/v1/write`, value: 21, labels, tls: clientTls() });
    expect(r).toMatchObject({ sent: 1, failed: 0 });
    expect(await value(secure, labels)).toEqual(["21"]);
  });

  it("TLS through the proxy: a CONNECT tunnel, TLS with the client certificate inside it, read back", async () => {
    const labels = { runtime, case: "mtls-proxy" };
    const n = proxy.seen.length;
    const r = await runJob(cmd, { url: `${secure.url}/api/v1/write`, value: 22, labels, tls: clientTls(), proxy: proxy.url });
    expect(r).toMatchObject({ sent: 1, failed: 0 });
    expect(proxy.seen.slice(n)).toEqual([{ kind: "connect", target: host(), authorized: true }]);
    expect(await value(secure, labels)).toEqual(["22"]);
  });

  it("no CA: a TlsError naming the host, the server's certificate untrusted; not retried", async () => {
    const r = await runJob(cmd, { url: `${secure.url}/api/v1/write`, value: 1, labels: { runtime, case: "no-ca" } });
    expect(r).toMatchObject({ sent: 0, failed: 1, retries: 0, error: { tag: "TlsError", reason: "untrusted-certificate", host: host() } });
    expect(r.error?.message).toMatch(new RegExp(`^TLS untrusted-certificate for ${host()}: .+; the server's certificate is not signed by a trusted CA: pass that CA as tls.ca`));
    expect(r.error?.message).not.toMatch(/fetch failed/);
  });

  it("another CA: untrusted too", async () => {
    const r = await runJob(cmd, { url: `${secure.url}/api/v1/write`, value: 1, labels: { runtime, case: "other-ca" }, tls: { ca: certs.otherCa.cert } });
    expect(r).toMatchObject({ retries: 0, error: { tag: "TlsError", reason: "untrusted-certificate", host: host() } });
  });

  it("the CA but no client certificate (and a client certificate from another CA): refused, saying a client certificate is required", async () => {
    for (const tls of [{ ca: certs.ca.cert }, { ca: certs.ca.cert, cert: certs.strangerClient.cert, key: certs.strangerClient.key }]) {
      const r = await runJob(cmd, { url: `${secure.url}/api/v1/write`, value: 1, labels: { runtime, case: "no-client-cert" }, tls });
      expect(r).toMatchObject({ sent: 0, failed: 1, error: { tag: "TlsError", host: host() } });
      // Bun reports only that the server ended the handshake (EPROTO). Deno may first see the
      // connection close (retried as a network error) before an attempt gets the alert.
      expect(r.error?.reason).toBe(runtime === "bun" ? "handshake" : "client-certificate-refused");
      if (runtime !== "deno") expect(r.retries).toBe(0);
      expect(r.error?.message).toMatch(/set tls\.cert and tls\.key/);
    }
    expect(await value(secure, { runtime, case: "no-client-cert" })).toEqual([]);
  });
});
