// The PROMWIRE_* connection variables (SigV4, OAuth2, proxy, TLS files): what they set, the
// clear errors, the code winning, variables Deno will not let promwire read counting as unset —
// and through the Node entry, a writer configured by the environment alone signing its requests.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { remoteWrite, Registry, Gauge } from "../../adapters/node.ts";
import { connectionFromEnv, withConnectionFromEnv } from "../../core/runtime/env-connection.ts";
import { EnvPermissionError } from "../../core/errors.ts";

const read = (path: string): string => readFileSync(path, "utf8");
const envOf = (vars: Record<string, string>) => (name: string): string | undefined => vars[name];

describe("connection variables", () => {
  it("SigV4 and OAuth2 from their variables; scopes space- or comma-separated", () => {
    expect(connectionFromEnv(envOf({ PROMWIRE_SIGV4_REGION: "eu-west-1" })).auth).toEqual({ sigv4: { region: "eu-west-1", service: undefined } });
    expect(
      connectionFromEnv(
        envOf({ PROMWIRE_OAUTH2_TOKEN_URL: "https://login.example/token", PROMWIRE_OAUTH2_CLIENT_ID: "id", PROMWIRE_OAUTH2_CLIENT_SECRET: "sec", PROMWIRE_OAUTH2_SCOPES: "a b,c", PROMWIRE_OAUTH2_AUDIENCE: "prom" }),
      ).auth,
    ).toEqual({ oauth2: { tokenUrl: "https://login.example/token", clientId: "id", clientSecret: "sec", scopes: ["a", "b", "c"], audience: "prom" } });
    expect(connectionFromEnv(envOf({ PROMWIRE_PROXY_URL: "http://proxy:3128" }))).toEqual({ auth: undefined, proxy: "http://proxy:3128", tls: undefined });
    expect(connectionFromEnv(envOf({}))).toEqual({ auth: undefined, proxy: undefined, tls: undefined });
  });

  it("clear errors: two schemes, an incomplete OAuth2 client, credentials set twice", () => {
    expect(() => connectionFromEnv(envOf({ PROMWIRE_SIGV4_REGION: "r", PROMWIRE_OAUTH2_TOKEN_URL: "https://t" }))).toThrow(/set either PROMWIRE_SIGV4_REGION or PROMWIRE_OAUTH2_TOKEN_URL, not both/);
    expect(() => connectionFromEnv(envOf({ PROMWIRE_OAUTH2_TOKEN_URL: "https://t", PROMWIRE_OAUTH2_CLIENT_ID: "id" }))).toThrow(/set PROMWIRE_OAUTH2_CLIENT_ID and PROMWIRE_OAUTH2_CLIENT_SECRET too/);
    expect(() => withConnectionFromEnv(envOf({ PROMWIRE_SIGV4_REGION: "r" }), read, {}, { url: "u", auth: { username: "u", password: "p" } })).toThrow(/credentials are set twice/);
  });

  it("TLS files read; a missing one named with its path, never its content", () => {
    const dir = mkdtempSync(join(tmpdir(), "promwire-env-"));
    writeFileSync(join(dir, "ca.pem"), "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
    expect(connectionFromEnv(envOf({ PROMWIRE_TLS_CA_FILE: join(dir, "ca.pem") }), read).tls).toEqual({ ca: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n", cert: undefined, key: undefined });
    expect(() => connectionFromEnv(envOf({ PROMWIRE_TLS_KEY_FILE: join(dir, "nope.key") }), read)).toThrow(new RegExp(`PROMWIRE_TLS_KEY_FILE: cannot read ".*nope.key" \\(ENOENT\\)`));
    expect(() => connectionFromEnv(envOf({ PROMWIRE_TLS_CA_FILE: "/x" }))).toThrow(/reads no files/);
  });

  it("the code's auth, proxy and tls win; a variable the runtime refuses to show counts as unset", () => {
    const env = envOf({ PROMWIRE_SIGV4_REGION: "r", PROMWIRE_PROXY_URL: "http://env-proxy:1" });
    const given: { url?: string; auth?: { bearer: string }; proxy?: string } = { auth: { bearer: "t" }, proxy: "http://code-proxy:2" };
    const out = withConnectionFromEnv(env, read, given, { url: "u", auth: { bearer: "t" }, proxy: given.proxy });
    expect(out).toMatchObject({ auth: { bearer: "t" }, proxy: "http://code-proxy:2" });
    const denied = (name: string): string | undefined => {
      if (name === "PROMWIRE_PROXY_URL") return "http://p:1";
      throw new EnvPermissionError(name, "run with --allow-env");
    };
    expect(connectionFromEnv(denied)).toEqual({ auth: undefined, proxy: "http://p:1", tls: undefined });
  });
});

describe("a Node job configured by the environment alone", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it("PROMWIRE_REMOTE_WRITE_URL + PROMWIRE_SIGV4_REGION + AWS_*: every request SigV4-signed", async () => {
    Object.assign(process.env, {
      PROMWIRE_REMOTE_WRITE_URL: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
      PROMWIRE_SIGV4_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "AKIDENVONLY",
      AWS_SECRET_ACCESS_KEY: "env-secret",
    });
    const seen: Record<string, string>[] = [];
    const rw = remoteWrite({
      fetch: async (_url, init) => {
        const h: Record<string, string> = {};
        new Headers(init.headers).forEach((v, k) => (h[k] = v));
        seen.push(h);
        return new Response(null, { status: 204 });
      },
      flushOnExit: false,
    });
    const registry = new Registry();
    new Gauge({ name: "env_job", help: "x", registry }).set(1);
    rw.collect(registry);
    expect((await rw.close()).sent).toBe(1);
    expect(seen[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDENVONLY\/\d{8}\/eu-west-1\/aps\/aws4_request, SignedHeaders=content-encoding;content-length;content-type;host;x-amz-date;x-prometheus-remote-write-version, Signature=[0-9a-f]{64}$/);
  });
});
