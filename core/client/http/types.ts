/**
 * The shapes of one HTTP exchange, shared by remote write and the Pushgateway client. Types only
 * (no Effect), so the public declarations of the runtime entries stay free of Effect's.
 */

import type { AuthError, HttpError, NetworkError, RedirectError, TimeoutError, TlsError } from "../../errors.ts";
import type { Auth } from "./auth.ts";

/** The `fetch` promwire calls: the global one, or an adapter's or user's override. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A request to make. `headers` are the protocol's own: neither users nor auth can override them. */
export interface HttpRequest {
  readonly method: "POST" | "PUT" | "DELETE";
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** How requests are made. */
export interface HttpConfig {
  readonly fetch: FetchLike;
  readonly auth?: Auth;
  /** Users' extra headers; they never override protocol headers or `User-Agent`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Per-attempt timeout, body reading included. */
  readonly timeoutMs: number;
  /** Redirect hops to follow (same origin, or any origin when no credentials are set). Default 5. */
  readonly maxRedirects?: number;
  /** Wall clock for `Retry-After` HTTP dates. */
  readonly now: () => number;
  /**
   * Turns what a failed `fetch` threw into a typed error (a runtime's TLS failures into a
   * `TlsError`), loading its code only then; absent: a plain `NetworkError`.
   */
  readonly describeError?: (err: unknown, url: URL) => Promise<AttemptError>;
}

/** A successful (2xx) answer. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
}

/** Any way one attempt can fail. */
export type AttemptError = HttpError | NetworkError | TimeoutError | RedirectError | TlsError | AuthError;
