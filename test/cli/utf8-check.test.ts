// The streaming UTF-8 check (cli/utf8-check.ts) against Node's own validator: the same verdict
// on any bytes, split anywhere, and the offset it reports is exactly where valid text ends.
import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { notTextMessage, Utf8Check, type NotText } from "../../cli/utf8-check.ts";

function check(bytes: Uint8Array, cuts: readonly number[]): NotText | undefined {
  const c = new Utf8Check();
  const at = [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const x of [...at, bytes.length]) {
    const problem = c.push(bytes.subarray(prev, x));
    if (problem !== undefined) return problem;
    prev = x;
  }
  return c.end();
}

/**
 * The oracle: the first offset `o` such that bytes[0, o) is valid UTF-8 and no valid character
 * starts at `o` (every prefix up to 4 bytes longer is invalid), or the first NUL if earlier.
 */
function firstProblem(bytes: Uint8Array): NotText | undefined {
  const nul = bytes.indexOf(0);
  for (let o = 0; o < bytes.length; o++) {
    if (!isUtf8(bytes.subarray(0, o))) continue;
    let startsChar = false;
    for (let j = 1; j <= 4 && o + j <= bytes.length; j++) if (isUtf8(bytes.subarray(0, o + j))) startsChar = true;
    if (!startsChar) return nul >= 0 && nul < o ? { reason: "nul", offset: nul } : { reason: "not-utf8", offset: o };
  }
  return nul >= 0 ? { reason: "nul", offset: nul } : undefined;
}

// Bytes that are mostly text, with the awkward ones mixed in: lead bytes, continuations,
// overlong and surrogate forms, bytes never valid, NUL.
const byte = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.constantFrom(0x00, 0x0a, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff),
  fc.integer({ min: 0, max: 255 }),
);
const text = fc.string({ unit: "binary", maxLength: 30 }).map((s) => new Uint8Array(Buffer.from(s.replace(/\0/g, ""), "utf8")));

describe("Utf8Check", () => {
  it("agrees with Node's isUtf8 on any bytes split anywhere, and reports where valid text ends", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(text, fc.uint8Array({ maxLength: 3 }), fc.array(byte, { maxLength: 4 }).map((b) => new Uint8Array(b))), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 5 }), (parts, cuts) => {
        const bytes = new Uint8Array(Buffer.concat(parts));
        expect(check(bytes, cuts)).toEqual(firstProblem(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("valid text of every plane passes, whatever the split", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), fc.array(fc.nat(), { maxLength: 5 }), (s, cuts) => {
        const bytes = new Uint8Array(Buffer.from(s.replace(/\0/g, ""), "utf8"));
        expect(check(bytes, cuts)).toBeUndefined();
      }),
    );
  });

  it("names the input, the byte and what to do", () => {
    const gzip = new Uint8Array([0x1f, 0x8b, 0x08, 0x00]);
    expect(notTextMessage("page.prom.gz", { reason: "not-utf8", offset: 1 }, gzip)).toBe(
      "page.prom.gz: not UTF-8 text at byte 1 (it is gzip-compressed: decompress it first, e.g. zcat FILE | promwire …)",
    );
    expect(notTextMessage("standard input", { reason: "nul", offset: 7 }, new Uint8Array([0x61]))).toBe(
      "standard input: binary data (a NUL byte) at byte 7: promwire reads Prometheus text or OpenMetrics pages",
    );
  });
});
