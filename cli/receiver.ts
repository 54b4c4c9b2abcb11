/**
 * `promwire receive`: a local debugging sink for remote write (1.0 and 2.0) and Pushgateway-style
 * pushes. It decodes every request, keeps it in memory for inspection and hands it to `onRequest`
 * (the CLI prints it). It answers like a real receiver — v2 with the `X-Prometheus-Remote-Write-*-Written`
 * headers, Pushgateway PUT/POST 200 and DELETE 202 — and never crashes on bad input: 400, 413 or
 * 415 with the reason. Not a storage: nothing is queryable.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeWriteRequest, versionFromContentType } from "../core/wire/decode.ts";
import { decodeMetricFamiliesDelimited } from "../core/wire/metric-family-decode.ts";
import { decompress } from "../core/wire/snappy.ts";
import type { DecodedWriteRequest } from "../core/wire/types.ts";
import { parseExposition } from "../core/exposition/parse.ts";
import type { MetricFamily } from "../core/exposition/model.ts";

/** One request the receiver accepted, decoded. */
export type ReceivedRequest =
  | {
      readonly kind: "remote-write";
      readonly path: string;
      readonly headers: Record<string, string>;
      readonly bytes: number;
      /** The body exactly as received (snappy-compressed), e.g. to save and `promwire decode` later. */
      readonly body: Uint8Array;
      readonly request: DecodedWriteRequest;
    }
  | {
      readonly kind: "pushgateway";
      readonly method: "PUT" | "POST" | "DELETE";
      readonly path: string;
      readonly headers: Record<string, string>;
      readonly grouping: Record<string, string>;
      readonly families: MetricFamily[];
    };

export interface ReceiverOptions {
  readonly port?: number;
  /** Interface to bind; loopback unless told otherwise. */
  readonly host?: string;
  /** Largest accepted body, compressed or not (default 32 MiB, like Prometheus). */
  readonly maxBodyBytes?: number;
  readonly onRequest?: (r: ReceivedRequest) => void;
  readonly onReject?: (path: string, status: number, reason: string) => void;
}

export interface Receiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "x-api-key", "cookie", "x-auth-token"]);

/** Headers with credentials masked, safe to print. */
export function maskHeaders(raw: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(", ") : v;
    if (SECRET_HEADERS.has(k)) {
      const scheme = value.split(" ")[0];
      out[k] = scheme && scheme !== value ? `${scheme} ***` : "***";
    } else out[k] = value;
  }
  return out;
}

