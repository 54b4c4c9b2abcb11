import "../support/snappy-node.ts";
import fc from "fast-check";
import SnappyJS from "snappyjs";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../core/errors.ts";
import { compress, decompress, SnappyCompressor, snappyDeclaredLength } from "../../core/wire/snappy.ts";

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

  it("SnappyCompressor (output buffer reused, WASM exports called directly) gives compress()'s bytes, call after call", () => {
    const compressor = new SnappyCompressor();
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20_000 }), { minLength: 1, maxLength: 4 }), (inputs) => {
        for (const bytes of inputs) {
          const view = compressor.compressView(bytes);
          expect(Buffer.from(view).equals(Buffer.from(compress(bytes)))).toBe(true);
          expect(Array.from(decompress(view.slice()))).toEqual(Array.from(bytes));
        }
      }),
      { numRuns: 100 },
    );
    // Large enough to grow the WASM memory and the output buffer, then small again.
    const big = Uint8Array.from({ length: 3 << 20 }, (_, i) => (i * 2654435761) >>> 24);
    expect(Buffer.from(compressor.compressView(big)).equals(Buffer.from(compress(big)))).toBe(true);
    const capacity = compressor.capacity;
    expect(Array.from(compressor.compressView(Uint8Array.of(1, 2, 3)))).toEqual(Array.from(compress(Uint8Array.of(1, 2, 3))));
    expect(compressor.capacity).toBe(capacity);
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
