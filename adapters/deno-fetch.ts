/**
 * Deno's transport for a client with `proxy` or `tls`: `fetch` with a `Deno.createHttpClient`
 * carrying the CA (trusted in addition to the system's), the client certificate and the proxy
 * (HTTPS through `CONNECT`). `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` need nothing from promwire:
 * Deno's fetch reads them itself, without `--allow-env`.
 */
import type { TransportSettings } from "../core/client/http/runtime-connect.ts";
import type { FetchLike } from "../core/client/http/types.ts";

interface DenoProxy {
  url: string;
  basicAuth?: { username: string; password: string };
}

declare const Deno: {
  createHttpClient(options: { caCerts?: string[]; cert?: string; key?: string; proxy?: DenoProxy }): unknown;
};

function denoProxy(proxy: URL): DenoProxy {
  const url = new URL(proxy.href);
  const auth = url.username !== "" || url.password !== "" ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } : undefined;
  url.username = "";
  url.password = "";
  return auth === undefined ? { url: url.href } : { url: url.href, basicAuth: auth };
}

/**
 * A fetch with the settings' proxy and TLS: one HTTP client per proxy (and one direct).
 * @example const f = denoFetch({ proxyFor: () => undefined, tls: { ca } });
 */
export function denoFetch(settings: TransportSettings): FetchLike {
  const t = settings.tls;
  const base = { caCerts: t?.ca === undefined ? undefined : typeof t.ca === "string" ? [t.ca] : [...t.ca], cert: t?.cert, key: t?.key };
  const clients = new Map<string, unknown>();
  return (input, init) => {
    const proxy = settings.proxyFor(new URL(input));
    const key = proxy?.href ?? "";
    let client = clients.get(key);
    if (client === undefined) clients.set(key, (client = Deno.createHttpClient(proxy === undefined ? base : { ...base, proxy: denoProxy(proxy) })));
    return fetch(input, { ...init, client } as RequestInit);
  };
}
