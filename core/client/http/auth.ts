/**
 * Credentials for remote write and the Pushgateway. They only ever become request headers: no
 * error message, log line or redirect to another host carries them.
 */

/** HTTP Basic auth, e.g. a managed Prometheus' APPID and token. */
export interface BasicAuth {
  readonly username: string;
  readonly password: string;
}

/** `Authorization: Bearer <token>`. */
export interface BearerAuth {
  readonly bearer: string;
}

/** One custom header, e.g. `{ header: "X-Api-Key", value: key }`. */
export interface HeaderAuth {
  readonly header: string;
  readonly value: string;
}

/** What a signing function sees of a request. */
export interface SignableRequest {
  readonly method: string;
  readonly url: string;
  /** The headers so far (protocol headers included), lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | undefined;
}

/**
 * A signing function (SigV4-style schemes): returns the headers to add, computed from the final
 * request. Called once per attempt, so time-based signatures stay fresh across retries.
 */
export interface SignAuth {
  readonly sign: (request: SignableRequest) => Record<string, string> | Promise<Record<string, string>>;
}

/** Any supported authentication. */
export type Auth = BasicAuth | BearerAuth | HeaderAuth | SignAuth;

function base64Utf8(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The static headers an auth contributes (none for a signing function). */
export function authHeaders(auth: Auth | undefined): Record<string, string> {
  if (auth === undefined) return {};
  if ("username" in auth) return { authorization: `Basic ${base64Utf8(`${auth.username}:${auth.password}`)}` };
  if ("bearer" in auth) return { authorization: `Bearer ${auth.bearer}` };
  if ("header" in auth) return { [auth.header.toLowerCase()]: auth.value };
  return {};
}

/**
 * Split `https://user:pass@host/path` into a clean URL and Basic auth (fetch refuses URLs with
 * credentials, and error messages must not show them). An explicit `auth` wins.
 */
export function splitUrlCredentials(url: string, auth: Auth | undefined): { url: URL; auth: Auth | undefined } {
  const u = new URL(url);
  let found: Auth | undefined;
  if (u.username !== "" || u.password !== "") {
    found = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
    u.username = "";
    u.password = "";
  }
  return { url: u, auth: auth ?? found };
}

/** A URL fit for messages: origin and path, no credentials, query or fragment. */
export function redactUrl(url: URL | string): string {
  try {
    const u = typeof url === "string" ? new URL(url) : url;
    return `${u.origin}${u.pathname}`;
  } catch {
    return "<invalid url>";
  }
}
