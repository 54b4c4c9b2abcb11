/**
 * The connection of Node, Deno and Bun: everything {@link plainConnect} does, plus the SigV4 and
 * OAuth2 data forms (credentials from the runtime's environment), a proxy (the `proxy` option,
 * or the environment's), TLS settings, and failed handshakes as `TlsError`s. The runtime hands in
 * only its transport — a `fetch` for given proxy and TLS settings — and whether promwire must read
 * the proxy variables itself (Node) or the runtime's fetch already does (Deno, Bun). The Workers
 * entry never imports this module.
 */

import { ValidationError } from "../../errors.ts";
import { splitUrlCredentials } from "./auth.ts";
import { bindAuth } from "./auth-schemes.ts";
import { globalFetch, type Connect, type TlsOptions } from "./connection.ts";
import { parseProxyUrl, proxyFromEnv, type ProxyFor } from "./proxy-env.ts";
import type { AttemptError, FetchLike, Transport } from "./types.ts";

/** What a runtime's transport is asked for. */
export interface TransportSettings {
  /** The proxy for one request URL; undefined: direct. */
  readonly proxyFor: ProxyFor;
  readonly tls?: TlsOptions;
}

/** What a runtime hands in. */
export interface RuntimeNetwork {
  /** Reads one environment variable (the `AWS_*` ones for SigV4, the proxy ones on Node). */
  readonly getEnv: (name: string) => string | undefined;
  /** Whether promwire applies `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` itself (the runtime's fetch does not). */
  readonly readsProxyEnv: boolean;
  /** The runtime's fetch for a proxy and TLS settings; called once per client that needs one. */
  readonly transport: (settings: TransportSettings) => FetchLike;
  /**
   * What a client's exchanges send with when it would use the global `fetch` (no `fetch`
   * option, proxy or TLS settings): Node's own transport, lighter than its fetch. Absent: `fetch`.
   */
  readonly direct?: Transport;
}

/**
 * A transport whose code loads on its first request, so a client that never sends through a
 * proxy or with TLS settings never loads the runtime's HTTP modules.
 * @example transport: lazyTransport(() => import("./node-fetch.ts").then((m) => m.nodeFetch))
 */
export function lazyTransport(load: () => Promise<(settings: TransportSettings) => FetchLike>): (settings: TransportSettings) => FetchLike {
  return (settings) => {
    let made: Promise<FetchLike> | undefined;
    return async (input, init) => (await (made ??= load().then((make) => make(settings))))(input, init);
  };
}

function pem(text: unknown, label: RegExp, what: string): string {
  if (typeof text !== "string" || !label.test(text)) throw new ValidationError("option-invalid", `${what} must be PEM text (-----BEGIN …-----), not a file name`);
  return text;
}

/** TLS options, checked without ever quoting them (a key is a secret). */
function checkTls(t: TlsOptions | undefined): TlsOptions | undefined {
  if (t === undefined) return undefined;
  const cas = t.ca === undefined ? [] : typeof t.ca === "string" ? [t.ca] : t.ca;
  cas.forEach((c, i) => pem(c, /-----BEGIN CERTIFICATE-----/, `tls.ca${typeof t.ca === "string" ? "" : `[${i}]`}`));
  if ((t.cert === undefined) !== (t.key === undefined)) throw new ValidationError("option-invalid", "tls.cert and tls.key go together");
  if (t.cert !== undefined) pem(t.cert, /-----BEGIN CERTIFICATE-----/, "tls.cert");
  if (t.key !== undefined) pem(t.key, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, "tls.key");
  return t;
}

/** A failed fetch as a typed error (TlsError, or NetworkError without URLs' queries); its code loads on the first failure. */
const describeError = async (err: unknown, url: URL): Promise<AttemptError> => (await import("./tls-errors.ts")).describeFetchError(err, url);

/**
 * A runtime's {@link Connect}.
 * @example const connect = runtimeConnect({ getEnv: (n) => process.env[n], readsProxyEnv: true, transport: nodeTransport });
 */
export function runtimeConnect(network: RuntimeNetwork): Connect {
  return (options) => {
    const { url, auth } = splitUrlCredentials(options.url, options.auth);
    const tls = checkTls(options.tls);
    const proxy = options.proxy === undefined ? undefined : parseProxyUrl(options.proxy);
    let fetch = options.fetch ?? globalFetch;
    if (options.fetch !== undefined && (proxy !== undefined || tls !== undefined)) {
      throw new ValidationError("option-invalid", "proxy and tls configure promwire's own fetch: with options.fetch, set them up in yours");
    }
    if (options.fetch === undefined) {
      const fromEnv = proxy === undefined && network.readsProxyEnv ? proxyFromEnv(network.getEnv) : undefined;
      if (proxy !== undefined || tls !== undefined || fromEnv !== undefined) {
        fetch = network.transport({ proxyFor: proxy !== undefined ? () => proxy : (fromEnv ?? (() => undefined)), tls });
      }
    }
    const now = options.now ?? Date.now;
    const bound = bindAuth(auth, { getEnv: network.getEnv, fetch, now, describeError }, true);
    return { url, fetch: fetch === globalFetch ? (network.direct ?? fetch) : fetch, describeError, auth: bound };
  };
}
