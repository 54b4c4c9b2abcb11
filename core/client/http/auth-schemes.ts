/**
 * The auth schemes that need code of their own, SigV4 and OAuth2: `sigv4(options)` and
 * `oauth2(options)` check their options at once and bind, per client, to that client's `fetch`
 * (its proxy and TLS settings), clock and environment; their signing and token code
 * (sigv4.ts, oauth2.ts) is loaded on a client's first request. A program that never calls them
 * never loads, nor bundles, that code; runtime entries on Node, Deno and Bun also resolve the
 * plain data forms `{ sigv4: {...} }` and `{ oauth2: {...} }` through here.
 */

import { AuthError, HttpError, NetworkError, ValidationError } from "../../errors.ts";
import { parseRetryAfter } from "./exchange.ts";
import { redactUrl, type AwsCredentials, type OAuth2Auth, type OAuth2Options, type SigV4Auth, type SigV4Options, type SignAuth, type SignableRequest } from "./auth.ts";
import type { TokenFailure } from "./oauth2.ts";
import { BIND_AUTH, type AuthContext, type BindableAuth } from "./connection.ts";

function invalid(detail: string): ValidationError {
  return new ValidationError("option-invalid", detail);
}

/** Credentials with both keys set, or a ValidationError naming where they came from. */
function checkCredentials(c: AwsCredentials, from: string): AwsCredentials {
  if (typeof c?.accessKeyId !== "string" || c.accessKeyId === "" || typeof c.secretAccessKey !== "string" || c.secretAccessKey === "") {
    throw invalid(`${from}: accessKeyId and secretAccessKey must be non-empty strings`);
  }
  return c;
}

/** Temporary credentials are reused until this long before they expire, ms. */
const CREDENTIALS_EARLY_MS = 60_000;

