// A remote-write receiver for fault injection: records every request, decompresses and decodes
// every body, re-encodes what it decoded and checks the result equals the body byte for byte.
// Behaviour per request is scripted by the test; it can also go down and come back on its port.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import "./snappy-node.ts";
import { decodeWriteRequest, versionFromContentType } from "../../core/wire/decode.ts";
import { encodeWriteRequest } from "../../core/wire/encode.ts";
import { decompress } from "../../core/wire/snappy.ts";
import type { DecodedWriteRequest } from "../../core/wire/types.ts";

export interface RecordedRequest {
  /** Index in arrival order. */
  readonly index: number;
  /** `performance.now()` when the body was complete. */
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly decoded?: DecodedWriteRequest;
  /** Why the body failed the checks, if it did. */
  readonly problem?: string;
  /** Status answered (0 for hung or destroyed). */
  status: number;
  /** For a hung request: `performance.now()` when the client closed the connection. */
  closedAt?: number;
  /** `performance.now()` when the answer was sent. */
  answeredAt?: number;
}

/** What to do with a request. */
export interface Reply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Never answer (the client must time out). */
  readonly hang?: boolean;
  /** Reset the connection without answering. */
  readonly destroy?: boolean;
  /** Answer after this long, ms (a slow link). */
  readonly delayMs?: number;
}

export type Behaviour = (req: RecordedRequest) => Reply;

export interface FaultServer {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Requests answered 2xx. */
  accepted(): RecordedRequest[];
  /** Most requests open at once so far (arrived, not yet answered). */
  maxConcurrent(): number;
  setBehaviour(b: Behaviour): void;
  /** Stop listening (connections refused) for `ms`, then listen again on the same port. */
  down(ms: number): Promise<void>;
  close(): Promise<void>;
}

function check(method: string, headers: IncomingHttpHeaders, body: Buffer): { decoded?: DecodedWriteRequest; problem?: string } {
  if (method !== "POST") return {};
  try {
    if (headers["content-encoding"] !== "snappy") return { problem: `content-encoding ${headers["content-encoding"]}` };
    const version = versionFromContentType(headers["content-type"]);
    if (version === undefined) return { problem: `content-type ${headers["content-type"]}` };
    const expectHeader = version === "v2" ? "2.0.0" : "0.1.0";
    if (headers["x-prometheus-remote-write-version"] !== expectHeader) {
      return { problem: `version header ${headers["x-prometheus-remote-write-version"]} for ${version}` };
    }
    const raw = decompress(new Uint8Array(body));
    const decoded = decodeWriteRequest(raw, { version });
    const again = encodeWriteRequest(decoded.series, { version, metadata: decoded.metadata });
    if (Buffer.compare(Buffer.from(again), Buffer.from(raw)) !== 0) {
      return { decoded, problem: `re-encoding the decoded request gives different bytes (${again.length} vs ${raw.length})` };
    }
    return { decoded };
  } catch (err) {
    return { problem: `undecodable body: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export async function startFaultServer(behaviour: Behaviour = () => ({ status: 204 })): Promise<FaultServer> {
  let current = behaviour;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();

  const handler = (req: import("node:http").IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const { decoded, problem } = check(req.method ?? "", req.headers, body);
      const rec: RecordedRequest = {
        index: requests.length,
        at: performance.now(),
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        decoded,
        problem,
        status: 0,
      };
      requests.push(rec);
      const reply = problem ? { status: 400, body: problem } : current(rec);
      if (reply.destroy) {
        req.socket.destroy();
        return;
      }
      if (reply.hang) {
        hung.add(res);
        res.on("close", () => {
          rec.closedAt = performance.now();
        });
        return;
      }
      const answer = (): void => {
        if (res.destroyed) return;
        rec.status = reply.status ?? 204;
        rec.answeredAt = performance.now();
        res.writeHead(rec.status, reply.headers ?? {});
        res.end(reply.body ?? "");
      };
      if (reply.delayMs === undefined) answer();
      else {
        hung.add(res);
        setTimeout(() => (hung.delete(res), res.destroyed || answer()), reply.delayMs);
      }
    });
  };

  const listen = (server: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
    });

  const make = (): Server => {
    const s = createServer(handler);
    s.on("connection", (sock) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
    });
    return s;
  };

  let server = make();
  const port = await listen(server, 0);
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const r of hung) r.destroy();
      hung.clear();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });

  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    port,
    requests,
    accepted: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    maxConcurrent: () => {
      const events = requests.flatMap((r) => [[r.at, 1] as const, [r.answeredAt ?? r.closedAt ?? Infinity, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let open = 0;
      let max = 0;
      for (const [, d] of events) max = Math.max(max, (open += d));
      return max;
    },
    setBehaviour(b) {
      current = b;
    },
    async down(ms) {
      await stop();
      await new Promise((r) => setTimeout(r, ms));
      server = make();
      await listen(server, port);
    },
    close: stop,
  };
}
