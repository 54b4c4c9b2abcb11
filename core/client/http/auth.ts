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
  /** The exact bytes sent (after snappy or gzip). */
  readonly body: Uint8Array | undefined;
  /** Aborted when the attempt times out: pass it on to any request the signer makes. */
  readonly signal?: AbortSignal;
}

/**
 * A signing function (SigV4-style schemes): returns the headers to add, computed from the final
 * request. Called once per attempt, so time-based signatures stay fresh across retries.
 */
export interface SignAuth {
  readonly sign: (request: SignableRequest) => Record<string, string> | Promise<Record<string, string>>;
  /**
   * Called when the receiver answered `401 Unauthorized`: drop cached credentials and return true
   * to have the request signed and sent once more within the same attempt (a second 401 is final).
   */
  readonly unauthorized?: () => boolean | Promise<boolean>;
}

/**
 * `Authorization: Bearer <token>` from a function of yours, called before every attempt (cache
 * in it: Google's `GoogleAuth#getAccessToken`, Azure's `DefaultAzureCredential#getToken`… do).
 * After a `401` it is called once more and the request re-sent; a second `401` is final.
 */
export interface TokenAuth {
  readonly token: () => string | Promise<string>;
}

/** AWS credentials, as the AWS SDKs' credential providers return them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials expire: they are reused until a minute before. */
  readonly expiration?: Date;
}

/** AWS Signature Version 4 settings (Amazon Managed Service for Prometheus). */
export interface SigV4Options {
  /** AWS region, e.g. `"eu-west-1"`. Default: `AWS_REGION`, else `AWS_DEFAULT_REGION`. */
  readonly region?: string;
  /** Signing name of the service. Default `"aps"` (Amazon Managed Service for Prometheus). */
  readonly service?: string;
  /**
   * Credentials, or a function returning fresh ones (e.g. `fromNodeProviderChain()` of
   * `@aws-sdk/credential-providers`), called before each attempt unless the last ones carry an
   * `expiration` more than a minute away. Default: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`
   * and `AWS_SESSION_TOKEN` from the environment (Node, Deno, Bun).
   */
  readonly credentials?: AwsCredentials | (() => AwsCredentials | Promise<AwsCredentials>);
}

/** `auth: { sigv4: {...} }`: every request signed with AWS SigV4 over the exact body sent, anew on every attempt. */
export interface SigV4Auth {
  readonly sigv4: SigV4Options;
}

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4) settings. */
export interface OAuth2Options {
  /** The token endpoint, e.g. `https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token`. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Scopes, sent space-separated, e.g. `["https://monitor.azure.com/.default"]`. */
  readonly scopes?: readonly string[];
  /** `audience` parameter (Auth0 and other OIDC providers). */
  readonly audience?: string;
  /** Further form parameters of the token request (Prometheus' `endpoint_params`). */
  readonly params?: Readonly<Record<string, string>>;
  /**
   * How the client authenticates to the token endpoint: `"basic"` (HTTP Basic, RFC 6749 §2.3.1)
   * or `"body"` (`client_id`/`client_secret` form fields). Default: Basic, and if the endpoint
   * refuses it, form fields (remembered for later tokens), as golang.org/x/oauth2 does.
   */
  readonly clientAuth?: "basic" | "body";
}

/**
 * `auth: { oauth2: {...} }`: a token from the client credentials grant, cached until shortly before
 * it expires; after a `401` it is fetched anew once and the request re-sent (a second 401 is final).
 */
export interface OAuth2Auth {
  readonly oauth2: OAuth2Options;
}

/** Any supported authentication. */
export type Auth = BasicAuth | BearerAuth | HeaderAuth | SignAuth | TokenAuth | SigV4Auth | OAuth2Auth;

function base64Utf8(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The static headers an auth contributes (none for the per-attempt schemes). */
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
