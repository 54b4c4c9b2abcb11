/**
 * Options every sending command shares: credentials (flags or `PROMWIRE_*` environment
 * variables), extra headers, timeout and retries. Secrets only ever become request headers: no
 * message printed by the CLI contains them, and URLs are shown without credentials or query.
 */
import type { Auth } from "../core/client/http/auth.ts";
import { redactUrl } from "../core/client/http/auth.ts";
import { HttpError, PromwireError, RejectedError } from "../core/errors.ts";
import { flag, flagList, UsageError, type ParsedArgs } from "./args.ts";

/** Flags every sending command accepts. */
export const CONNECTION_FLAGS = ["username", "password", "bearer-token", "header", "timeout", "retries"] as const;

export const CONNECTION_HELP = `connection options:
  --username U / --password P   Basic auth (a managed Prometheus: APPID and token)
  --bearer-token T              Authorization: Bearer T
      Prefer the environment: PROMWIRE_USERNAME, PROMWIRE_PASSWORD, PROMWIRE_BEARER_TOKEN
      (flags end up in shell history and in ps). A flag wins over its variable.
  --header 'Name: value'        extra request header (repeatable); protocol headers cannot be overridden
  --timeout 30s                 per-attempt timeout (ms, s or m; a bare number is seconds)
  --retries N                   retries after the first attempt for 5xx, 429, network errors and
                                timeouts (default: 9 for write, 2 for push/add/delete); other 4xx are final`;

export interface Connection {
  readonly auth: Auth | undefined;
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
  return { auth, headers, timeoutMs: timeout === undefined ? 30_000 : parseDuration(timeout, "--timeout"), maxAttempts: retries + 1 };
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
