// Node's direct transport (adapters/node-http.ts): what reaches the receiver byte for byte, what
// an exchange reads of the answer, aborts and refused connections as the typed errors fetch's
// failures become; and the Node entry choosing it: a job sends without loading undici, and a
// `fetch` replaced before or after the import is the one called.
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeHttpSend } from "../../adapters/node-http.ts";
import * as promwire from "../../adapters/node.ts";
import { HttpError, NetworkError } from "../../core/errors.ts";
import { exchange } from "../../core/client/http/exchange.ts";
import { describeFetchError } from "../../core/client/http/tls-errors.ts";
import { decodeWriteRequest } from "../../core/wire/index.ts";
import { decompress } from "../../core/wire/snappy.ts";
import "../support/snappy-node.ts";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
/** What the next requests get, by path. */
const answers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) });
      const answer = answers.get(new URL(req.url ?? "/", "http://x").pathname);
      if (answer !== undefined) return answer(req, res);
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

const headerMap = (raw: readonly string[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) out[raw[i].toLowerCase()] = raw[i + 1];
  return out;
};

async function readAll(body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } } | null): Promise<string> {
  if (body === null) return "";
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    parts.push(r.value!);
  }
  return Buffer.concat(parts).toString("utf8");
}

describe("nodeHttpSend", () => {
  it("sends method, path and query, the given headers, an exact Content-Length and the body bytes", async () => {
    seen.length = 0;
    const body = new Uint8Array(300).map((_, i) => (i * 7) & 255);
    const res = await nodeHttpSend(`${base}/api/v1/write?tenant=a%20b`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", "x-custom": "1", "user-agent": "promwire-test" },
      body,
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(seen).toHaveLength(1);
    const s = seen[0];
    expect(s.method).toBe("POST");
    expect(s.url).toBe("/api/v1/write?tenant=a%20b");
    expect([...s.body]).toEqual([...body]);
    const h = headerMap(s.rawHeaders);
    expect(h["content-length"]).toBe("300");
    expect(h["content-type"]).toBe("application/x-protobuf");
    expect(h["x-custom"]).toBe("1");
    expect(h["user-agent"]).toBe("promwire-test");
    expect(h.host).toBe(base.slice("http://".length));
    // Nothing of fetch's own (undici adds sec-fetch-mode and accept-language): what was given, and HTTP/1.1's.
    expect(Object.keys(h).sort()).toEqual(["connection", "content-length", "content-type", "host", "user-agent", "x-custom"]);
  });

  it("answers with the status, headers looked up case-insensitively (repeated ones joined) and the body", async () => {
    answers.set("/answer", (_req, res) => {
      res.statusCode = 503;
      res.setHeader("Retry-After", "7");
      res.setHeader("X-Many", ["a", "b"]);
      res.end("try later");
    });
    const res = await nodeHttpSend(`${base}/answer`, { method: "POST", headers: {}, body: new Uint8Array(1) });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("RETRY-AFTER")).toBe("7");
    expect(res.headers.get("x-many")).toBe("a, b");
    expect(res.headers.get("x-absent")).toBeNull();
    expect(await readAll(res.body)).toBe("try later");
  });

  it("never follows a redirect (the exchange does, by hand)", async () => {
    seen.length = 0;
    answers.set("/moved", (_req, res) => {
      res.statusCode = 307;
      res.setHeader("Location", "/elsewhere");
      res.end();
    });
    const res = await nodeHttpSend(`${base}/moved`, { method: "POST", headers: {}, body: new Uint8Array(1) });
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("/elsewhere");
    expect(seen.map((s) => s.url)).toEqual(["/moved"]);
  });

  it("an abort before the answer rejects with the signal's reason; during the body, reading fails", async () => {
    answers.set("/slow", () => {}); // never answers
    const early = new AbortController();
    const pending = nodeHttpSend(`${base}/slow`, { method: "POST", headers: {}, body: new Uint8Array(1), signal: early.signal });
    setTimeout(() => early.abort(new Error("stop now")), 50);
    await expect(pending).rejects.toThrow("stop now");

    answers.set("/trickle", (_req, res) => {
      res.statusCode = 500;
      res.write("first part ");
    });
    const late = new AbortController();
    const res = await nodeHttpSend(`${base}/trickle`, { method: "POST", headers: {}, body: new Uint8Array(1), signal: late.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first part ");
    late.abort(new Error("timed out"));
    await expect(reader.read()).rejects.toThrow();

    const before = new AbortController();
    before.abort(new Error("already"));
    await expect(nodeHttpSend(`${base}/x`, { method: "POST", headers: {}, signal: before.signal })).rejects.toThrow("already");
  });

  it("a refused connection is an error whose code the NetworkError names; other protocols are refused", async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, "127.0.0.1", done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const url = new URL(`http://127.0.0.1:${port}/api/v1/write?token=secret`);
    const err = await nodeHttpSend(url.href, { method: "POST", headers: {}, body: new Uint8Array(1) }).catch((e: unknown) => e);
    const typed = describeFetchError(err, url);
    expect(typed).toBeInstanceOf(NetworkError);
    expect(typed.message).toContain("ECONNREFUSED");
    expect(typed.message).not.toContain("secret");
    await expect(nodeHttpSend("ftp://127.0.0.1/x", { method: "POST", headers: {} })).rejects.toThrow(TypeError);
  });

  it("carries a whole exchange: a 5xx becomes an HttpError with the body's first KiB and Retry-After", async () => {
    answers.set("/fail", (_req, res) => {
      res.statusCode = 500;
      res.setHeader("Retry-After", "3");
      res.end("x".repeat(5000));
    });
    const config = { fetch: nodeHttpSend, timeoutMs: 5000, now: Date.now };
    const err = await exchange({ method: "POST", url: new URL(`${base}/fail`), headers: { "content-type": "text/plain" }, body: new Uint8Array(3) }, config, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(500);
    expect((err as HttpError).body).toBe("x".repeat(1024));
    expect((err as HttpError).retryAfterMs).toBe(3000);
  });
});

describe("the Node entry's transport", () => {
  it("a writer's requests go over node:http (no fetch headers), delivered and decodable", async () => {
    seen.length = 0;
    answers.delete("/api/v1/write");
    const registry = new promwire.Registry();
    new promwire.Counter({ name: "direct_total", help: "h", registry }).inc(3);
    const rw = promwire.remoteWrite({ url: `${base}/api/v1/write` });
    rw.collect(registry);
    const stats = await rw.close();
    expect(stats.sent).toBe(1);
    expect(seen).toHaveLength(1);
    const h = headerMap(seen[0].rawHeaders);
    expect(h["sec-fetch-mode"]).toBeUndefined();
    expect(h["content-encoding"]).toBe("snappy");
    expect(h["content-length"]).toBe(String(seen[0].body.length));
    const { series } = decodeWriteRequest(decompress(seen[0].body));
    expect(series.filter((s) => s.labels.includes("direct_total")).map((s) => (s.samples ?? []).map((x) => x.value))).toEqual([[3]]);
  });

  it("a fetch replaced after the import is the one called", async () => {
    seen.length = 0;
    const original = globalThis.fetch;
    const calls: string[] = [];
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      calls.push(String(input));
      return original(input, init);
    }) as typeof fetch;
    try {
      const rw = promwire.remoteWrite({ url: `${base}/api/v1/write` });
      rw.write([{ labels: ["__name__", "via_fetch"], samples: [{ value: 1, timestamp: Date.now() }] }]);
      expect((await rw.close()).sent).toBe(1);
    } finally {
      globalThis.fetch = original;
    }
    expect(calls).toEqual([`${base}/api/v1/write`]);
    expect(seen).toHaveLength(1);
  });

  it("a whole job loads no undici; with fetch replaced before the import, the replacement is used", async () => {
    const outdir = resolve(".cache/node-http-job");
    mkdirSync(outdir, { recursive: true });
    const outfile = `${outdir}/job.mjs`;
    await build({ entryPoints: ["test/adapters/fixtures/node-http-job.ts"], bundle: true, platform: "node", format: "esm", target: "node20", outfile, packages: "external", logLevel: "error" });
    // Asynchronously: the receiver runs in this process.
    const run = (mode: string): Promise<{ sent: number; failed: number; undici: boolean; replacedCalls: number }> =>
      new Promise((done, fail) =>
        execFile(process.execPath, [outfile, `${base}/api/v1/write`, mode], { encoding: "utf8", timeout: 30_000 }, (err, stdout, stderr) =>
          err ? fail(new Error(`${err.message}\n${stderr}`)) : done(JSON.parse(stdout.trim().split("\n").at(-1)!)),
        ),
      );
    seen.length = 0;
    const plain = await run("plain");
    expect(plain).toEqual({ sent: 1, failed: 0, undici: false, replacedCalls: 0 });
    const replaced = await run("replace-before-import");
    expect(replaced).toEqual({ sent: 1, failed: 0, undici: true, replacedCalls: 1 });
    expect(seen).toHaveLength(2);
  });
});
