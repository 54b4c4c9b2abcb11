/**
 * Bun's transport for a client with `proxy` or `tls`: Bun's own fetch with its `proxy` and `tls`
 * options (HTTPS through a proxy goes by `CONNECT`). `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` need
 * nothing from promwire: Bun's fetch reads them itself. A CA is trusted in addition to the system's,
 * as on Node and Deno (Bun's `tls.ca`, like Node's, would replace them).
 */
import { rootCertificates } from "node:tls";
import type { TransportSettings } from "../core/client/http/runtime-connect.ts";
import type { FetchLike } from "../core/client/http/types.ts";

/** Bun's extensions of `RequestInit`. */
interface BunRequestInit extends RequestInit {
  proxy?: string;
  tls?: { ca?: string[]; cert?: string; key?: string };
}

/**
 * A fetch with the settings' proxy and TLS.
 * @example const f = bunFetch({ proxyFor: () => new URL("http://proxy:3128") });
 */
export function bunFetch(settings: TransportSettings): FetchLike {
  const t = settings.tls;
  const tls = t === undefined ? undefined : { ca: t.ca === undefined ? undefined : [...rootCertificates, ...(typeof t.ca === "string" ? [t.ca] : t.ca)], cert: t.cert, key: t.key };
  return (input, init) => {
    const proxy = settings.proxyFor(new URL(input));
    // Without a proxy of ours, leave the key out: Bun then applies the environment's.
    const options: BunRequestInit = proxy === undefined ? { ...init, tls } : { ...init, tls, proxy: proxy.href };
    return fetch(input, options);
  };
}
