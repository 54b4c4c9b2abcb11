/**
 * Node's agents for promwire's own fetch (node-fetch.ts): direct ones carrying the client's CA
 * and certificate, and for HTTPS through a proxy an agent whose connections are `CONNECT`
 * tunnels with TLS to the target inside (the proxy sees only host and port). Keep-alive, so a
 * writer's requests reuse their connection; Node unrefs idle pooled sockets, so a finished job
 * still exits.
 */
import * as http from "node:http";
import * as https from "node:https";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import * as tls from "node:tls";

/** TLS settings as Node's `tls.connect` takes them. */
export interface SecureOptions {
  readonly ca?: string[];
  readonly cert?: string;
  readonly key?: string;
}

/** `Proxy-Authorization` from a proxy URL's credentials. */
export function proxyAuthorization(proxy: URL): Record<string, string> {
  if (proxy.username === "" && proxy.password === "") return {};
  const pair = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { "proxy-authorization": `Basic ${Buffer.from(pair).toString("base64")}` };
}

type Callback = (err: Error | null, socket?: Duplex) => void;

/** An HTTPS agent whose sockets are TLS over a `CONNECT` tunnel through `proxy`. */
class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    secure: SecureOptions,
  ) {
    super({ keepAlive: true, ...secure });
  }

  override createConnection(options: tls.ConnectionOptions, callback: Callback): undefined {
    const target = `${options.host}:${options.port}`;
    const connect = (this.proxy.protocol === "https:" ? https : http).request({
      host: this.proxy.hostname,
      port: this.proxy.port || (this.proxy.protocol === "https:" ? 443 : 80),
      method: "CONNECT",
      path: target,
      headers: { host: target, ...proxyAuthorization(this.proxy) },
      agent: false,
    });
    connect.once("connect", (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        callback(Object.assign(new Error(`proxy ${this.proxy.host} refused CONNECT ${target}: HTTP ${res.statusCode} ${res.statusMessage ?? ""}`.trim()), { code: "PROXY_CONNECT_REFUSED" }));
        return;
      }
      const host = String(options.host);
      callback(null, tls.connect({ ...options, socket, servername: isIP(host) === 0 ? host : undefined }));
    });
    connect.once("error", (err) => callback(err));
    connect.end();
    return undefined;
  }
}

/** The agents of one client: direct, and per proxy. */
export class Agents {
  readonly http = new http.Agent({ keepAlive: true });
  readonly https: https.Agent;
  private readonly tunnels = new Map<string, TunnelAgent>();
  private readonly proxies = new Map<string, http.Agent>();

  constructor(private readonly secure: SecureOptions) {
    this.https = new https.Agent({ keepAlive: true, ...secure });
  }

  /** For HTTPS through `proxy`. */
  tunnel(proxy: URL): https.Agent {
    let a = this.tunnels.get(proxy.href);
    if (a === undefined) this.tunnels.set(proxy.href, (a = new TunnelAgent(proxy, this.secure)));
    return a;
  }

  /** For plain HTTP through `proxy` (absolute-form requests to the proxy itself). */
  toProxy(proxy: URL): http.Agent {
    let a = this.proxies.get(proxy.href);
    if (a === undefined) this.proxies.set(proxy.href, (a = proxy.protocol === "https:" ? new https.Agent({ keepAlive: true, ca: this.secure.ca }) : new http.Agent({ keepAlive: true })));
    return a;
  }
}
