/**
 * OAuth 2.0 client credentials grant (RFC 6749 §4.4): one token at a time, fetched on first use,
 * reused until shortly before `expires_in` runs out, dropped after a 401. Concurrent requests
 * share one token request. Loaded only when a client uses OAuth2.
 *
 * The client secret goes only into the token request (HTTP Basic, or form fields when the
 * endpoint refuses Basic, as golang.org/x/oauth2 auto-detects); no failure carries it or a token.
 *
 * No runtime imports: a bundler that sees this module behind a dynamic `import()` (Workers
 * bundles have no code splitting) would otherwise turn every module it shares with the rest of
 * promwire into a lazily initialised one. Failures are described as {@link TokenFailure}s and
 * made into promwire's errors by the caller (auth-schemes.ts).
 */

import type { OAuth2Options } from "./auth.ts";
import type { AuthContext } from "./connection.ts";

/** Why no token was had. */
export type TokenFailure =
  /** The request failed (network, TLS, abort): `cause` is what fetch threw. */
  | { readonly kind: "network"; readonly cause: unknown }
  /** 5xx or 429: worth retrying. */
  | { readonly kind: "unavailable"; readonly status: number; readonly body: string; readonly retryAfter: string | null }
  /** Any other non-200: the endpoint refused the client. */
  | { readonly kind: "refused"; readonly status: number; readonly detail: string }
  /** 200 without a usable token. */
  | { readonly kind: "invalid"; readonly detail: string };

/** Thrown by {@link TokenSource} with a {@link TokenFailure}. */
export class TokenRequestFailed extends Error {
  constructor(readonly failure: TokenFailure) {
    super(failure.kind);
  }
}

/** A token is renewed this long before it expires: a tenth of its lifetime, at most a minute. */
function earlyMs(lifetimeMs: number): number {
  return Math.min(60_000, lifetimeMs / 10);
}

interface Token {
  readonly value: string;
  /** When to fetch a new one (ms, by the context's clock); Infinity when the endpoint gave no lifetime. */
  readonly renewAt: number;
}

function base64(text: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The token endpoint's answer, JSON (RFC 6749 §5.1 and §5.2). */
interface TokenResponse {
  readonly access_token?: unknown;
  readonly token_type?: unknown;
  readonly expires_in?: unknown;
  readonly error?: unknown;
  readonly error_description?: unknown;
}

type Style = "basic" | "body";

/** Client-credentials tokens for one client. */
export class TokenSource {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;
  /** Learned when auto-detecting: the style the endpoint accepted. */
  private style: Style | undefined;

  constructor(
    private readonly options: OAuth2Options,
    private readonly tokenUrl: URL,
    private readonly context: AuthContext,
  ) {
    this.style = options.clientAuth;
  }

  /** `Bearer <token>`: the cached token, or a new one. */
  async authorization(signal?: AbortSignal): Promise<string> {
    const t = this.token;
    if (t !== undefined && this.context.now() < t.renewAt) return `Bearer ${t.value}`;
    this.pending ??= this.fetchToken(signal).finally(() => {
      this.pending = undefined;
    });
    this.token = await this.pending;
    return `Bearer ${this.token.value}`;
  }

  /** The receiver refused the token: the next request fetches a new one. */
  invalidate(): void {
    this.token = undefined;
  }

  private async fetchToken(signal?: AbortSignal): Promise<Token> {
    if (this.style !== undefined) return this.request(this.style, signal);
    try {
      const t = await this.request("basic", signal);
      this.style = "basic";
      return t;
    } catch (e) {
      // Refused as Basic: the endpoint may want the credentials as form fields (client_secret_post).
      if (!(e instanceof TokenRequestFailed) || e.failure.kind !== "refused") throw e;
      const t = await this.request("body", signal);
      this.style = "body";
      return t;
    }
  }

  /** Messages may quote the endpoint's words, never our secret. */
  private scrub(text: string): string {
    const secret = this.options.clientSecret;
    return (secret.length >= 4 ? text.split(secret).join("***") : text).slice(0, 300);
  }

  private async request(style: Style, signal?: AbortSignal): Promise<Token> {
    const o = this.options;
    const form = new URLSearchParams({ grant_type: "client_credentials" });
    if (o.scopes !== undefined && o.scopes.length > 0) form.set("scope", o.scopes.join(" "));
    if (o.audience !== undefined) form.set("audience", o.audience);
    for (const [k, v] of Object.entries(o.params ?? {})) form.set(k, v);
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
    if (style === "basic") {
      // RFC 6749 §2.3.1: id and secret form-urlencoded, then Basic.
      const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, "+");
      headers.authorization = `Basic ${base64(`${enc(o.clientId)}:${enc(o.clientSecret)}`)}`;
    } else {
      form.set("client_id", o.clientId);
      form.set("client_secret", o.clientSecret);
    }
    const fail = (f: TokenFailure): never => {
      throw new TokenRequestFailed(f);
    };
    const sentAt = this.context.now();
    let res: Response;
    try {
      res = await this.context.fetch(this.tokenUrl.href, { method: "POST", headers, body: form.toString(), redirect: "manual", signal });
    } catch (cause) {
      return fail({ kind: "network", cause });
    }
    const text = await res.text().catch(() => "");
    let body: TokenResponse = {};
    try {
      body = JSON.parse(text) as TokenResponse;
    } catch {
      // Not JSON: reported below by status.
    }
    if (res.status === 429 || res.status >= 500) {
      return fail({ kind: "unavailable", status: res.status, body: this.scrub(text), retryAfter: res.headers.get("retry-after") });
    }
    if (res.status !== 200) {
      const why = typeof body.error === "string" ? `${body.error}${typeof body.error_description === "string" ? ` (${body.error_description})` : ""}` : text;
      return fail({ kind: "refused", status: res.status, detail: this.scrub(why) });
    }
    if (typeof body.access_token !== "string" || body.access_token === "") return fail({ kind: "invalid", detail: "answered without an access_token" });
    const type = typeof body.token_type === "string" ? body.token_type.toLowerCase() : "bearer";
    if (type !== "bearer") return fail({ kind: "invalid", detail: `issued a ${JSON.stringify(this.scrub(String(body.token_type)))} token; only Bearer tokens are supported` });
    // Azure AD v1 sends expires_in as a string.
    const seconds = Number(body.expires_in);
    const lifetime = body.expires_in !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
    return { value: body.access_token, renewAt: lifetime === undefined ? Infinity : sentAt + lifetime - earlyMs(lifetime) };
  }
}
