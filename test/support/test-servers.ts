// The servers every runtime's shared cases talk to, started once per `npm test` (and per
// `npm run test:<runtime>` when run alone): the local remote-write receiver (cli/receiver.ts)
// behind a thin front that also answers `GET /_test/requests?path=<prefix>` with what the
// receiver decoded (runtimes other than Node cannot see the receiver's memory), and a real
// Pushgateway. Both on 127.0.0.1.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { startReceiver, type ReceivedRequest } from "../../cli/receiver.ts";
import { initEmbeddedSnappy } from "../../core/wire/snappy-embedded.ts";
import { startPushgateway } from "./pushgateway.ts";

export interface TestServers {
  /** The receiver's front: remote write and Pushgateway-style requests, plus `/_test/requests`. */
  readonly receiverUrl: string;
  /** A real Pushgateway. */
  readonly pushgatewayUrl: string;
  stop(): Promise<void>;
}

/** JSON-safe: NaN, ±Inf and bigint become strings. */
function toJson(requests: readonly ReceivedRequest[]): string {
  return JSON.stringify(requests, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : typeof v === "bigint" ? String(v) : v));
}

function forward(req: IncomingMessage, res: ServerResponse, target: URL): void {
  const up = httpRequest(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on("error", (e) => {
    if (!res.headersSent) res.writeHead(502);
    res.end(String(e));
  });
  req.pipe(up);
}

export async function startTestServers(): Promise<TestServers> {
  initEmbeddedSnappy(); // the receiver decompresses what it gets
  const receiver = await startReceiver({ port: 0, host: "127.0.0.1" });
  const pushgateway = await startPushgateway();
  const target = new URL(receiver.url);
  const front: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://front");
    if (req.method === "GET" && url.pathname === "/_test/requests") {
      const prefix = url.searchParams.get("path") ?? "/";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(toJson(receiver.requests.filter((r) => r.path.startsWith(prefix))));
      return;
    }
    forward(req, res, target);
  });
  await new Promise<void>((resolve) => front.listen(0, "127.0.0.1", resolve));
  const port = (front.address() as AddressInfo).port;
  return {
    receiverUrl: `http://127.0.0.1:${port}`,
    pushgatewayUrl: pushgateway.url,
    async stop() {
      front.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await receiver.close();
      await pushgateway.stop();
    },
  };
}
