/**
 * Pages as bytes: decoding UTF-8 the way each mode needs. A page read from the network or a file
 * is bytes; `Response.text()` replaces invalid UTF-8 with U+FFFD without a word, so strict mode
 * (both formats: "UTF-8 MUST be used", text 0.0.4 "Encoding: UTF-8") takes the bytes and refuses
 * the first invalid sequence at its line and column. A string can hold what no UTF-8 can encode
 * (a lone surrogate), which strict mode refuses too.
 */

import type { ParseError } from "../errors.ts";
import { parseErrorAt } from "./parse-error-at.ts";

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence, or -1. */
export function invalidUtf8At(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= n) return i; // truncated at the end of the page
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** Offset of the first lone surrogate of `s` (not encodable as UTF-8), or -1. */
export function loneSurrogateAt(s: string): number {
  const wellFormed = (s as { isWellFormed?: () => boolean }).isWellFormed;
  if (wellFormed !== undefined && wellFormed.call(s)) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    return i;
  }
  return -1;
}

/** The error for position `at` of `text`, located by line and column. */
function errorAtOffset(text: string, at: number, reason: string): ParseError {
  let line = 1;
  for (let p = text.indexOf("\n"); p >= 0 && p < at; p = text.indexOf("\n", p + 1)) line++;
  return parseErrorAt(text, line, text.lastIndexOf("\n", at - 1) + 1, at, reason, "utf8-invalid");
}

/**
 * Decode a page. A byte order mark is kept, not skipped: neither format allows one (OpenMetrics:
 * "BOMs MUST NOT be used"; Prometheus's parsers refuse it as a bad metric name). Returns the
 * text and, when `check`, the error for the first invalid UTF-8 sequence (the text then has
 * U+FFFD in its place, as a lenient parse reads it).
 */
export function decodePage(bytes: Uint8Array, check: boolean): { text: string; error?: ParseError } {
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  if (!check) return { text };
  const bad = invalidUtf8At(bytes);
  if (bad < 0) return { text };
  const before = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(0, bad));
  return { text, error: errorAtOffset(text, before.length, `invalid UTF-8 at byte ${bad} (0x${bytes[bad].toString(16).padStart(2, "0")})`) };
}

/** The error for the first lone surrogate of a string page, if it has one. */
export function checkUnicode(text: string): ParseError | undefined {
  const at = loneSurrogateAt(text);
  if (at < 0) return undefined;
  const code = text.charCodeAt(at).toString(16).toUpperCase();
  return errorAtOffset(text, at, `a lone surrogate U+${code} is not Unicode text and has no UTF-8 encoding`);
}
