// SigV4 against two independent signers, byte for byte: the `aws4` package (the signer most
// JavaScript code uses) and AWS's own `@smithy/signature-v4` (what the AWS SDK for JavaScript
// signs with), over fast-check-generated requests at fixed dates, through the same `sign` a client
// calls on every attempt. Then the canonical forms on their own.
import aws4 from "aws4";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sigv4 } from "../../../core/client/http/auth-schemes.ts";
import type { AwsCredentials, SignAuth } from "../../../core/client/http/auth.ts";
import { BIND_AUTH, type BindableAuth } from "../../../core/client/http/connection.ts";
import { SIGV4_KAT } from "../../shared/auth.cases.ts";
import { amzDate, canonicalPath, canonicalQuery, signV4, UNSIGNED_HEADERS } from "../../../core/client/http/sigv4.ts";

/** promwire's signer as a client binds it, its clock pinned. */
function promwireSigner(region: string, service: string, credentials: AwsCredentials, time: number): SignAuth {
  const auth = sigv4({ region, service, credentials }) as unknown as BindableAuth;
  return auth[BIND_AUTH]({ getEnv: () => undefined, fetch: () => Promise.reject(new Error("no fetch")), now: () => time });
}

interface Case {
  method: "POST" | "PUT" | "DELETE" | "GET";
  url: URL;
  headers: Record<string, string>;
  body: Uint8Array | undefined;
  credentials: AwsCredentials;
  region: string;
  service: string;
  time: number;
}

