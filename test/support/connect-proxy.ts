// A real HTTP proxy for tests (the `proxy` package: absolute-form requests and CONNECT tunnels) on
// 127.0.0.1, requiring Basic proxy credentials, recording what it was asked to do.
import { createServer } from "node:http";
import { createProxy } from "proxy";

export interface ProxySeen {
  /** "request" (absolute-form, plain HTTP) or "connect" (a tunnel). */
  readonly kind: "request" | "connect";
  /** The absolute URL, or host:port of the tunnel. */
  readonly target: string;
  readonly authorized: boolean;
}

export interface ConnectProxy {
  /** `http://user:pass@127.0.0.1:port` */
  readonly url: string;
  /** The same without credentials (answered 407). */
  readonly bareUrl: string;
  readonly seen: ProxySeen[];
  close(): Promise<void>;
}

export const PROXY_USER = "proxy-user";
export const PROXY_PASSWORD = "pr0xy p@ss";

export function startConnectProxy(): Promise<ConnectProxy> {
  const seen: ProxySeen[] = [];
  const expected = `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64")}`;
  const server = createProxy(createServer());
  server.authenticate = (req) => req.headers["proxy-authorization"] === expected;
  server.on("request", (req) => seen.push({ kind: "request", target: req.url ?? "", authorized: req.headers["proxy-authorization"] === expected }));
  server.on("connect", (req) => seen.push({ kind: "connect", target: req.url ?? "", authorized: req.headers["proxy-authorization"] === expected }));
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolve({
        url: `http://${encodeURIComponent(PROXY_USER)}:${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:${port}`,
        bareUrl: `http://127.0.0.1:${port}`,
        seen,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
