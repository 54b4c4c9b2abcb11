/**
 * Options every sending command shares: credentials (flags or `PROMWIRE_*` environment
 * variables: Basic, bearer, SigV4, OAuth2), proxy and TLS, extra headers, timeout and retries.
 * Secrets only ever become request headers: no message printed by the CLI contains them, and
 * URLs are shown without credentials or query.
 */
import { readFileSync } from "node:fs";
import type { Auth } from "../core/client/http/auth.ts";
import { redactUrl } from "../core/client/http/auth.ts";
import type { TlsOptions } from "../core/client/http/connection.ts";
import { HttpError, PromwireError, RejectedError, ValidationError } from "../core/errors.ts";
import { CONNECTION_ENV_VARS, connectionFromEnv } from "../core/runtime/env-connection.ts";
import { flag, flagList, UsageError, type ParsedArgs } from "./args.ts";

/** The connection flags and the variables they stand for (a flag wins over its variable). */
const SCHEME_FLAGS: Record<string, string> = {
  "sigv4-region": CONNECTION_ENV_VARS.sigv4Region,
  "sigv4-service": CONNECTION_ENV_VARS.sigv4Service,
  "oauth2-token-url": CONNECTION_ENV_VARS.oauth2TokenUrl,
  "oauth2-client-id": CONNECTION_ENV_VARS.oauth2ClientId,
  "oauth2-client-secret": CONNECTION_ENV_VARS.oauth2ClientSecret,
  "oauth2-scope": CONNECTION_ENV_VARS.oauth2Scopes,
  "oauth2-audience": CONNECTION_ENV_VARS.oauth2Audience,
  proxy: CONNECTION_ENV_VARS.proxy,
  "tls-ca": CONNECTION_ENV_VARS.tlsCaFile,
  "tls-cert": CONNECTION_ENV_VARS.tlsCertFile,
  "tls-key": CONNECTION_ENV_VARS.tlsKeyFile,
};

/** Flags every sending command accepts. */
export const CONNECTION_FLAGS = ["username", "password", "bearer-token", "header", "timeout", "retries", ...Object.keys(SCHEME_FLAGS)] as const;

export const CONNECTION_HELP = `connection options:
  --username U / --password P   Basic auth (a managed Prometheus: APPID and token)
  --bearer-token T              Authorization: Bearer T
      Prefer the environment: PROMWIRE_USERNAME, PROMWIRE_PASSWORD, PROMWIRE_BEARER_TOKEN
      (flags end up in shell history and in ps). A flag wins over its variable.
  --sigv4-region R [--sigv4-service aps]
                                AWS SigV4 (Amazon Managed Service for Prometheus); credentials from
                                AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
  --oauth2-token-url U --oauth2-client-id ID --oauth2-client-secret S [--oauth2-scope S]... [--oauth2-audience A]
                                OAuth2 client credentials (Azure Monitor, OIDC providers)
      Variables: PROMWIRE_SIGV4_REGION, PROMWIRE_SIGV4_SERVICE, PROMWIRE_OAUTH2_TOKEN_URL,
      PROMWIRE_OAUTH2_CLIENT_ID, PROMWIRE_OAUTH2_CLIENT_SECRET, PROMWIRE_OAUTH2_SCOPES,
      PROMWIRE_OAUTH2_AUDIENCE
  --proxy URL                   proxy for every request, e.g. http://user:pass@proxy:3128 (PROMWIRE_PROXY_URL);
                                default: HTTPS_PROXY / HTTP_PROXY / NO_PROXY
  --tls-ca FILE                 trust this CA (PEM) besides the system's (PROMWIRE_TLS_CA_FILE)
  --tls-cert FILE --tls-key FILE
                                client certificate and key, PEM (PROMWIRE_TLS_CERT_FILE, PROMWIRE_TLS_KEY_FILE)
  --header 'Name: value'        extra request header (repeatable); protocol headers cannot be overridden
  --timeout 30s                 per-attempt timeout (ms, s or m; a bare number is seconds)
  --retries N                   retries after the first attempt for 5xx, 429, network errors and
                                timeouts (default: 9 for write, 2 for push/add/delete); other 4xx are final`;

export interface Connection {
  readonly auth: Auth | undefined;
  readonly proxy: string | undefined;
  readonly tls: TlsOptions | undefined;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
}

