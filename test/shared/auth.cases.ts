// Auth behaviour every runtime must show, Workers included, through the runtime's own entry and
// WebCrypto: SigV4 gives the known answer (checked against `aws4` on Node by
// test/client/http/sigv4.test.ts), a token function and OAuth2 renew after a 401, and what a
// runtime cannot do is refused with a clear error (Workers: proxy, tls, auth given as data).
import { BIND_AUTH, type BindableAuth } from "../../core/client/http/connection.ts";
import { assert, assertEqual, assertRejects, type SharedCase } from "./harness.ts";

/** A SigV4 known answer: inputs, and the Authorization header `aws4` computes for them. */
export const SIGV4_KAT = {
  url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-12345678-abcd/api/v1/remote_write",
  headers: { "content-encoding": "snappy", "content-type": "application/x-protobuf", "x-prometheus-remote-write-version": "0.1.0", "user-agent": "promwire/0.1.0" },
  body: Array.from({ length: 64 }, (_, i) => i),
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "FwoGZXIvYXdzEXAMPLE" },
  region: "eu-west-1",
  time: Date.UTC(2026, 0, 2, 3, 4, 5),
  authorization:
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/eu-west-1/aps/aws4_request, SignedHeaders=content-encoding;content-length;content-type;host;x-amz-date;x-amz-security-token;x-prometheus-remote-write-version, Signature=e07168c9bdbcdeacc1b4d4ab5e6adccceec5cdfdb8a49984f03506beeb1a38ec",
} as const;

interface Captured {
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** A fetch that records requests and answers from `answers` in turn (then 204). */
function recordingFetch(answers: number[], tokenBody?: () => object): { fetch: (input: string, init: RequestInit) => Promise<Response>; seen: Captured[] } {
  const seen: Captured[] = [];
  return {
    seen,
    fetch: async (input, init) => {
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => (headers[k] = v));
      seen.push({ url: input, headers });
      if (input.endsWith("/token") && tokenBody !== undefined) return Response.json(tokenBody());
      return new Response(null, { status: answers.shift() ?? 204 });
    },
  };
}

