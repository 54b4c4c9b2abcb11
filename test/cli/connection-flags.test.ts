// The CLI's connection flags and their PROMWIRE_* variables, as a user runs `promwire write`:
// SigV4 through the local verifier, OAuth2 against the real OAuth2 server and its gate, a proxy
// and client certificates to a real Prometheus requiring them — each read back — and the errors a
// user meets, one line, secrets never printed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConnectProxy, type ConnectProxy } from "../support/connect-proxy.ts";
import { startGate, startOAuth2, type OAuth2Fixture, type OAuth2Gate } from "../support/oauth2.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { startSigV4Verifier, type SigV4Verifier } from "../support/sigv4-verifier.ts";
import { makeTestCerts, type TestCerts } from "../support/tls-certs.ts";
import { bundleCli, runCli } from "./run-cli.ts";

const page = (name: string, value: number): string => `# TYPE ${name} gauge\n${name} ${value}\n`;
const AWS = { AWS_ACCESS_KEY_ID: "AKIDCLITEST", AWS_SECRET_ACCESS_KEY: "cli-test-secret-key" };

let cli: string;
let plain: Prometheus;
let secure: Prometheus;
let certs: TestCerts;
let verifier: SigV4Verifier;
let oauth: OAuth2Fixture;
let gate: OAuth2Gate;
let proxy: ConnectProxy;

beforeAll(async () => {
  certs = makeTestCerts();
  cli = await bundleCli("connection");
  [plain, secure, oauth, proxy] = await Promise.all([
    startPrometheus(),
    startPrometheus({
      https: {
        webConfig: { tls_server_config: { cert_file: certs.server.certFile, key_file: certs.server.keyFile, client_auth_type: "RequireAndVerifyClientCert", client_ca_file: certs.ca.certFile } },
        ca: certs.ca.cert,
        cert: certs.client.cert,
        key: certs.client.key,
      },
    }),
    startOAuth2(),
    startConnectProxy(),
  ]);
  verifier = await startSigV4Verifier({ backend: plain.url, region: "eu-west-1", service: "aps", credentials: { accessKeyId: AWS.AWS_ACCESS_KEY_ID, secretAccessKey: AWS.AWS_SECRET_ACCESS_KEY } });
  gate = await startGate(oauth, plain.url);
});

afterAll(async () => {
  await Promise.all([verifier?.close(), gate?.close(), proxy?.close()]);
  await Promise.all([plain?.stop(), secure?.stop(), oauth?.stop()]);
  certs?.remove();
});

const value = async (prom: Prometheus, name: string): Promise<string[]> => (await prom.query(name)).map((r) => r.value?.[1] ?? "");