class Reject extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, max: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new Reject(413, `body larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function fromBase64Url(s: string): string {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/");
  return Buffer.from(b64, "base64").toString("utf8");
}

/** `/metrics/job/<job>{/<label>[@base64]/<value>}` → grouping labels (job included). */
export function parseGroupingPath(path: string): Record<string, string> {
  const rest = path.slice("/metrics/".length);
  if (rest.endsWith("/")) throw new Reject(400, "trailing slash in grouping path");
  const parts = rest.split("/");
  if (parts.length % 2 !== 0) throw new Reject(400, "grouping path has an odd number of segments");
  const out: Record<string, string> = {};
  for (let i = 0; i < parts.length; i += 2) {
    let name = decodeURIComponent(parts[i]);
    let value = decodeURIComponent(parts[i + 1]);
    if (name.endsWith("@base64")) {
      name = name.slice(0, -"@base64".length);
      value = value === "=" ? "" : fromBase64Url(value);
    }
    out[name] = value;
  }
  if (!out.job) throw new Reject(400, "grouping path must start with job/<job>");
  return out;
}

function formatLe(v: number): string {
  return v === Infinity ? "+Inf" : String(v);
}

function readDelimitedFamilies(body: Uint8Array): MetricFamily[] {
  const out: MetricFamily[] = [];
  // A DecodeError (truncated or corrupt body) becomes a 400 like every other rejection.
  for (const mf of decodeMetricFamiliesDelimited(body)) {
    // Shown as text-model families, expanded the way the Pushgateway exposes them.
    const type = (["counter", "gauge", "summary", "unknown", "histogram", "gaugehistogram"] as const)[mf.type ?? 3] ?? "unknown";
    const name = mf.name ?? "";
    const samples: MetricFamily["samples"][number][] = [];
    for (const m of mf.metric) {
      const labels = m.label ?? [];
      if (m.summary !== undefined) {
        for (const q of m.summary.quantile ?? []) samples.push({ name, labels: [...labels, "quantile", String(q.quantile ?? 0)], value: q.value ?? 0 });
        samples.push({ name: `${name}_sum`, labels, value: m.summary.sampleSum ?? 0 });
        samples.push({ name: `${name}_count`, labels, value: m.summary.sampleCount ?? 0 });
      } else if (m.histogram !== undefined) {
        const h = m.histogram;
        const buckets = h.bucket ?? [];
        const histogramCount = h.sampleCountFloat || (h.sampleCount ?? 0);
        for (const b of buckets) samples.push({ name: `${name}_bucket`, labels: [...labels, "le", formatLe(b.upperBound ?? 0)], value: b.cumulativeCountFloat || (b.cumulativeCount ?? 0) });
        if (!buckets.some((b) => b.upperBound === Infinity)) samples.push({ name: `${name}_bucket`, labels: [...labels, "le", "+Inf"], value: histogramCount });
        samples.push({ name: `${name}_sum`, labels, value: h.sampleSum ?? 0 });
        samples.push({ name: `${name}_count`, labels, value: histogramCount });
      } else {
        samples.push({ name, labels, value: m.gauge?.value ?? m.counter?.value ?? m.untyped?.value ?? 0 });
      }
    }
    out.push({ name, type, help: mf.help || undefined, samples });
  }
  return out;
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: ReceiverOptions, requests: ReceivedRequest[]): Promise<void> {
  const url = new URL(req.url ?? "/", "http://receiver");
  const path = url.pathname;
  const max = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const headers = maskHeaders(req.headers);
  if (req.method === "GET" && (path === "/-/ready" || path === "/-/healthy")) {
    res.writeHead(200).end("ok\n");
    return;
  }
  if (path.startsWith("/metrics/")) {
    const method = req.method as "PUT" | "POST" | "DELETE";
    if (method !== "PUT" && method !== "POST" && method !== "DELETE") throw new Reject(405, `method ${req.method} not allowed on ${path}`);
    const grouping = parseGroupingPath(path);
    const body = await readBody(req, max);
    let families: MetricFamily[] = [];
    if (method !== "DELETE") {
      const ct = req.headers["content-type"] ?? "";
      if (ct.includes("application/vnd.google.protobuf")) families = readDelimitedFamilies(body);
      else {
        const text = new TextDecoder("utf-8", { fatal: true }).decode(body);
        if (text.length > 0 && !text.endsWith("\n")) throw new Reject(400, "text body must end with a newline (as the Pushgateway requires)");
        families = parseExposition(text, { contentType: ct || undefined });
      }
    }
    const r: ReceivedRequest = { kind: "pushgateway", method, path, headers, grouping, families };
    requests.push(r);
    opts.onRequest?.(r);
    res.writeHead(method === "DELETE" ? 202 : 200).end();
    return;
  }
  if (req.method !== "POST") throw new Reject(405, `use POST for remote write (got ${req.method} ${path})`);
  const encoding = (req.headers["content-encoding"] ?? "").toLowerCase();
  if (encoding !== "snappy") throw new Reject(415, `Content-Encoding must be snappy (got ${JSON.stringify(encoding)})`);
  const version = versionFromContentType(req.headers["content-type"]);
  if (version === undefined) throw new Reject(415, `unsupported Content-Type ${JSON.stringify(req.headers["content-type"] ?? "")}`);
  const body = await readBody(req, max);
  const request = decodeWriteRequest(decompress(body, { maxBytes: max }), { version });
  const r: ReceivedRequest = { kind: "remote-write", path, headers, bytes: body.length, body, request };
  requests.push(r);
  opts.onRequest?.(r);
  if (version === "v2") {
    let samples = 0;
    let histograms = 0;
    let exemplars = 0;
    for (const s of request.series) {
      samples += s.samples?.length ?? 0;
      histograms += s.histograms?.length ?? 0;
      exemplars += s.exemplars?.length ?? 0;
    }
    res.setHeader("X-Prometheus-Remote-Write-Samples-Written", String(samples));
    res.setHeader("X-Prometheus-Remote-Write-Histograms-Written", String(histograms));
    res.setHeader("X-Prometheus-Remote-Write-Exemplars-Written", String(exemplars));
  }
  res.writeHead(204).end();
}

/**
 * Start the receiver.
 * @example
 * const rx = await startReceiver({ port: 0, onRequest: (r) => console.log(r) });
 * // point remote_write at `${rx.url}/api/v1/write`, a Pushgateway client at rx.url
 */
export async function startReceiver(opts: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    handle(req, res, opts, requests).catch((err: unknown) => {
      const status = err instanceof Reject ? err.status : 400;
      const reason = err instanceof Error ? err.message : String(err);
      opts.onReject?.(req.url ?? "", status, reason);
      if (!res.headersSent) res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`${reason}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
