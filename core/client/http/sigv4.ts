/**
 * AWS Signature Version 4 (docs.aws.amazon.com, "Create a signed AWS API request") over
 * WebCrypto, so the same code signs on Node, Deno, Bun and Workers. Loaded only when a client
 * uses SigV4.
 *
 * What is signed, as AWS's own signers (aws-sdk-go, which Prometheus' `sigv4` uses) and the
 * `aws4` package do for services other than S3: `host`, `x-amz-date`, `x-amz-security-token` with
 * temporary credentials, and the headers given except those a hop may change
 * ({@link UNSIGNED_HEADERS}: `user-agent`, `connection`, `proxy-*`…); the payload hash is SHA-256
 * of the exact bytes sent. The canonical URI is the path as sent, without empty and `.`/`..` segments, each segment
 * URI-encoded once more ("encoded twice", as AWS requires for all services but S3).
 */

import type { AwsCredentials } from "./auth.ts";

/**
 * A request to sign. `headers` are those to sign besides `host` and the `x-amz-*` ones the
 * signature adds (the few a hop may change are skipped).
 */
export interface SigV4Request {
  readonly method: string;
  /** `host[:port]`, as the Host header carries it. */
  readonly host: string;
  /** The path as sent, e.g. `URL#pathname`. */
  readonly path: string;
  /** The query as sent, with or without its `?`, e.g. `URL#search`. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes sent; undefined: no body. */
  readonly body: Uint8Array | string | undefined;
}

/** Where and when the signature is valid. */
export interface SigV4Scope {
  readonly region: string;
  readonly service: string;
  /** Signing time, ms since the epoch. */
  readonly time: number;
}

/**
 * Headers a hop may add, drop or rewrite: never signed. The union of what the `aws4` package and
 * AWS's own JavaScript signer (`@smithy/signature-v4`) leave out, `proxy-*` and `sec-*` included.
 */
export const UNSIGNED_HEADERS: ReadonlySet<string> = new Set([
  "authorization",
  "cache-control",
  "connection",
  "expect",
  "from",
  "keep-alive",
  "max-forwards",
  "pragma",
  "presigned-expires",
  "range",
  "referer",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id",
]);

function signable(name: string): boolean {
  return !UNSIGNED_HEADERS.has(name) && !name.startsWith("proxy-") && !name.startsWith("sec-");
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  let out = "";
  for (const b of new Uint8Array(bytes)) out += b.toString(16).padStart(2, "0");
  return out;
}

async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return hex(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

function hmacKey(raw: BufferSource): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

async function hmac(key: BufferSource | CryptoKey, data: string): Promise<ArrayBuffer> {
  const k = "algorithm" in key ? key : await hmacKey(key);
  return crypto.subtle.sign("HMAC", k, encoder.encode(data));
}

/** RFC 3986 encoding: everything but `A-Z a-z 0-9 - _ . ~`. */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `decodeURIComponent` that keeps malformed escapes (as servers parsing a query do). */
function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const m = text[i] === "%" ? /^[0-9a-fA-F]{2}$/.exec(text.slice(i + 1, i + 3)) : null;
      if (m !== null) {
        bytes.push(parseInt(m[0], 16));
        i += 2;
      } else {
        for (const b of encoder.encode(text[i])) bytes.push(b);
      }
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
}

/** `20150830T123600Z`. */
export function amzDate(time: number): string {
  return new Date(time).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

/**
 * The canonical URI of a path as sent: repeated slashes collapsed, `.` and `..` resolved, each
 * segment encoded once more.
 * @example canonicalPath("/a b/../c%20d") // "/c%2520d"
 */
export function canonicalPath(pathname: string): string {
  if (pathname === "/" || pathname === "") return "/";
  const out: string[] = [];
  for (const piece of pathname.replace(/\/{2,}/g, "/").split("/")) {
    if (piece === "..") out.pop();
    else if (piece !== ".") out.push(encodeRfc3986(piece));
  }
  const path = out.join("/");
  return path.startsWith("/") ? path : `/${path}`;
}

/**
 * The canonical query: parameters decoded (`+` is a space), re-encoded per RFC 3986, sorted by
 * name then value; parameters without a name are left out.
 * @example canonicalQuery("?b=2&a=x+y") // "a=x%20y&b=2"
 */
export function canonicalQuery(search: string): string {
  const pairs: [string, string][] = [];
  for (const part of search.replace(/^\?/, "").split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decodeLenient((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, " "));
    if (name === "") continue;
    const value = eq < 0 ? "" : decodeLenient(part.slice(eq + 1).replace(/\+/g, " "));
    pairs.push([encodeRfc3986(name), encodeRfc3986(value)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** The headers that are signed, canonical: sorted lower-case names, values trimmed, inner whitespace collapsed. */
function signedHeaderList(req: SigV4Request, extra: Readonly<Record<string, string>>): [string, string][] {
  // A Map: header names such as `__proto__` or `constructor` are names like any other.
  const all = new Map<string, string>([["host", req.host]]);
  for (const [k, v] of Object.entries(req.headers)) all.set(k.toLowerCase(), v);
  for (const [k, v] of Object.entries(extra)) all.set(k, v);
  return [...all]
    .filter(([k]) => signable(k))
    .map(([k, v]): [string, string] => [k, v.trim().replace(/\s+/g, " ")])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

let cachedKey: { readonly id: string; readonly key: CryptoKey } | undefined;

/** kSigning = HMAC chain over date, region, service, "aws4_request"; one kept (it changes daily). */
async function signingKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  const id = `${secret}\n${date}\n${region}\n${service}`;
  if (cachedKey?.id === id) return cachedKey.key;
  let k = await hmac(encoder.encode(`AWS4${secret}`), date);
  for (const part of [region, service, "aws4_request"]) k = await hmac(k, part);
  const key = await hmacKey(k);
  cachedKey = { id, key };
  return key;
}

/** The canonical request, string to sign and headers of a signature (exposed for tests and verifiers). */
export interface SigV4Parts {
  readonly canonicalRequest: string;
  readonly stringToSign: string;
  /** `authorization`, `x-amz-date`, and `x-amz-security-token` with temporary credentials. */
  readonly headers: Record<string, string>;
}

/**
 * Sign a request: the headers to add to it.
 * @example const { headers } = await signV4({ method: "POST", host: url.host, path: url.pathname, query: url.search, headers: { "content-type": "application/x-protobuf" }, body }, credentials, { region: "eu-west-1", service: "aps", time: Date.now() });
 */
export async function signV4(req: SigV4Request, credentials: AwsCredentials, scope: SigV4Scope): Promise<SigV4Parts> {
  const datetime = amzDate(scope.time);
  const date = datetime.slice(0, 8);
  const added: Record<string, string> = { "x-amz-date": datetime };
  if (credentials.sessionToken) added["x-amz-security-token"] = credentials.sessionToken;
  const list = signedHeaderList(req, added);
  const signedHeaders = list.map(([k]) => k).join(";");
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalPath(req.path),
    canonicalQuery(req.query),
    `${list.map(([k, v]) => `${k}:${v}`).join("\n")}\n`,
    signedHeaders,
    await sha256Hex(req.body ?? new Uint8Array(0)),
  ].join("\n");
  const credentialScope = `${date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", datetime, credentialScope, await sha256Hex(canonicalRequest)].join("\n");
  const key = await signingKey(credentials.secretAccessKey, date, scope.region, scope.service);
  const signature = hex(await hmac(key, stringToSign));
  return {
    canonicalRequest,
    stringToSign,
    headers: { ...added, authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=${signature}` },
  };
}