describe("promwire write: connection flags", () => {
  it("--sigv4-region with AWS_* credentials: signed, accepted by the verifier, stored", async () => {
    const r = await runCli(cli, ["write", `${verifier.url}/api/v1/write`, "--sigv4-region", "eu-west-1", "--quiet"], { input: page("cli_sigv4", 1), env: AWS });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(verifier.events.at(-1)?.outcome).toBe("ok");
    expect(await value(plain, "cli_sigv4")).toEqual(["1"]);
  });

  it("PROMWIRE_SIGV4_REGION does the same; a flag wins over its variable", async () => {
    const r = await runCli(cli, ["write", `${verifier.url}/api/v1/write`, "--sigv4-region", "eu-west-1", "--quiet"], { input: page("cli_sigv4_env", 2), env: { ...AWS, PROMWIRE_SIGV4_REGION: "us-east-1" } });
    expect(r.code).toBe(0);
    const r2 = await runCli(cli, ["write", `${verifier.url}/api/v1/write`, "--quiet"], { input: page("cli_sigv4_env", 3), env: { ...AWS, PROMWIRE_SIGV4_REGION: "eu-west-1" } });
    expect([r2.code, r2.stderr]).toEqual([0, ""]);
    expect(await value(plain, "cli_sigv4_env")).toEqual(["3"]);
  });

  it("OAuth2 flags with the secret from PROMWIRE_OAUTH2_CLIENT_SECRET: stored; a wrong secret is one line without it", async () => {
    const args = ["write", `${gate.url}/api/v1/write`, "--oauth2-token-url", oauth.tokenUrl, "--oauth2-client-id", oauth.clientId, "--oauth2-scope", "metrics.write", "--quiet"];
    const ok = await runCli(cli, args, { input: page("cli_oauth2", 4), env: { PROMWIRE_OAUTH2_CLIENT_SECRET: oauth.clientSecret } });
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
    expect(oauth.requests.at(-1)?.form.scope).toBe("metrics.write");
    expect(await value(plain, "cli_oauth2")).toEqual(["4"]);
    const bad = await runCli(cli, args, { input: page("cli_oauth2", 5), env: { PROMWIRE_OAUTH2_CLIENT_SECRET: "wrong-secret-value" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toMatch(/AuthError: oauth2: token endpoint http:\/\/localhost:\d+\/token answered HTTP 401: invalid_client/);
    expect(`${bad.stdout}${bad.stderr}`).not.toContain("wrong-secret-value");
  });

  it("--proxy and --tls-ca/--tls-cert/--tls-key: through a CONNECT tunnel to Prometheus requiring client certificates, stored", async () => {
    const n = proxy.seen.length;
    const r = await runCli(cli, ["write", `${secure.url}/api/v1/write`, "--proxy", proxy.url, "--tls-ca", certs.ca.certFile, "--tls-cert", certs.client.certFile, "--tls-key", certs.client.keyFile, "--quiet"], { input: page("cli_mtls", 6) });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(proxy.seen.slice(n).map((s) => s.kind)).toEqual(["connect"]);
    expect(await value(secure, "cli_mtls")).toEqual(["6"]);
  });

  it("TLS files from PROMWIRE_TLS_*_FILE; without the CA: one line naming the host and the reason", async () => {
    const env = { PROMWIRE_TLS_CA_FILE: certs.ca.certFile, PROMWIRE_TLS_CERT_FILE: certs.client.certFile, PROMWIRE_TLS_KEY_FILE: certs.client.keyFile };
    const r = await runCli(cli, ["write", `${secure.url}/api/v1/write`, "--quiet"], { input: page("cli_mtls_env", 7), env });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const bad = await runCli(cli, ["write", `${secure.url}/api/v1/write`], { input: page("cli_mtls_env", 8) });
    expect(bad.code).toBe(1);
    const host = new URL(secure.url).host;
    expect(bad.stderr.trim()).toMatch(new RegExp(`^promwire: write to ${secure.url}/api/v1/write failed: 1 of 1 sample not delivered after 1 attempt: TlsError: TLS untrusted-certificate for ${host}: .*pass that CA as tls\\.ca`));
  });

  it("usage errors, exit 2: two kinds of credentials, an incomplete OAuth2 client, an unreadable file", async () => {
    const url = `${plain.url}/api/v1/write`;
    const two = await runCli(cli, ["write", url, "--username", "u", "--password", "p", "--sigv4-region", "eu-west-1"], { input: page("x", 1) });
    expect([two.code, two.stderr.trim()]).toEqual([2, "promwire: UsageError: give one kind of credentials: a username and password, a bearer token, SigV4 or OAuth2"]);
    const half = await runCli(cli, ["write", url, "--oauth2-token-url", oauth.tokenUrl, "--oauth2-client-id", "id"], { input: page("x", 1) });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain("set --oauth2-client-id (PROMWIRE_OAUTH2_CLIENT_ID) and --oauth2-client-secret (PROMWIRE_OAUTH2_CLIENT_SECRET) too");
    const missing = await runCli(cli, ["write", url, "--tls-ca", "/nonexistent/ca.pem"], { input: page("x", 1) });
    expect([missing.code, missing.stderr.trim()]).toEqual([2, 'promwire: UsageError: --tls-ca (PROMWIRE_TLS_CA_FILE): cannot read "/nonexistent/ca.pem" (ENOENT)']);
  });

  it("--help lists the connection flags", async () => {
    const r = await runCli(cli, ["write", "--help"]);
    for (const f of ["--sigv4-region", "--oauth2-token-url", "--oauth2-client-secret", "--proxy", "--tls-ca", "--tls-cert", "--tls-key", "PROMWIRE_OAUTH2_CLIENT_SECRET"]) expect(r.stdout).toContain(f);
  });
});
