// A local SigV4 verifier in front of a real backend (Prometheus, Pushgateway), as AWS's front end
// checks a request: the Authorization header parsed, the signature recomputed by an independent
// signer (the `aws4` package) over the method, path, query, the headers the request says it
// signed (as received) and the body as received, `x-amz-date` within 5 minutes, the session token
// when the credentials have one — and, stricter than AWS, a signature seen before is refused, so
// a retry that reuses its first attempt's signature fails. Valid requests are forwarded to the
// backend; `failNext(n)` answers the next n valid ones 503 with `Retry-After: 1`, to make the
// client retry a second later.
import aws4 from "aws4";
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface VerifierCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface VerifierEvent {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Why it was refused, or "ok" / "failed on purpose". */
  readonly outcome: string;
  readonly signature?: string;
  readonly amzDate?: string;
}

export interface SigV4Verifier {
  readonly url: string;
  readonly events: VerifierEvent[];
  /** Answer the next `n` valid requests 503 (after remembering their signatures). */
  failNext(n: number): void;
  close(): Promise<void>;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function amzTime(v: string): number {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(v);
  return m === null ? NaN : Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

/** Start a verifier for `region`/`service` that forwards valid requests to `backend`. */
export function startSigV4Verifier(options: { backend: string; region: string; service: string; credentials: VerifierCredentials }): Promise<SigV4Verifier> {
  const events: VerifierEvent[] = [];
  const seen = new Set<string>();
  let failing = 0;
  const server: Server = createServer(async (req, res) => {
    const raw = await body(req);
    const method = req.method ?? "";
    const path = req.url ?? "/";
    const refuse = (status: number, outcome: string, extra: Partial<VerifierEvent> = {}): void => {
      events.push({ method, path, status, outcome, ...extra });
      // A 503 asks for the retry a second later: x-amz-date has second resolution, so only then
      // can the retry's signature differ from the first (same body, same headers).
      res.writeHead(status, { "content-type": "text/plain", ...(status === 503 ? { "retry-after": "1" } : {}) }).end(`${outcome}\n`);
    };
    const m = AUTH.exec(String(req.headers.authorization ?? ""));
    if (m === null) return refuse(403, "missing or malformed Authorization");
    const [, keyId, date, region, service, signedHeaders, signature] = m;
    const amzDate = String(req.headers["x-amz-date"] ?? "");
    const c = options.credentials;
    if (keyId !== c.accessKeyId) return refuse(403, "unknown access key", { signature, amzDate });
    if (region !== options.region || service !== options.service || !amzDate.startsWith(date)) return refuse(403, "wrong credential scope", { signature, amzDate });
    if (!(Math.abs(Date.now() - amzTime(amzDate)) <= 5 * 60_000)) return refuse(403, "signature expired (x-amz-date more than 5 minutes off)", { signature, amzDate });
    if (c.sessionToken !== undefined && req.headers["x-amz-security-token"] !== c.sessionToken) return refuse(403, "missing or wrong security token", { signature, amzDate });
    const names = signedHeaders.split(";");
    if (!names.includes("host") || !names.includes("x-amz-date")) return refuse(403, "host and x-amz-date must be signed", { signature, amzDate });
    const headers: Record<string, string> = {};
    for (const n of names) {
      const v = req.headers[n];
      if (v === undefined) return refuse(403, `signed header ${n} missing`, { signature, amzDate });
      headers[n] = Array.isArray(v) ? v.join(",") : v;
    }
    // Exactly the signed headers, nothing added; the date the request claims (aws4 would take the clock's).
    const signer = new aws4.RequestSigner({ method, host: headers.host, path, headers, body: raw, service, region, doNotModifyHeaders: true } as aws4.Request, {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
    });
    signer.datetime = amzDate;
    const expected = signer.authHeader();
    if (expected !== req.headers.authorization) return refuse(403, "signature does not match", { signature, amzDate });
    if (seen.has(signature)) return refuse(403, "signature reused", { signature, amzDate });
    seen.add(signature);
    if (failing > 0) {
      failing--;
      return refuse(503, "failed on purpose", { signature, amzDate });
    }
    const forwarded: Record<string, string> = {};
    for (const h of ["content-type", "content-encoding", "x-prometheus-remote-write-version"]) {
      const v = req.headers[h];
      if (typeof v === "string") forwarded[h] = v;
    }
    const back = await fetch(`${options.backend}${path}`, { method, headers: forwarded, body: raw.length > 0 || method === "POST" || method === "PUT" ? new Uint8Array(raw) : undefined });
    const text = await back.text();
    events.push({ method, path, status: back.status, outcome: "ok", signature, amzDate });
    res.writeHead(back.status, { "content-type": back.headers.get("content-type") ?? "text/plain" }).end(text);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        events,
        failNext: (n) => {
          failing = n;
        },
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