function bindSigV4(options: SigV4Options, context: AuthContext): SignAuth {
  const region = options.region ?? context.getEnv("AWS_REGION") ?? context.getEnv("AWS_DEFAULT_REGION");
  if (region === undefined || region === "") throw invalid("auth.sigv4.region is not set (nor AWS_REGION / AWS_DEFAULT_REGION)");
  const service = options.service ?? "aps";
  if (service === "") throw invalid("auth.sigv4.service must not be empty");
  let source = options.credentials;
  if (source === undefined) {
    const accessKeyId = context.getEnv("AWS_ACCESS_KEY_ID");
    const secretAccessKey = context.getEnv("AWS_SECRET_ACCESS_KEY");
    if (!accessKeyId || !secretAccessKey) {
      throw invalid("no AWS credentials: pass auth.sigv4.credentials, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
    const sessionToken = context.getEnv("AWS_SESSION_TOKEN") || undefined;
    source = { accessKeyId, secretAccessKey, sessionToken };
  } else if (typeof source !== "function") {
    checkCredentials(source, "auth.sigv4.credentials");
  }
  const provide = source;
  let last: AwsCredentials | undefined;
  const credentials = async (): Promise<AwsCredentials> => {
    if (typeof provide !== "function") return provide;
    if (last?.expiration !== undefined && last.expiration.getTime() - context.now() > CREDENTIALS_EARLY_MS) return last;
    try {
      last = checkCredentials(await provide(), "auth.sigv4.credentials()");
    } catch (e) {
      throw new AuthError("sigv4", `the credentials function failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return last;
  };
  return {
    async sign(req: SignableRequest) {
      const creds = await credentials();
      const { signV4 } = await import("./sigv4.ts");
      const url = new URL(req.url);
      // Signed as sent: fetch sets Content-Length from the body itself.
      const headers = req.body === undefined ? req.headers : { ...req.headers, "content-length": String(req.body.byteLength) };
      const signed = await signV4({ method: req.method, host: url.host, path: url.pathname, query: url.search, headers, body: req.body }, creds, { region, service, time: context.now() });
      return signed.headers;
    },
  };
}

function bindOAuth2(options: OAuth2Options, context: AuthContext): SignAuth {
  let tokenUrl: URL;
  try {
    tokenUrl = new URL(options.tokenUrl);
  } catch {
    throw invalid("auth.oauth2.tokenUrl is not a URL");
  }
  if (tokenUrl.protocol !== "https:" && tokenUrl.protocol !== "http:") throw invalid("auth.oauth2.tokenUrl must be http or https");
  if (typeof options.clientId !== "string" || options.clientId === "") throw invalid("auth.oauth2.clientId must be a non-empty string");
  if (typeof options.clientSecret !== "string") throw invalid("auth.oauth2.clientSecret must be a string");
  if (options.clientAuth !== undefined && options.clientAuth !== "basic" && options.clientAuth !== "body") {
    throw invalid(`auth.oauth2.clientAuth must be "basic" or "body"`);
  }
  let source: Promise<import("./oauth2.ts").TokenSource> | undefined;
  const tokens = (): Promise<import("./oauth2.ts").TokenSource> =>
    (source ??= import("./oauth2.ts").then((m) => new m.TokenSource(options, tokenUrl, context)));
  const where = redactUrl(tokenUrl);
  /** A failed token request as promwire's error: retried when the endpoint may recover. */
  const typed = async (e: unknown): Promise<unknown> => {
    const f = (e as { failure?: TokenFailure }).failure;
    if (f === undefined) return e;
    switch (f.kind) {
      case "network":
        return context.describeError === undefined ? new NetworkError(where, `token request failed: ${f.cause instanceof Error ? f.cause.message : String(f.cause)}`) : await context.describeError(f.cause, tokenUrl);
      case "unavailable":
        return new HttpError(f.status, f.body, where, parseRetryAfter(f.retryAfter, context.now()));
      case "refused":
        return new AuthError("oauth2", `token endpoint ${where} answered HTTP ${f.status}${f.detail ? `: ${f.detail}` : ""}`, f.status);
      case "invalid":
        return new AuthError("oauth2", `token endpoint ${where} ${f.detail}`);
    }
  };
  return {
    sign: async (req) => {
      try {
        return { authorization: await (await tokens()).authorization(req.signal) };
      } catch (e) {
        throw await typed(e);
      }
    },
    unauthorized: async () => {
      (await tokens()).invalidate();
      return true;
    },
  };
}

/**
 * AWS SigV4 auth (Amazon Managed Service for Prometheus): each attempt signed anew over the exact
 * body sent. Region and credentials default to the `AWS_*` environment variables (Node, Deno, Bun).
 * Throws `ValidationError` at once for missing region or credentials.
 * @example remoteWrite({ url: `https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/${id}/api/v1/remote_write`, auth: sigv4({ region: "eu-west-1" }) })
 */
export function sigv4(options: SigV4Options = {}): SigV4Auth {
  return { sigv4: options, [BIND_AUTH]: (context: AuthContext) => bindSigV4(options, context) } as SigV4Auth;
}

/**
 * OAuth2 client credentials auth (Azure Monitor, generic OIDC): token fetched once, cached until
 * shortly before it expires, fetched anew once after a 401.
 * @example pushgateway({ url, job, auth: oauth2({ tokenUrl, clientId, clientSecret, scopes: ["metrics.write"] }) })
 */
export function oauth2(options: OAuth2Options): OAuth2Auth {
  return { oauth2: options, [BIND_AUTH]: (context: AuthContext) => bindOAuth2(options, context) } as OAuth2Auth;
}

/**
 * Bind a scheme auth to a client: made by {@link sigv4} / {@link oauth2}, or given as data
 * (`{ sigv4 }`, `{ oauth2 }`) when `data` is true. Other auths are returned as they are.
 */
export function bindAuth<A>(auth: A, context: AuthContext, data: boolean): A | SignAuth {
  if (typeof auth !== "object" || auth === null) return auth;
  const bind = (auth as Partial<BindableAuth>)[BIND_AUTH];
  if (bind !== undefined) return bind(context);
  if (data && "sigv4" in auth) return bindSigV4((auth as SigV4Auth).sigv4 ?? {}, context);
  if (data && "oauth2" in auth) return bindOAuth2((auth as OAuth2Auth).oauth2, context);
  return auth;
}
