import "../support/snappy-node.ts";
import fc from "fast-check";
import SnappyJS from "snappyjs";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../core/errors.ts";
import { compress, decompress, snappyDeclaredLength } from "../../core/wire/snappy.ts";

describe("snappy block format", () => {
  it("round trips arbitrary bytes and interoperates with snappyjs (an independent implementation)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 5000 }), (bytes) => {
        const c = compress(bytes);
        expect(Array.from(decompress(c))).toEqual(Array.from(bytes));
        expect(Array.from(new Uint8Array(SnappyJS.uncompress(c)))).toEqual(Array.from(bytes));
        expect(Array.from(decompress(new Uint8Array(SnappyJS.compress(bytes))))).toEqual(Array.from(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a declared length over the limit before allocating", () => {
    // varint 0xFFFFFFFF: a 4 GiB declared length, a few bytes of body
    const bomb = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(snappyDeclaredLength(bomb)).toBe(0xffffffff);
    expect(() => decompress(bomb)).toThrow(/exceeds the limit of 33554432 bytes/);
    const small = compress(new Uint8Array(1000));
    expect(() => decompress(small, { maxBytes: 999 })).toThrow(DecodeError);
    expect(decompress(small, { maxBytes: 1000 }).length).toBe(1000);
  });

  it("corrupt or truncated input only ever gives DecodeError, and snappy keeps working after", () => {
    const good = compress(new TextEncoder().encode("hello hello hello hello hello ".repeat(50)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (noise, cut) => {
        for (const input of [noise, good.subarray(0, cut % good.length), Uint8Array.from(good, (b, i) => (i === cut % good.length ? b ^ 0x55 : b))]) {
          try {
            decompress(input, { maxBytes: 1 << 20 });
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(new TextDecoder().decode(decompress(good))).toContain("hello hello");
  });
});
