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
  constructor(private readonly proxy: URL, secure: SecureOptions) {
    super({ keepAlive: true, ...secure });
  }

  override createConnection(options: tls.ConnectionOptions, callback: Callback): undefined {
    const target = `${options.host}:${options.port}`;
    const viaTls = this.proxy.protocol === "https:";
    const headers = { host: target, ...proxyAuthorization(this.proxy) };
    const connect = (viaTls ? https : http).request({ host: this.proxy.hostname, port: this.proxy.port || (viaTls ? 443 : 80), method: "CONNECT", path: target, headers, agent: false });
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

/** The agents of one client: direct ones, and per proxy a tunnel (HTTPS) or a pool to the proxy itself (HTTP). */
export class Agents {
  readonly http = new http.Agent({ keepAlive: true });
  readonly https: https.Agent;
  private readonly byProxy = new Map<string, http.Agent>();

  constructor(private readonly secure: SecureOptions) {
    this.https = new https.Agent({ keepAlive: true, ...secure });
  }

  /** For a request to a `secure` (https) target or not, through `proxy`. */
  via(proxy: URL, secure: boolean): http.Agent {
    const key = `${secure}${proxy.href}`;
    let a = this.byProxy.get(key);
    if (a !== undefined) return a;
    if (secure) a = new TunnelAgent(proxy, this.secure);
    else a = proxy.protocol === "https:" ? new https.Agent({ keepAlive: true, ca: this.secure.ca }) : new http.Agent({ keepAlive: true });
    this.byProxy.set(key, a);
    return a;
  }
}
