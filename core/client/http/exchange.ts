/**
 * One HTTP exchange, plain async code with no Effect: headers in a fixed precedence, auth (static
 * headers, or a signer or token function called for this exchange, over the exact body sent),
 * redirects followed by hand (never to another origin while credentials are set), one renewal of
 * the credentials after a `401` (then a 401 is final), and every non-2xx answer turned into a
 * typed error carrying the status, the first 1 KiB of the body and any `Retry-After`.
 *
 * Kept apart from attempt.ts (the Effect wrapper: timeout, typed failure channel) because the
 * modules a runtime entry loads at start-up (auth schemes, the Pushgateway freshness check) need
 * these helpers: importing them from attempt.ts would load Effect before the first send.
 */

import { HttpError, NetworkError, RedirectError } from "../../errors.ts";
import { authHeaders, redactUrl, type Auth, type SignAuth } from "./auth.ts";
import type { ExchangeResponse, HttpConfig, HttpRequest, HttpResponse } from "./types.ts";
import { USER_AGENT } from "./version.ts";

/** First 1 KiB of an error body. */
export const ERROR_BODY_LIMIT = 1024;

/**
 * Parse `Retry-After`: delay-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds
 * from `now`, never negative, or undefined when absent or unparseable.
 * @example parseRetryAfter("120", Date.now()) // 120000
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Merge headers: users' first, then auth, then the protocol's, names lower-cased. */
export function buildHeaders(
  protocol: Readonly<Record<string, string>>,
  config: Pick<HttpConfig, "auth" | "headers">,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config.headers ?? {})) out[k.toLowerCase()] = v;
  Object.assign(out, authHeaders(config.auth));
  for (const [k, v] of Object.entries(protocol)) out[k.toLowerCase()] = v;
  out["user-agent"] = USER_AGENT;
  return out;
}

async function readLimited(res: ExchangeResponse, limit: number): Promise<string> {
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(size, limit));
  let off = 0;
  for (const c of chunks) {
    const n = Math.min(c.length, all.length - off);
    all.set(c.subarray(0, n), off);
    off += n;
    if (off >= all.length) break;
  }
  return new TextDecoder().decode(all);
}

function hasCredentials(config: HttpConfig): boolean {
  return config.auth !== undefined || Object.keys(config.headers ?? {}).some((h) => h.toLowerCase() === "authorization");
}

/** A thrown value as one line: message, and the cause's code or message (what fetch puts there). */
export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = cause instanceof Error ? ` (${(cause as { code?: string }).code ?? cause.message})` : "";
    return `${err.message}${code}`;
  }
  return String(err);
}

/** The per-attempt part of an auth: a signer, a token function, or nothing (static headers). */
function perAttempt(auth: Auth | undefined): SignAuth | undefined {
  if (auth === undefined) return undefined;
  if ("sign" in auth) return auth;
  if ("token" in auth) return { sign: async () => ({ authorization: `Bearer ${await auth.token()}` }), unauthorized: () => true };
  return undefined;
}

/** Send `req` (following redirects, renewing credentials once) until a 2xx or a typed error. */
export async function exchange(req: HttpRequest, config: HttpConfig, signal: AbortSignal): Promise<HttpResponse> {
  let url = req.url;
  const maxRedirects = config.maxRedirects ?? 5;
  const signer = perAttempt(config.auth);
  let renewed = false;
  for (let hop = 0; ; hop++) {
    const headers = buildHeaders(req.headers, config);
    if (signer !== undefined) {
      const signed = await signer.sign({ method: req.method, url: url.href, headers: { ...headers }, body: req.body, signal });
      for (const [k, v] of Object.entries(signed)) {
        const key = k.toLowerCase();
        if (!(key in req.headers) && key !== "user-agent") headers[key] = v;
      }
    }
    let res: ExchangeResponse;
    try {
      res = await config.fetch(url.href, {
        method: req.method,
        headers,
        body: req.body as BodyInit | undefined,
        redirect: "manual",
        signal,
      });
    } catch (err) {
      throw config.describeError === undefined ? new NetworkError(redactUrl(url), describe(err)) : await config.describeError(err, url);
    }
    if (res.status >= 200 && res.status < 300) {
      // Drain (a little of) the body so the connection can be reused.
      await readLimited(res, ERROR_BODY_LIMIT).catch(() => "");
      return { status: res.status, headers: res.headers };
    }
    // Credentials that expired or were revoked: renewed once, then a 401 is final.
    if (res.status === 401 && !renewed && signer?.unauthorized !== undefined && (await signer.unauthorized())) {
      renewed = true;
      await readLimited(res, 0).catch(() => "");
      hop--;
      continue;
    }
    if (res.type === "opaqueredirect") {
      throw new RedirectError(0, redactUrl(url), "this runtime hides the redirect target");
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location !== null) {
      await readLimited(res, 0).catch(() => "");
      const next = new URL(location, url);
      if (hop >= maxRedirects) throw new RedirectError(res.status, redactUrl(url), `more than ${maxRedirects} redirects`);
      if (next.origin !== url.origin && hasCredentials(config)) {
        throw new RedirectError(res.status, redactUrl(url), `target ${next.origin} is another origin and credentials are set`);
      }
      url = next;
      continue;
    }
    const body = await readLimited(res, ERROR_BODY_LIMIT).catch(() => "");
    throw new HttpError(res.status, body, redactUrl(url), parseRetryAfter(res.headers.get("retry-after"), config.now()));
  }
}
