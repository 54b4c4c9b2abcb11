// OAuth2 for tests: a real OAuth2 server from npm (`oauth2-mock-server`: RS256-signed JWTs, its
// client-credentials grant) configured through its documented hooks to check the client's id and
// secret (HTTP Basic or form fields, Basic refusable), to issue tokens of a chosen lifetime, and
// to record each token request; and a resource gate in front of a real backend that verifies each
// Bearer JWT against the server's JWKS with `jose` (signature, issuer, expiry) — a revoked token,
// an expired one or a missing scope gets 401 — and forwards what passes.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { OAuth2Server } from "oauth2-mock-server";

export interface TokenRequestRecord {
  /** How the client authenticated: "basic", "body", or "none". */
  readonly style: "basic" | "body" | "none";
  readonly form: Record<string, string>;
  readonly status: number;
}

export interface OAuth2Fixture {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: TokenRequestRecord[];
  /** Lifetime of the next tokens, seconds (default 3600). */
  expiresIn: number;
  /** Whether client credentials in HTTP Basic are accepted (default true). */
  acceptBasic: boolean;
  /** Answer the next `n` token requests 503. */
  failNext(n: number): void;
  /** A token as the server issues it (for the `token` escape hatch). */
  issue(expiresIn?: number): Promise<string>;
  readonly jwks: () => JSONWebKeySet;
  readonly issuer: string;
  stop(): Promise<void>;
}

function basicCredentials(req: IncomingMessage): { id: string; secret: string } | undefined {
  const m = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ""));
  if (m === null) return undefined;
  const [id, secret] = Buffer.from(m[1], "base64").toString("utf8").split(":");
  // RFC 6749 §2.3.1: both form-urlencoded before Basic.
  const dec = (s: string): string => decodeURIComponent((s ?? "").replace(/\+/g, " "));
  return { id: dec(id), secret: dec(secret) };
}

/** Start the OAuth2 server with one registered client. */
export async function startOAuth2(clientId = "promwire-writer", clientSecret = "s3cr3t/with+odd chars&="): Promise<OAuth2Fixture> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate("RS256");
  await server.start(0, "127.0.0.1");
  const issuer = server.issuer.url!;
  let failing = 0;
  const fixture: OAuth2Fixture = {
    tokenUrl: `${issuer}/token`,
    clientId,
    clientSecret,
    requests: [],
    expiresIn: 3600,
    acceptBasic: true,
    failNext: (n) => {
      failing = n;
    },
    issue: (expiresIn = 3600) => server.issuer.buildToken({ expiresIn, scopesOrTransform: (_h, payload) => void (payload.jti = randomUUID()) }),
    jwks: () => ({ keys: server.issuer.keys.toJSON() }) as JSONWebKeySet,
    issuer,
    stop: () => server.stop(),
  };
  // A unique `jti`, as real servers issue: RS256 is deterministic, so two tokens issued in the same
  // second with the same claims would otherwise be the same token.
  server.service.on("beforeTokenSigning", (token) => {
    // Whole seconds, rounded up: the token lives at least `expires_in`, as the client is told.
    token.payload.exp = Math.ceil(Date.now() / 1000 + fixture.expiresIn);
    token.payload.jti = randomUUID();
  });
  server.service.on("beforeResponse", (response, req) => {
    const form = { ...(req.body as unknown as Record<string, string>) };
    const basic = basicCredentials(req);
    const style = basic !== undefined ? "basic" : form.client_id !== undefined ? "body" : "none";
    const id = basic?.id ?? form.client_id;
    const secret = basic?.secret ?? form.client_secret;
    delete form.client_secret;
    if (failing > 0) {
      failing--;
      response.statusCode = 503;
      response.body = { error: "temporarily_unavailable" };
    } else if ((style === "basic" && !fixture.acceptBasic) || id !== clientId || secret !== clientSecret) {
      response.statusCode = 401;
      response.body = { error: "invalid_client", error_description: "Client authentication failed" };
    } else if (typeof response.body === "object") {
      response.body.expires_in = fixture.expiresIn;
    }
    fixture.requests.push({ style, form, status: response.statusCode });
  });
  return fixture;
}

export interface GateEvent {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** "ok", or why the token was refused. */
  readonly outcome: string;
  /** The token's `jti`-less identity: its signature part. */
  readonly token?: string;
}

export interface OAuth2Gate {
  readonly url: string;
  readonly events: GateEvent[];
  /** Refuse this token from now on (as if revoked at the authorization server). */
  revoke(token: string): void;
  /** The token of the last request that carried one. */
  lastToken(): string | undefined;
  /** Require this scope claim (undefined: any). */
  requireScope: string | undefined;
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** A gate that admits requests whose Bearer token `oauth` issued, unexpired and not revoked, to `backend`. */
export function startGate(oauth: OAuth2Fixture, backend: string): Promise<OAuth2Gate> {
  const events: GateEvent[] = [];
  const revoked = new Set<string>();
  let last: string | undefined;
  const gate = {
    events,
    revoke: (t: string) => revoked.add(t),
    lastToken: () => last,
    requireScope: undefined as string | undefined,
  };
  const server: Server = createServer(async (req, res) => {
    const raw = await body(req);
    const method = req.method ?? "";
    const path = req.url ?? "/";
    const refuse = (outcome: string, token?: string): void => {
      events.push({ method, path, status: 401, outcome, token });
      res.writeHead(401, { "www-authenticate": `Bearer error="invalid_token"`, "content-type": "text/plain" }).end(`${outcome}\n`);
    };
    const m = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ""));
    if (m === null) return refuse("no bearer token");
    const token = m[1];
    last = token;
    if (revoked.has(token)) return refuse("revoked", token);
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(oauth.jwks()), { issuer: oauth.issuer, clockTolerance: 0 });
      if (gate.requireScope !== undefined && !String(payload.scope ?? "").split(" ").includes(gate.requireScope)) return refuse("missing scope", token);
    } catch (e) {
      return refuse(`invalid token: ${(e as { code?: string }).code ?? (e as Error).message}`, token);
    }
    const forwarded: Record<string, string> = {};
    for (const h of ["content-type", "content-encoding", "x-prometheus-remote-write-version"]) {
      const v = req.headers[h];
      if (typeof v === "string") forwarded[h] = v;
    }
    const back = await fetch(`${backend}${path}`, { method, headers: forwarded, body: raw.length > 0 ? new Uint8Array(raw) : undefined });
    const text = await back.text();
    events.push({ method, path, status: back.status, outcome: "ok", token });
    res.writeHead(back.status, { "content-type": back.headers.get("content-type") ?? "text/plain" }).end(text);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve(Object.assign(gate, { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((done) => server.close(() => done())) }));
    });
  });
}
