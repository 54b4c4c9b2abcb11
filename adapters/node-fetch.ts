/**
 * promwire's own fetch on Node, used only by a client that sets `proxy` or `tls` or when
 * `HTTPS_PROXY`/`HTTP_PROXY` are set (Node 20's global fetch reads neither, and takes no CA or
 * client certificate): one HTTP/1.1 request over `node:http`/`node:https` with the agents of
 * node-tunnel.ts, as the subset of `fetch` promwire uses (method, headers, a byte or string
 * body, `redirect: "manual"`, an `AbortSignal`). Loaded on first use, so a job that needs none
 * of it does not pay for `node:https` at start-up. Chosen over bundling undici (whose ProxyAgent
 * cannot be handed to Node 20's built-in fetch, and which would add some 400 KB): this file and
 * node-tunnel.ts are a few KB and add no dependency.
 */
import * as http from "node:http";
import * as https from "node:https";
import { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import type { FetchLike } from "../core/client/http/types.ts";
import type { TransportSettings } from "../core/client/http/runtime-connect.ts";
import { abortOn, bodyBytes, headerRecord, NULL_BODY } from "./node-http.ts";
import { Agents, proxyAuthorization } from "./node-tunnel.ts";

function toResponse(res: http.IncomingMessage, method: string): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
  const status = res.statusCode ?? 502;
  if (NULL_BODY.has(status) || method === "HEAD") {
    res.resume();
    return new Response(null, { status, statusText: res.statusMessage, headers });
  }
  return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status, statusText: res.statusMessage, headers });
}

/**
 * A fetch over Node's http/https with the settings' proxy and TLS.
 * @example const f = nodeFetch({ proxyFor: () => new URL("http://proxy:3128"), tls: { ca } }); await f(url, { method: "POST", body });
 */
export function nodeFetch(settings: TransportSettings): FetchLike {
  const t = settings.tls;
  const ca = t?.ca === undefined ? undefined : [...rootCertificates, ...(typeof t.ca === "string" ? [t.ca] : t.ca)];
  const agents = new Agents({ ca, cert: t?.cert, key: t?.key });
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input);
      const method = init.method ?? "GET";
      const headers = headerRecord(init.headers);
      const body = bodyBytes(init.body);
      if (body !== undefined) headers["content-length"] = String(body.byteLength);
      const proxy = settings.proxyFor(url);
      const secure = url.protocol === "https:";
      let req: http.ClientRequest;
      if (proxy !== undefined && !secure) {
        // Plain HTTP through a proxy: the absolute URL as request target (RFC 9112 §3.2.2).
        const viaTls = proxy.protocol === "https:";
        req = (viaTls ? https : http).request({
          host: proxy.hostname,
          port: proxy.port || (viaTls ? 443 : 80),
          path: url.href,
          method,
          headers: { ...headers, host: url.host, ...proxyAuthorization(proxy) },
          agent: agents.via(proxy, false),
        });
      } else {
        const agent = proxy !== undefined ? agents.via(proxy, true) : secure ? agents.https : agents.http;
        req = (secure ? https : http).request(url, { method, headers, agent });
      }
      req.once("response", (res) => resolve(toResponse(res, method)));
      req.once("error", reject);
      if (abortOn(req, init.signal)) return;
      req.end(body);
    });
}
