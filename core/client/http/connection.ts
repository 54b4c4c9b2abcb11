/**
 * How a client reaches its receiver: the URL without credentials, the `fetch` to use (a runtime's
 * transport when a proxy or TLS settings apply), the auth in its per-request form, and how a
 * failed fetch becomes a typed error. A runtime entry hands in its own {@link Connect}; the plain
 * one here knows no proxy, no TLS settings and no auth scheme that needs code of its own (SigV4,
 * OAuth2), so a Worker that uses none of them carries none of their code.
 */

import { ValidationError } from "../../errors.ts";
import { splitUrlCredentials, type Auth, type SignAuth } from "./auth.ts";
import type { AttemptError, FetchLike, Transport } from "./types.ts";

/** TLS settings of one client (Node, Deno, Bun). PEM text, not file names. */
export interface TlsOptions {
  /** CA certificate(s) trusted for this client's connections, in addition to the system's. */
  readonly ca?: string | readonly string[];
  /** Client certificate (chain) for mutual TLS. */
  readonly cert?: string;
  /** Private key of `cert` (unencrypted PEM). */
  readonly key?: string;
}

/** What an auth scheme gets from the client it authenticates. */
export interface AuthContext {
  /** Reads one environment variable (AWS_*); undefined where there is no environment. */
  readonly getEnv: (name: string) => string | undefined;
  /** The client's fetch: a token request goes through the same proxy and TLS settings. */
  readonly fetch: FetchLike;
  readonly now: () => number;
  readonly describeError?: (err: unknown, url: URL) => Promise<AttemptError>;
}

/** Marks an auth made by `sigv4()` / `oauth2()`: binds it to a client. Shared by every copy of promwire. */
export const BIND_AUTH: unique symbol = Symbol.for("promwire.auth.bind") as never;

/** An auth that binds itself to a client's context. */
export interface BindableAuth {
  readonly [BIND_AUTH]: (context: AuthContext) => SignAuth;
}

/** The options of a client that say how to connect. */
export interface ConnectionOptions {
  readonly url: string;
  readonly auth?: Auth;
  readonly fetch?: FetchLike;
  /**
   * Proxy URL for every request of this client, e.g. `http://user:pass@proxy:3128` (HTTPS targets
   * through `CONNECT`). Default: `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` from the environment.
   * Node, Deno and Bun; not applicable on Workers.
   */
  readonly proxy?: string;
  /** Custom CA and client certificate (mTLS). Node, Deno and Bun; not applicable on Workers. */
  readonly tls?: TlsOptions;
  /** Wall clock, ms (SigV4 dates, token expiry). */
  readonly now?: () => number;
}

/** What a client uses to make its requests. */
export interface Connection {
  readonly url: URL;
  /**
   * What the client's exchanges send with: its `fetch`, or a runtime's lighter transport where
   * the global `fetch` would be used (Node: runtime-connect.ts). Auth schemes' token requests
   * keep the `fetch`.
   */
  readonly fetch: Transport;
  /** Static headers, a signer or a token function: never a scheme still to be resolved. */
  readonly auth: Auth | undefined;
  readonly describeError?: (err: unknown, url: URL) => Promise<AttemptError>;
}

/** Turns a client's connection options into a {@link Connection}; throws `ValidationError`. */
export type Connect = (options: ConnectionOptions) => Connection;

/** The global `fetch`, looked up at call time (tests and polyfills may replace it). */
export const globalFetch: FetchLike = (input, init) => fetch(input, init);

/** Whether `auth` is a scheme that needs code of its own (bound by `sigv4()`/`oauth2()` or a runtime entry). */
export function isSchemeAuth(auth: Auth | undefined): auth is Extract<Auth, { sigv4: unknown } | { oauth2: unknown }> {
  return auth !== undefined && ("sigv4" in auth || "oauth2" in auth);
}

/**
 * The plain connection: the given or global `fetch`, static auth, signers, token functions, and
 * the schemes made by `sigv4()` / `oauth2()`. Refuses what needs a runtime's code: the data forms
 * `{ sigv4 }` / `{ oauth2 }`, a proxy and TLS settings (on Workers these do not apply: outbound
 * connections go through Cloudflare's network).
 * @example const { url, fetch, auth } = plainConnect({ url: "https://user:pass@prom/api/v1/write" });
 */
export function plainConnect(options: ConnectionOptions): Connection {
  const { url, auth } = splitUrlCredentials(options.url, options.auth);
  const fetch = options.fetch ?? globalFetch;
  const bind = (auth as Partial<BindableAuth> | undefined)?.[BIND_AUTH];
  if (options.proxy !== undefined || options.tls !== undefined || (bind === undefined && isSchemeAuth(auth))) {
    throw new ValidationError("option-invalid", "proxy, tls and auth: { sigv4 | oauth2 } need promwire/node, /deno or /bun (Workers: auth: sigv4(…) | oauth2(…); no proxy or tls)");
  }
  return { url, fetch, auth: bind === undefined ? auth : bind({ getEnv: () => undefined, fetch, now: options.now ?? Date.now }) };
}