export const authCases: SharedCase[] = [
  {
    name: "auth: SigV4 signs with this runtime's WebCrypto, the known answer byte for byte",
    run: async ({ promwire }) => {
      const k = SIGV4_KAT;
      const auth = promwire.sigv4({ region: k.region, credentials: k.credentials }) as unknown as BindableAuth;
      const signer = auth[BIND_AUTH]({ getEnv: () => undefined, fetch: () => Promise.reject(new Error("unused")), now: () => k.time });
      const headers = await signer.sign({ method: "POST", url: k.url, headers: k.headers, body: new Uint8Array(k.body) });
      assertEqual(headers.authorization, k.authorization, "Authorization");
      assertEqual(headers["x-amz-date"], "20260102T030405Z", "x-amz-date");
      assertEqual(headers["x-amz-security-token"], k.credentials.sessionToken, "x-amz-security-token");
    },
  },
  {
    name: "auth: sigv4() on a writer signs every attempt anew (a 503, then the retry one second later)",
    run: async ({ promwire }) => {
      const { fetch, seen } = recordingFetch([503]);
      let now = Date.UTC(2026, 0, 2, 3, 4, 5);
      const rw = promwire.remoteWrite({
        url: "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write",
        auth: promwire.sigv4({ region: "eu-west-1", credentials: SIGV4_KAT.credentials }),
        fetch,
        now: () => now,
        retry: { minBackoffMs: 1, maxBackoffMs: 1, maxAttempts: 2 },
        onRetry: () => {
          now += 1000;
        },
        flushOnExit: false,
      });
      const registry = new promwire.Registry();
      new promwire.Gauge({ name: "sigv4_case", help: "x", registry }).set(1);
      rw.collect(registry);
      const stats = await rw.close();
      assertEqual([stats.sent, stats.retries], [1, 1], "sent, retries");
      assertEqual(seen.length, 2, "attempts");
      assertEqual([seen[0].headers["x-amz-date"], seen[1].headers["x-amz-date"]], ["20260102T030405Z", "20260102T030406Z"], "x-amz-date per attempt");
      assert(seen[0].headers.authorization !== seen[1].headers.authorization, "the retry carries its own signature");
    },
  },
  {
    name: "auth: a token function is called per attempt and once more after a 401; a second 401 is final",
    run: async ({ promwire }) => {
      let n = 0;
      const { fetch, seen } = recordingFetch([401, 204, 401, 401]);
      const errors: string[] = [];
      const rw = promwire.remoteWrite({ url: "https://prom.example/api/v1/write", auth: { token: async () => `t${++n}` }, fetch, flushOnExit: false, retry: { maxAttempts: 3, minBackoffMs: 1, maxBackoffMs: 1 }, onError: (e) => errors.push(e.message) });
      const registry = new promwire.Registry();
      const g = new promwire.Gauge({ name: "token_case", help: "x", registry });
      g.set(1);
      rw.collect(registry);
      await rw.flush();
      g.set(2);
      rw.collect(registry);
      const stats = await rw.close();
      assertEqual(seen.map((s) => s.headers.authorization), ["Bearer t1", "Bearer t2", "Bearer t3", "Bearer t4"], "tokens sent");
      assertEqual([stats.sent, stats.failed, stats.retries], [1, 1, 0], "sent, failed, retries");
      assert(/HTTP 401/.test(errors[0] ?? ""), `the 401 reported: ${errors[0]}`);
    },
  },
  {
    name: "auth: oauth2() fetches one token through the client's fetch, renews it after a 401",
    run: async ({ promwire }) => {
      let issued = 0;
      const { fetch, seen } = recordingFetch([401], () => ({ access_token: `tok${++issued}`, token_type: "Bearer", expires_in: 3600 }));
      const rw = promwire.remoteWrite({
        url: "https://prom.example/api/v1/write",
        auth: promwire.oauth2({ tokenUrl: "https://login.example/token", clientId: "id", clientSecret: "sec" }),
        fetch,
        flushOnExit: false,
      });
      const registry = new promwire.Registry();
      new promwire.Gauge({ name: "oauth2_case", help: "x", registry }).set(1);
      rw.collect(registry);
      await rw.close();
      assertEqual(
        seen.map((s) => [new URL(s.url).pathname, s.headers.authorization]),
        [
          ["/token", "Basic aWQ6c2Vj"],
          ["/api/v1/write", "Bearer tok1"],
          ["/token", "Basic aWQ6c2Vj"],
          ["/api/v1/write", "Bearer tok2"],
        ],
        "requests",
      );
    },
  },
  {
    name: "auth: what a runtime cannot do is refused at once, saying why (Workers: proxy, tls, auth as data)",
    run: async ({ promwire, runtime }) => {
      const url = "https://prom.example/api/v1/write";
      const attempts: [string, Parameters<typeof promwire.remoteWrite>[0]][] = [
        ["proxy", { url, proxy: "http://proxy.example:3128", flushOnExit: false }],
        ["tls", { url, tls: { ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" }, flushOnExit: false }],
        ["auth as data", { url, auth: { sigv4: { region: "eu-west-1", credentials: SIGV4_KAT.credentials } }, flushOnExit: false }],
      ];
      for (const [what, options] of attempts) {
        if (runtime === "workerd") {
          await assertRejects(() => promwire.remoteWrite(options), "ValidationError", /need promwire\/node, \/deno or \/bun \(Workers: auth: sigv4\(…\) \| oauth2\(…\); no proxy or tls\)/);
        } else {
          const rw = promwire.remoteWrite(options);
          assertEqual((await rw.close()).sent, 0, `${what} accepted`);
        }
      }
      await assertRejects(() => promwire.pushgateway({ url, job: "j", tls: { ca: "ca.pem" } }), "ValidationError", runtime === "workerd" ? /no proxy or tls/ : /tls\.ca must be PEM text/);
    },
  },
];
