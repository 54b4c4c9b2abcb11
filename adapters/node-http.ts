/**
 * Node's direct transport: one request over `node:http` (or `node:https`, loaded for the first
 * https URL) with Node's default keep-alive agents, answered as the few fields an exchange reads
 * (status, headers, a body reader). Used for every plain connection on Node, i.e. no `fetch`
 * option, no proxy, no TLS settings (those keep node-fetch.ts or the user's fetch).
 *
 * Why not the global `fetch`: on Node 20–24 it is undici, loaded and compiled on its first use —
 * 25–55 ms measured on this project's machines, most of a short job's first request; `node:http`
 * is part of Node's own start-up and costs some 3 ms to import. `Headers` and `Response` are
 * undici as well, which is why the answer is not a `Response`. Loaded on the first request (the
 * Node entry imports it dynamically).
 */
import * as http from "node:http";
import type { BodyReader, ExchangeResponse, ResponseHeaders, Transport } from "../core/client/http/types.ts";

/** Statuses whose responses have no body (fetch's "null body status"). */
export const NULL_BODY = new Set([101, 204, 205, 304]);

/** Header lookup over Node's raw header list, with `Headers.get`'s joining of repeated fields. */
class RawHeaders implements ResponseHeaders {
  constructor(private readonly raw: readonly string[]) {}

  get(name: string): string | null {
    const want = name.toLowerCase();
    let out: string | null = null;
    for (let i = 0; i + 1 < this.raw.length; i += 2) {
      if (this.raw[i].toLowerCase() !== want) continue;
      out = out === null ? this.raw[i + 1] : `${out}, ${this.raw[i + 1]}`;
    }
    return out;
  }
}

function bodyReader(res: http.IncomingMessage): BodyReader {
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return {
    read: async () => {
      const next = await chunks.next();
      return next.done === true ? { done: true } : { done: false, value: new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength) };
    },
    cancel: async () => {
      // Not read to its end: the socket cannot be reused for another request.
      if (!res.complete) res.destroy();
      else res.resume();
    },
  };
}

/**
 * Destroy `req` when `signal` aborts, with the signal's reason as the request's error; stop
 * listening once the exchange is over. True when it was already aborted: `req` is destroyed,
 * end it no more.
 */
export function abortOn(req: http.ClientRequest, signal: AbortSignal | null | undefined): boolean {
  if (signal === undefined || signal === null) return false;
  const onAbort = (): void => void req.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
  if (signal.aborted) {
    onAbort();
    return true;
  }
  signal.addEventListener("abort", onAbort, { once: true });
  req.once("close", () => signal.removeEventListener("abort", onAbort));
  return false;
}

/** The request's headers as a plain record (promwire passes one; a `[name, value][]` or `Headers` works too). */
export function headerRecord(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (init === undefined) return out;
  if (Array.isArray(init)) {
    for (const [k, v] of init) out[k.toLowerCase()] = v;
  } else if (typeof (init as Headers).forEach === "function") {
    (init as Headers).forEach((v, k) => (out[k.toLowerCase()] = v));
  } else {
    for (const [k, v] of Object.entries(init as Record<string, string>)) out[k.toLowerCase()] = v;
  }
  return out;
}

/** A request body as bytes (no copy of a byte view). */
export function bodyBytes(body: BodyInit | null | undefined): Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError("promwire's Node transport sends bytes or text bodies only");
}

let https: Promise<typeof import("node:https")> | undefined;

/**
 * Send one request: method, headers, a byte or text body, an `AbortSignal` (aborting before the
 * answer rejects with the signal's reason; after it, the body read fails). Redirects are never
 * followed (exchange.ts follows them by hand, as with `redirect: "manual"`).
 * @example const res = await nodeHttpSend("http://127.0.0.1:9090/api/v1/write", { method: "POST", headers, body });
 */
export const nodeHttpSend: Transport = async (input, init) => {
  const url = new URL(input);
  const secure = url.protocol === "https:";
  if (!secure && url.protocol !== "http:") throw new TypeError(`unsupported protocol ${url.protocol}`);
  const transport = secure ? await (https ??= import("node:https")) : http;
  const method = init.method ?? "GET";
  const headers = headerRecord(init.headers);
  const body = bodyBytes(init.body);
  if (body !== undefined) headers["content-length"] = String(body.byteLength);
  return new Promise<ExchangeResponse>((resolve, reject) => {
    const req = transport.request(url, { method, headers });
    req.once("error", reject);
    if (abortOn(req, init.signal)) return;
    req.once("response", (res) => {
      const status = res.statusCode ?? 502;
      const hasBody = !NULL_BODY.has(status) && method !== "HEAD";
      if (!hasBody) res.resume();
      resolve({ status, type: "basic", headers: new RawHeaders(res.rawHeaders), body: hasBody ? { getReader: () => bodyReader(res) } : null });
    });
    req.end(body);
  });
};