const lower = "abcdefghijklmnopqrstuvwxyz";
const token = fc.string({ unit: fc.constantFrom(...`${lower}0123456789-`.split("")), minLength: 1, maxLength: 16 });
const label = fc.tuple(fc.constantFrom(...lower.split("")), fc.string({ unit: fc.constantFrom(...`${lower}0123456789`.split("")), maxLength: 10 })).map(([a, b]) => a + b);
// Raw path characters: unreserved, sub-delims, ':', '@', '%', space, '/' (so empty segments
// occur), and non-ASCII (the URL encodes those as UTF-8). Not `[ ] | ^ \`: WHATWG URLs send
// them raw, and aws4 alone then re-encodes the whole path by a heuristic of its own.
const pathUnit = fc.oneof(
  fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@% /".split("")),
  fc.constantFrom("é", "€", "ሴ", "😀", ".", ".."),
);
const segment = fc.string({ unit: pathUnit, maxLength: 8 });
const queryText = fc.string({ unit: fc.oneof(fc.constantFrom(..."aZ0-_.~ +=&%/?#!*'()".split("")), fc.constantFrom("é", "€")), maxLength: 6 });
const headerValue = fc.string({ unit: fc.constantFrom(..." \tabcXYZ019-_.:;,/=+*\"'()[]{}<>?@!#$%^&|~`".split("")), maxLength: 24 }).filter((v) => v.trim() !== "" || v === "");
// Names that promwire (and so the oracles, told the same) leave unsigned are generated too. Not
// the names of Object.prototype's members (`constructor`, `toString`…): aws4 looks header names
// up in plain objects and so never signs those (a header test below covers them against AWS's).
const PROTO_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype).map((n) => n.toLowerCase()));
const headerName = fc
  .oneof(token.map((t) => `x-${t}`), token, fc.constantFrom("content-encoding", "x-prometheus-remote-write-version", "cache-control", "range", "proxy-x", "sec-fetch-mode", "x-amzn-trace-id"))
  .filter((n) => !PROTO_NAMES.has(n));

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    method: fc.constantFrom("POST", "PUT", "DELETE", "GET") as fc.Arbitrary<Case["method"]>,
    secure: fc.boolean(),
    host: fc.array(label, { minLength: 1, maxLength: 4 }).map((p) => p.join(".")),
    port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
    segments: fc.array(segment, { maxLength: 5 }),
    query: fc.array(fc.tuple(queryText, fc.option(queryText, { nil: undefined })), { maxLength: 6 }),
    headers: fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
    body: fc.uint8Array({ maxLength: 300 }),
    contentType: fc.constantFrom("application/x-protobuf", "application/x-protobuf;proto=io.prometheus.write.v2.Request", "text/plain; version=0.0.4; charset=utf-8"),
    accessKeyId: fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".split("")), minLength: 16, maxLength: 20 }),
    secretAccessKey: fc.string({ unit: fc.constantFrom(..."ABCabc0189+/".split("")), minLength: 40, maxLength: 40 }),
    sessionToken: fc.option(fc.string({ unit: fc.constantFrom(..."ABCabc0189+/=".split("")), minLength: 20, maxLength: 120 }), { nil: undefined }),
    region: fc.constantFrom("us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-2"),
    service: fc.oneof(fc.constant("aps"), token.filter((s) => s !== "s3" && s !== "email")),
    // Whole seconds from 2001 to 2099: x-amz-date has second resolution.
    seconds: fc.integer({ min: 978_307_200, max: 4_102_444_799 }),
  })
  .map((r) => {
    const url = new URL(`${r.secure ? "https" : "http"}://${r.host}${r.port === undefined ? "" : `:${r.port}`}`);
    url.pathname = `/${r.segments.join("/")}`;
    url.search = r.query.map(([k, v]) => (v === undefined ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%20/g, "+")}`)).join("&");
    const withBody = r.method === "POST" || r.method === "PUT";
    const headers: Record<string, string> = { ...r.headers, "user-agent": "promwire/0.1.0" };
    if (withBody) headers["content-type"] = r.contentType;
    return {
      method: r.method,
      url,
      headers,
      body: withBody ? r.body : undefined,
      credentials: { accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey, sessionToken: r.sessionToken },
      region: r.region,
      service: r.service,
      time: r.seconds * 1000,
    };
  });

/** What promwire leaves unsigned, for the oracles' own options. */
function unsignedIn(headers: Record<string, string>): string[] {
  return Object.keys(headers).filter((h) => UNSIGNED_HEADERS.has(h) || h.startsWith("proxy-") || h.startsWith("sec-"));
}

function withoutUnsigned(headers: Record<string, string>): Record<string, string> {
  const kept = new Set(unsignedIn(headers));
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !kept.has(k)));
}

async function ours(c: Case): Promise<Record<string, string>> {
  return promwireSigner(c.region, c.service, c.credentials, c.time).sign({ method: c.method, url: c.url.href, headers: c.headers, body: c.body });
}

function byAws4(c: Case): Record<string, string> {
  const signed = aws4.sign(
    {
      method: c.method,
      host: c.url.hostname,
      port: c.url.port === "" ? undefined : Number(c.url.port),
      path: `${c.url.pathname}${c.url.search}`,
      headers: { ...c.headers, "x-amz-date": amzDate(c.time) },
      body: c.body === undefined ? undefined : Buffer.from(c.body),
      service: c.service,
      region: c.region,
      extraHeadersToIgnore: Object.fromEntries(unsignedIn(c.headers).map((h) => [h, true])),
    } as aws4.Request,
    c.credentials,
  );
  return signed.headers as Record<string, string>;
}

async function bySmithy(c: Case): Promise<Record<string, string>> {
  const signer = new SignatureV4({ credentials: c.credentials, region: c.region, service: c.service, sha256: Hash.bind(null, "sha256"), applyChecksum: false });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(c.url.search)) {
    if (k === "") continue;
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const headers: Record<string, string> = { ...withoutUnsigned(c.headers), host: c.url.host };
  if (c.body !== undefined) headers["content-length"] = String(c.body.byteLength);
  const signed = await signer.sign(
    { method: c.method, protocol: c.url.protocol, hostname: c.url.hostname, port: c.url.port === "" ? undefined : Number(c.url.port), path: c.url.pathname, query, headers, body: c.body },
    { signingDate: new Date(c.time) },
  );
  return signed.headers;
}

describe("SigV4: byte-equal Authorization to independent signers", () => {
  it("aws4 (fast-check, 400 requests)", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const mine = await ours(c);
        const theirs = byAws4(c);
        expect(mine.authorization).toBe(theirs.Authorization);
        expect(mine["x-amz-date"]).toBe(amzDate(c.time));
        expect(mine["x-amz-security-token"]).toBe(c.credentials.sessionToken);
      }),
      { numRuns: 400 },
    );
  });

  it("AWS's @smithy/signature-v4 (fast-check, 400 requests)", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const mine = await ours(c);
        const theirs = await bySmithy(c);
        expect(mine.authorization).toBe(theirs.authorization);
        expect(mine["x-amz-date"]).toBe(theirs["x-amz-date"]);
        expect(mine["x-amz-security-token"]).toBe(theirs["x-amz-security-token"]);
      }),
      { numRuns: 400 },
    );
  });

  it("headers named like Object.prototype's members are signed like any other (as AWS's signer does)", async () => {
    const c: Case = {
      method: "PUT",
      url: new URL("https://pushgateway.example/metrics/job/j"),
      headers: { constructor: "c", tostring: "t", "content-type": "text/plain", "user-agent": "promwire/0.1.0" },
      body: new Uint8Array([1, 2, 3]),
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      region: "eu-west-1",
      service: "aps",
      time: Date.UTC(2026, 0, 1),
    };
    const mine = await ours(c);
    expect(mine.authorization).toContain("SignedHeaders=constructor;content-length;content-type;host;tostring;x-amz-date,");
    expect(mine.authorization).toBe((await bySmithy(c)).authorization);
  });

  it("a remote-write request: host with port, protocol headers signed, user-agent not, content-length of the exact body", async () => {
    const body = new Uint8Array([0xff, 0x00, 0x10, 0x20]);
    const c: Case = {
      method: "POST",
      url: new URL("https://aps-workspaces.eu-west-1.amazonaws.com:8443/workspaces/ws-1/api/v1/remote_write"),
      headers: { "content-encoding": "snappy", "content-type": "application/x-protobuf", "x-prometheus-remote-write-version": "0.1.0", "user-agent": "promwire/0.1.0" },
      body,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
      region: "eu-west-1",
      service: "aps",
      time: Date.UTC(2026, 0, 2, 3, 4, 5),
    };
    const h = await ours(c);
    expect(h.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260102\/eu-west-1\/aps\/aws4_request, SignedHeaders=content-encoding;content-length;content-type;host;x-amz-date;x-prometheus-remote-write-version, Signature=[0-9a-f]{64}$/,
    );
    expect(h["x-amz-date"]).toBe("20260102T030405Z");
    expect(h.authorization).toBe(byAws4(c).Authorization);
    // One byte more in the body, one second later: another signature each time.
    expect((await ours({ ...c, body: new Uint8Array([...body, 1]) })).authorization).not.toBe(h.authorization);
    expect((await ours({ ...c, time: c.time + 1000 })).authorization).not.toBe(h.authorization);
  });
});

describe("the known answer every runtime checks (test/shared/auth.cases.ts)", () => {
  it("is what aws4 computes for its inputs", () => {
    const k = SIGV4_KAT;
    const url = new URL(k.url);
    const signed = aws4.sign(
      { method: "POST", host: url.host, path: url.pathname, headers: { ...k.headers, "x-amz-date": amzDate(k.time) }, body: Buffer.from(k.body), service: "aps", region: k.region },
      k.credentials,
    );
    expect(signed.headers?.Authorization).toBe(k.authorization);
  });
});

describe("SigV4 canonical forms", () => {
  it("path: repeated slashes collapsed, dot segments resolved, each segment encoded once more", () => {
    expect(canonicalPath("/")).toBe("/");
    expect(canonicalPath("//a//b/")).toBe("/a/b/");
    expect(canonicalPath("/a/./b/../c")).toBe("/a/c");
    expect(canonicalPath("/a%20b/%E2%82%AC")).toBe("/a%2520b/%25E2%2582%25AC");
    expect(canonicalPath("/!'()*")).toBe("/%21%27%28%29%2A");
  });

  it("query: decoded (+ is a space), RFC 3986-encoded, sorted by name then value, nameless parameters left out", () => {
    expect(canonicalQuery("?b=2&a=x+y&a=%41&=z&c")).toBe("a=A&a=x%20y&b=2&c=");
    expect(canonicalQuery("")).toBe("");
    expect(canonicalQuery("?q=%zz")).toBe("q=%25zz");
    expect(canonicalQuery("?%E2%82%AC=!")).toBe("%E2%82%AC=%21");
  });

  it("x-amz-date is UTC to the second", () => {
    expect(amzDate(Date.UTC(2015, 7, 30, 12, 36, 0, 999))).toBe("20150830T123600Z");
  });
});

describe("SigV4 options", () => {
  const bind = (options: Parameters<typeof sigv4>[0], env: Record<string, string> = {}): SignAuth =>
    (sigv4(options) as unknown as BindableAuth)[BIND_AUTH]({ getEnv: (n) => env[n], fetch: () => Promise.reject(new Error("no fetch")), now: () => Date.UTC(2026, 0, 1) });

  it("region and credentials from AWS_* variables when not given; session token signed", async () => {
    const s = bind({}, { AWS_REGION: "eu-north-1", AWS_ACCESS_KEY_ID: "AKIDENV", AWS_SECRET_ACCESS_KEY: "secret-from-env", AWS_SESSION_TOKEN: "session-token" });
    const h = await s.sign({ method: "POST", url: "https://aps.example/api/v1/write", headers: {}, body: new Uint8Array(1) });
    expect(h.authorization).toContain("Credential=AKIDENV/20260101/eu-north-1/aps/aws4_request");
    expect(h.authorization).toContain("x-amz-security-token");
    expect(h["x-amz-security-token"]).toBe("session-token");
  });

  it("missing region or credentials: ValidationError at once, naming what to set (never a secret)", () => {
    expect(() => bind({ credentials: { accessKeyId: "A", secretAccessKey: "S" } })).toThrow(/region is not set \(nor AWS_REGION \/ AWS_DEFAULT_REGION\)/);
    expect(() => bind({ region: "eu-west-1" })).toThrow(/no AWS credentials: pass auth.sigv4.credentials, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(() => bind({ region: "eu-west-1", credentials: { accessKeyId: "AKID", secretAccessKey: "" } })).toThrow(/accessKeyId and secretAccessKey must be non-empty/);
  });

  it("a credentials function: called per attempt, its result reused while `expiration` is more than a minute away", async () => {
    let calls = 0;
    let now = Date.UTC(2026, 0, 1);
    const expiration = new Date(now + 10 * 60_000);
    const auth = sigv4({ region: "eu-west-1", credentials: async () => ({ accessKeyId: `AKID${++calls}`, secretAccessKey: "s", expiration }) }) as unknown as BindableAuth;
    const s = auth[BIND_AUTH]({ getEnv: () => undefined, fetch: () => Promise.reject(new Error("no")), now: () => now });
    const req = { method: "POST", url: "https://aps.example/", headers: {}, body: new Uint8Array(0) };
    await s.sign(req);
    await s.sign(req);
    expect(calls).toBe(1);
    now = expiration.getTime() - 30_000; // within the last minute: fetched anew
    expect((await s.sign(req)).authorization).toContain("Credential=AKID2/");
    const failing = (sigv4({ region: "eu-west-1", credentials: () => Promise.reject(new Error("IMDS timed out")) }) as unknown as BindableAuth)[BIND_AUTH]({
      getEnv: () => undefined,
      fetch: () => Promise.reject(new Error("no")),
      now: () => now,
    });
    await expect(failing.sign(req)).rejects.toMatchObject({ _tag: "AuthError", scheme: "sigv4", message: "sigv4: the credentials function failed: IMDS timed out" });
  });
});

describe("AWS's published examples (known answers from AWS's documentation)", () => {
  // The `get-vanilla` case of AWS's Signature Version 4 test suite, also the worked example of
  // AWS's "Create a signed AWS API request" documentation: its inputs and its Authorization header.
  it("get-vanilla: GET / on example.amazonaws.com at 20150830T123600Z", async () => {
    const { headers, canonicalRequest } = await signV4(
      { method: "GET", host: "example.amazonaws.com", path: "/", query: "", headers: {}, body: undefined },
      { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" },
      { region: "us-east-1", service: "service", time: Date.UTC(2015, 7, 30, 12, 36, 0) },
    );
    expect(canonicalRequest).toBe(
      "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(headers.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
  });
});
