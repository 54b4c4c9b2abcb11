/**
 * The shapes of one HTTP exchange, shared by remote write and the Pushgateway client. Types only
 * (no Effect), so the public declarations of the runtime entries stay free of Effect's.
 */

import type { AuthError, HttpError, NetworkError, RedirectError, TimeoutError, TlsError } from "../../errors.ts";
import type { Auth } from "./auth.ts";

/** The `fetch` promwire calls: the global one, or an adapter's or user's override. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Reads a response body in chunks; a fetch `Response`'s body reader is one. */
export interface BodyReader {
  read(): Promise<{ readonly done: true; readonly value?: Uint8Array } | { readonly done: false; readonly value: Uint8Array }>;
  cancel(): Promise<void>;
}

/** Response headers as an exchange reads them: `Headers` is one. */
export interface ResponseHeaders {
  /** Every value of `name` (case-insensitive) joined by ", ", or null. */
  get(name: string): string | null;
}

/**
 * What one exchange reads of an answer. A fetch `Response` is one; Node's own transport
 * (adapters/node-http.ts) returns a lighter one, so that a job never loads Node's fetch
 * implementation (undici: 25–55 ms on a short job's first request, measured).
 */
export interface ExchangeResponse {
  readonly status: number;
  /** `"opaqueredirect"` where a runtime hides a redirect's target (fetch with `redirect: "manual"` in a browser-like runtime). */
  readonly type?: string;
  readonly headers: ResponseHeaders;
  readonly body: { getReader(): BodyReader } | null;
}

/** How an exchange makes its request: a {@link FetchLike} is one (it is called with `redirect: "manual"`). */
export type Transport = (input: string, init: RequestInit) => Promise<ExchangeResponse>;

/** A request to make. `headers` are the protocol's own: neither users nor auth can override them. */
export interface HttpRequest {
  readonly method: "POST" | "PUT" | "DELETE";
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** How requests are made. */
export interface HttpConfig {
  /** The request: the client's `fetch`, or a runtime's lighter transport for plain connections. */
  readonly fetch: Transport;
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
  readonly headers: ResponseHeaders;
}

/** Any way one attempt can fail. */
export type AttemptError = HttpError | NetworkError | TimeoutError | RedirectError | TlsError | AuthError;
