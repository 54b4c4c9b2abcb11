/**
 * Where input stops being text. `TextDecoder({ fatal: true })` only says that a buffer is not
 * UTF-8, not where, and a page arrives in pieces that may split a character: this checker keeps
 * its state across pieces and reports the byte offset of the first byte that cannot be UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF) or is a NUL (valid UTF-8,
 * but never in an exposition page: the sign of a binary file).
 */

/** Why input is not an exposition page's text. */
export type NotTextReason = "not-utf8" | "nul";

export interface NotText {
  readonly reason: NotTextReason;
  /** Byte offset from the start of the input, counting from 0 (as `xxd` and `od` show offsets). */
  readonly offset: number;
}

/**
 * A streaming check: `push` every piece in order, then `end`.
 * @example
 * const check = new Utf8Check();
 * check.push(new Uint8Array([0x61, 0xc3])); // undefined: "a" and half of "é"
 * check.push(new Uint8Array([0xff]));       // { reason: "not-utf8", offset: 1 }
 */
export class Utf8Check {
  /** Bytes consumed before the current piece. */
  private consumed = 0;
  /** Continuation bytes still expected, and where the character they belong to started. */
  private need = 0;
  private charStart = 0;
  /** Allowed range of the next continuation byte (narrower right after E0, ED, F0, F4). */
  private lo = 0x80;
  private hi = 0xbf;

  /** Check the next piece; returns the first problem, or undefined. */
  push(bytes: Uint8Array): NotText | undefined {
    let need = this.need;
    let lo = this.lo;
    let hi = this.hi;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = bytes[i];
      if (need > 0) {
        if (b < lo || b > hi) return this.fail("not-utf8", this.charStart);
        lo = 0x80;
        hi = 0xbf;
        need--;
        continue;
      }
      if (b < 0x80) {
        if (b === 0) return this.fail("nul", this.consumed + i);
        continue;
      }
      this.charStart = this.consumed + i;
      if (b >= 0xc2 && b <= 0xdf) need = 1;
      else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        if (b === 0xe0) lo = 0xa0; // overlong
        else if (b === 0xed) hi = 0x9f; // UTF-16 surrogates
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        if (b === 0xf0) lo = 0x90; // overlong
        else if (b === 0xf4) hi = 0x8f; // past U+10FFFF
      } else return this.fail("not-utf8", this.charStart);
    }
    this.need = need;
    this.lo = lo;
    this.hi = hi;
    this.consumed += n;
    return undefined;
  }

  /** The input ended: a character cut short is a problem at its first byte. */
  end(): NotText | undefined {
    return this.need > 0 ? { reason: "not-utf8", offset: this.charStart } : undefined;
  }

  private fail(reason: NotTextReason, offset: number): NotText {
    return { reason, offset };
  }
}

/**
 * The one-line message for input that is not text, naming the input, e.g.
 * `data.bin: not UTF-8 text at byte 1234` or `standard input: binary data (a NUL byte) at byte 0`.
 * `head` is the input's first bytes, to recognise a compressed file.
 */
export function notTextMessage(input: string, problem: NotText, head: Uint8Array): string {
  const what = problem.reason === "nul" ? "binary data (a NUL byte)" : "not UTF-8 text";
  let hint = "";
  if (head[0] === 0x1f && head[1] === 0x8b) hint = " (it is gzip-compressed: decompress it first, e.g. zcat FILE | promwire …)";
  else if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) hint = " (it is zstd-compressed: decompress it first)";
  else hint = ": promwire reads Prometheus text or OpenMetrics pages";
  return `${input}: ${what} at byte ${problem.offset}${hint}`;
}
