/**
 * The spool file format, version 1: everything needed to send a request again, in one file.
 *
 * ```
 * promwire-spool 1\n          magic and format version
 * {"target":…,…}\n            header, one line of JSON (no credentials: see SpoolFileHeader)
 * <body>                      the request body as it goes on the wire (snappy-compressed protobuf)
 * ```
 *
 * The header states the body's length and CRC-32, so a truncated or damaged file is recognised
 * (and moved to `rejected/` with the reason) instead of being sent. A reader refuses versions it
 * does not know, naming them. Parsing never throws anything but {@link SpoolFormatError}.
 */

import type { ProtocolVersion } from "../../../wire/types.ts";
import type { SpoolReason } from "./handle.ts";

/** The first line's prefix; the format version follows it. */
export const SPOOL_MAGIC = "promwire-spool ";

/** The format version this promwire writes and reads. */
export const SPOOL_FORMAT_VERSION = 1;

/** What a spool file says about its body. Never a credential: the target is origin and path only. */
export interface SpoolFileHeader {
  /** The receiver, as origin + path (no user info, query or fragment). */
  readonly target: string;
  readonly protocol: ProtocolVersion;
  /** `Content-Type` to send the body with. */
  readonly contentType: string;
  /** Always `"snappy"`. */
  readonly contentEncoding: "snappy";
  /** Series, float samples and native histogram samples in the body. */
  readonly series: number;
  readonly samples: number;
  readonly histograms: number;
  /** Oldest and newest sample timestamp in the body, ms (a backend refuses samples older than its window). */
  readonly oldestSample: number;
  readonly newestSample: number;
  /** When the oldest of its data was handed to the writer, ms. */
  readonly enqueuedAt: number;
  /** When the first attempt to send it started, ms; absent when it was never attempted. */
  readonly firstAttemptAt?: number;
  /** Attempts made before it was spooled. */
  readonly attempts: number;
  /** Why it was spooled. */
  readonly reason: SpoolReason;
  /** When it was spooled, ms. */
  readonly spooledAt: number;
  /** Body length in bytes, uncompressed length, and the body's CRC-32 (IEEE). */
  readonly bodyBytes: number;
  readonly rawBytes: number;
  readonly crc32: number;
}

/** A spool file that cannot be used, and why (the reason is written beside it in `rejected/`). */
export class SpoolFormatError extends Error {
  override readonly name = "SpoolFormatError";
}

let table: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, as zlib and `cksum -o 3`).
 * @example crc32(new TextEncoder().encode("123456789")) // 0xcbf43926
 */
export function crc32(bytes: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A spool file's bytes.
 * @example const file = encodeSpoolFile({ ...header, bodyBytes: body.length, crc32: crc32(body) }, body);
 */
export function encodeSpoolFile(header: SpoolFileHeader, body: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(`${SPOOL_MAGIC}${SPOOL_FORMAT_VERSION}\n${JSON.stringify(header)}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** Longest first line plus header line accepted, bytes (a header is a few hundred). */
const HEADER_LIMIT = 64 * 1024;

const NUMBER_FIELDS = ["series", "samples", "histograms", "oldestSample", "newestSample", "enqueuedAt", "attempts", "spooledAt", "bodyBytes", "rawBytes", "crc32"] as const;

/**
 * Read a spool file. Throws {@link SpoolFormatError} naming what is wrong: not a spool file, an
 * unknown format version, a bad header, a truncated or damaged body.
 * @example const { header, body } = parseSpoolFile(bytes);
 */
export function parseSpoolFile(bytes: Uint8Array): { header: SpoolFileHeader; body: Uint8Array } {
  const magic = new TextEncoder().encode(SPOOL_MAGIC);
  if (bytes.length < magic.length || magic.some((b, i) => bytes[i] !== b)) {
    throw new SpoolFormatError(`not a promwire spool file (it does not start with "${SPOOL_MAGIC.trim()}")`);
  }
  const firstEnd = bytes.indexOf(0x0a);
  if (firstEnd < 0 || firstEnd > 64) throw new SpoolFormatError("truncated: the first line does not end");
  const versionText = new TextDecoder().decode(bytes.subarray(magic.length, firstEnd));
  if (!/^\d+$/.test(versionText)) throw new SpoolFormatError(`bad format version ${JSON.stringify(versionText)}`);
  if (Number(versionText) !== SPOOL_FORMAT_VERSION) {
    throw new SpoolFormatError(`spool format version ${versionText} is not supported (this promwire reads version ${SPOOL_FORMAT_VERSION})`);
  }
  const headerEnd = bytes.indexOf(0x0a, firstEnd + 1);
  if (headerEnd < 0) throw new SpoolFormatError(bytes.length - firstEnd > HEADER_LIMIT ? "the header line is too long" : "truncated: the header line does not end");
  let header: SpoolFileHeader;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(firstEnd + 1, headerEnd))) as SpoolFileHeader;
  } catch (e) {
    throw new SpoolFormatError(`the header is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  checkHeader(header);
  const body = bytes.subarray(headerEnd + 1);
  if (body.length < header.bodyBytes) throw new SpoolFormatError(`truncated: the body has ${body.length} of ${header.bodyBytes} bytes`);
  if (body.length > header.bodyBytes) throw new SpoolFormatError(`${body.length - header.bodyBytes} bytes after the body`);
  const sum = crc32(body);
  if (sum !== header.crc32) throw new SpoolFormatError(`damaged: the body's CRC-32 is ${sum}, the header says ${header.crc32}`);
  return { header, body };
}

function checkHeader(h: SpoolFileHeader): void {
  if (typeof h !== "object" || h === null || Array.isArray(h)) throw new SpoolFormatError("the header is not a JSON object");
  if (typeof h.target !== "string" || !/^https?:\/\//.test(h.target)) throw new SpoolFormatError("the header has no target URL");
  if (h.protocol !== "v1" && h.protocol !== "v2") throw new SpoolFormatError(`unknown protocol ${JSON.stringify(h.protocol)}`);
  if (typeof h.contentType !== "string") throw new SpoolFormatError("the header has no content type");
  if (h.contentEncoding !== "snappy") throw new SpoolFormatError(`unknown content encoding ${JSON.stringify(h.contentEncoding)}`);
  for (const f of NUMBER_FIELDS) {
    if (typeof h[f] !== "number" || !Number.isFinite(h[f])) throw new SpoolFormatError(`the header's ${f} is not a number`);
  }
  if (h.bodyBytes < 0 || !Number.isInteger(h.bodyBytes)) throw new SpoolFormatError("the header's bodyBytes is not a length");
}