/** `30s`, `500ms`, `2m`, or a bare number of seconds → ms. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what} must be a duration like 500ms, 10s or 2m (got ${JSON.stringify(text)})`);
  const n = Number(m[1]);
  const ms = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
  if (!(ms > 0)) throw new UsageError(`${what} must be positive`);
  return ms;
}

/** Read the connection options from flags, then from `env` (`process.env` by default). */
export function connectionOf(args: ParsedArgs, defaultRetries: number, env: NodeJS.ProcessEnv = process.env): Connection {
  const pick = (name: string, variable: string): string | undefined => {
    const v = flag(args, name) ?? env[variable];
    return v === undefined || v === "" ? undefined : v;
  };
  const username = pick("username", "PROMWIRE_USERNAME");
  const password = pick("password", "PROMWIRE_PASSWORD");
  const bearer = pick("bearer-token", "PROMWIRE_BEARER_TOKEN");
  let auth: Auth | undefined;
  if (bearer !== undefined && (username !== undefined || password !== undefined)) {
    throw new UsageError("give either a username and password or a bearer token, not both");
  }
  if (bearer !== undefined) auth = { bearer };
  else if (username !== undefined || password !== undefined) {
    if (username === undefined) throw new UsageError("a password needs a username (--username or PROMWIRE_USERNAME)");
    auth = { username, password: password ?? "" };
  }
  const scheme = schemeOptions(args, env);
  if (scheme.auth !== undefined && auth !== undefined) throw new UsageError("give one kind of credentials: a username and password, a bearer token, SigV4 or OAuth2");
  auth ??= scheme.auth;
  const headers: Record<string, string> = {};
  for (const h of flagList(args, "header")) {
    const i = h.indexOf(":");
    const name = i > 0 ? h.slice(0, i).trim() : "";
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      // The value may be a secret: quote only the name.
      throw new UsageError(`--header must look like 'Name: value' (got a header named ${JSON.stringify(name)})`);
    }
    headers[name] = h.slice(i + 1).trim();
  }
  const timeout = flag(args, "timeout");
  const retriesText = flag(args, "retries");
  const retries = retriesText === undefined ? defaultRetries : Number(retriesText);
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) throw new UsageError(`--retries must be an integer 0..100 (got ${JSON.stringify(retriesText)})`);
  return { auth, proxy: scheme.proxy, tls: scheme.tls, headers, timeoutMs: timeout === undefined ? 30_000 : parseDuration(timeout, "--timeout"), maxAttempts: retries + 1 };
}

/** SigV4, OAuth2, proxy and TLS from their flags, else their variables; errors name both. */
function schemeOptions(args: ParsedArgs, env: NodeJS.ProcessEnv): ReturnType<typeof connectionFromEnv> {
  const byVariable = new Map(Object.entries(SCHEME_FLAGS).map(([f, v]) => [v, f]));
  const getEnv = (variable: string): string | undefined => {
    const f = byVariable.get(variable);
    const given = f === undefined ? [] : flagList(args, f);
    return given.length > 0 ? given.join(" ") : env[variable];
  };
  try {
    return connectionFromEnv(getEnv, (path) => readFileSync(path, "utf8"));
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    throw new UsageError(e.detail.replace(/PROMWIRE_[A-Z0-9_]+/g, (v) => (byVariable.has(v) ? `--${byVariable.get(v)} (${v})` : v)));
  }
}

/**
 * A URL as typed, safe to print: a password in it masked, query and fragment cut (they may hold
 * tokens). Used where the URL could not be parsed, so `redactUrl` cannot help.
 * @example shownAsTyped("user:pw@host:9090/x?key=s") // "user:***@host:9090/x?…"
 */
export function shownAsTyped(url: string): string {
  const cut = url.search(/[?#]/);
  const head = cut < 0 ? url : `${url.slice(0, cut)}${url[cut]}…`;
  // userinfo: after an optional scheme, up to the first "@" before any "/".
  return head.replace(/^((?:[a-z][a-z0-9+.-]*:\/\/)?)([^/@]*?)(:[^/@]*)?@/i, (_m, scheme: string, user: string, pw: string | undefined) =>
    `${scheme}${user}${pw === undefined ? "" : ":***"}@`,
  );
}

/**
 * The URL as it may be printed: origin and path. Usage error when it is not an http(s) URL,
 * echoing what was typed (masked) and, for a URL typed without a scheme, suggesting `http://`.
 * @example checkUrl("localhost:9090/api/v1/write", "write") // UsageError: … did you mean http://localhost:9090/api/v1/write?
 */
export function checkUrl(url: string | undefined, command: string): string {
  if (url === undefined) throw new UsageError(`${command} needs a URL (try promwire ${command} --help)`);
  const typed = JSON.stringify(shownAsTyped(url));
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    // "127.0.0.1:9090/x" does not parse; "localhost:9090/x" parses as scheme "localhost:".
    let withScheme: URL | undefined;
    try {
      withScheme = url.trim() === "" ? undefined : new URL(`http://${url}`);
    } catch {
      withScheme = undefined;
    }
    if (withScheme !== undefined && withScheme.hostname !== "") {
      throw new UsageError(`not a URL: ${typed} has no scheme: did you mean ${JSON.stringify(shownAsTyped(`http://${url}`))}? (https:// for TLS)`);
    }
    throw new UsageError(`not a URL: ${typed} (expected http://host:port/path)`);
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`not a URL: ${typed} (expected http://host:port/path)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`the URL must be http:// or https:// (got ${typed})`);
  return redactUrl(u);
}

/** One line, at most `max` characters. */
export function oneLine(text: string, max = 300): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/**
 * A failure as one line: the cause, and for HTTP the status and the start of the body.
 * @example describeFailure(new HttpError(400, "out of order sample\n", "http://p/api/v1/write")) // "HTTP 400 from http://p/api/v1/write: out of order sample"
 */
export function describeFailure(err: unknown): string {
  if (err instanceof RejectedError && err.lastError !== undefined) {
    return `${err.samples} sample${err.samples === 1 ? "" : "s"} not delivered after ${err.attempts} attempt${err.attempts === 1 ? "" : "s"}: ${describeFailure(err.lastError)}`;
  }
  if (err instanceof HttpError) return oneLine(`HTTP ${err.status} from ${err.url}${err.body ? `: ${err.body}` : ""}`);
  if (err instanceof PromwireError) return oneLine(`${err.name}: ${err.message}`);
  if (err instanceof Error) return oneLine(err.message);
  return oneLine(String(err));
}

/** An error whose message is already the one line to print. */
export class CommandError extends Error {
  override readonly name = "Error";
}
