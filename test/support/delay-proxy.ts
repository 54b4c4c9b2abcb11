// A slow network in front of a real server: each request is read whole, held `delayMs`, then
// forwarded (unless the client gave up meanwhile: an aborted request never reaches the server)
// and the answer passed back. Every exchange is recorded from its first byte to its end (answer
// sent, or connection closed by the client), so a test can tell how many were in flight at once.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ProxiedExchange {
  readonly method: string;
  readonly path: string;
  readonly body: Buffer;
  /** `performance.now()` when the request arrived. */
  readonly start: number;
  /** When it ended: the answer sent, or the client closed the connection. */
  end?: number;
  /** Whether it was forwarded to the server. */
  forwarded: boolean;
  /** The status passed back (0 if none). */
  status: number;
}

export interface DelayProxy {
  readonly url: string;
  readonly exchanges: ProxiedExchange[];
  /** The most exchanges that were ever in flight at the same time. */
  maxConcurrent(): number;
  setDelay(ms: number): void;
  close(): Promise<void>;
}

/** Start a proxy to `target` (a base URL) that holds every request `delayMs` first. */
export async function startDelayProxy(target: string, delayMs: number): Promise<DelayProxy> {
  const to = new URL(target);
  const exchanges: ProxiedExchange[] = [];
  let delay = delayMs;
  let inFlight = 0;
  let max = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const x: ProxiedExchange = { method: req.method ?? "", path: req.url ?? "", body: Buffer.alloc(0), start: performance.now(), forwarded: false, status: 0 };
    exchanges.push(x);
    inFlight++;
    max = Math.max(max, inFlight);
    let ended = false;
    const finish = (): void => {
      if (ended) return;
      ended = true;
      x.end = performance.now();
      inFlight--;
    };
    res.on("close", finish);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      (x as { body: Buffer }).body = Buffer.concat(chunks);
      setTimeout(() => {
        if (ended || res.destroyed) return; // the client gave up: the server never sees it
        x.forwarded = true;
        const up = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
          x.status = r.statusCode ?? 0;
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on("error", (e) => {
          if (!res.headersSent) res.writeHead(502);
          res.end(String(e));
        });
        up.end(x.body);
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    maxConcurrent: () => max,
    setDelay: (ms) => {
      delay = ms;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
