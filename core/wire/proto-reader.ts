/**
 * A bounds-checked protobuf reader. Every read checks the buffer end, so truncated or corrupt
 * input becomes a {@link DecodeError} with its byte offset, never an out-of-range read.
 */

import { DecodeError } from "../errors.ts";

const textDecoder = new TextDecoder("utf-8", { fatal: true });
const TWO_32 = 4294967296;

export class ProtoReader {
  pos: number;
  private readonly dv: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string): never {
    throw new DecodeError(what, this.pos);
  }

  /** Varint as two 32-bit halves. */
  private varint64(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) this.fail("truncated varint");
      const b = this.buf[this.pos++];
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) return [lo >>> 0, hi >>> 0];
    }
    return this.fail("varint longer than 10 bytes");
  }

  uint32(): number {
    const [lo, hi] = this.varint64();
    if (hi !== 0) this.fail("uint32 out of range");
    return lo;
  }

  /** An int32 (a negative one takes 10 bytes on the wire; the high word is dropped, as protobuf does). */
  int32(): number {
    const [lo] = this.varint64();
    return lo | 0;
  }

  /** An int64 as a number; fails when it is outside the safe-integer range. */
  int64(): number {
    const [lo, hi] = this.varint64();
    const n = hi >= 0x80000000 ? -((~hi >>> 0) * TWO_32 + (~lo >>> 0) + 1) : hi * TWO_32 + lo;
    if (!Number.isSafeInteger(n)) this.fail("int64 outside the safe integer range");
    return n;
  }

  uint64(): number {
    const [lo, hi] = this.varint64();
    const n = hi * TWO_32 + lo;
    if (!Number.isSafeInteger(n)) this.fail("uint64 outside the safe integer range");
    return n;
  }

  sint32(): number {
    const v = this.uint32();
    return (v >>> 1) ^ -(v & 1);
  }

  sint64(): number {
    const [lo, hi] = this.varint64();
    // zigzag decode on 64-bit halves
    const sign = -(lo & 1);
    const nlo = ((lo >>> 1) | (hi << 31)) ^ sign;
    const nhi = (hi >>> 1) ^ sign;
    const n = nhi & 0x80000000 ? -((~nhi >>> 0) * TWO_32 + (~nlo >>> 0) + 1) : (nhi >>> 0) * TWO_32 + (nlo >>> 0);
    if (!Number.isSafeInteger(n)) this.fail("sint64 outside the safe integer range");
    return n;
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail("truncated double");
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** True when the next 8 bytes are the stale-marker NaN (bits 0x7ff0000000000002); does not advance. */
  peekStaleNaN(): boolean {
    if (this.pos + 8 > this.end) return false;
    return this.dv.getUint32(this.pos, true) === 2 && this.dv.getUint32(this.pos + 4, true) === 0x7ff00000;
  }

  /** Length prefix of a LEN field; returns the end offset of its content. */
  lengthEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.end) this.fail(`length ${len} runs past the end of the message`);
    return end;
  }

  string(): string {
    const end = this.lengthEnd();
    try {
      const s = textDecoder.decode(this.buf.subarray(this.pos, end));
      this.pos = end;
      return s;
    } catch {
      return this.fail("string is not valid UTF-8");
    }
  }

  /** Tag: field number and wire type. */
  tag(): [field: number, wireType: number] {
    const t = this.uint32();
    const field = t >>> 3;
    if (field === 0) this.fail("field number 0");
    return [field, t & 7];
  }

  /** Skip a field of the given wire type (unknown fields are allowed by protobuf). */
  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint64();
        return;
      case 1:
        if (this.pos + 8 > this.end) this.fail("truncated fixed64");
        this.pos += 8;
        return;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 5:
        if (this.pos + 4 > this.end) this.fail("truncated fixed32");
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wireType}`);
    }
  }

  /** Read a packed (or, as protobuf allows, unpacked) repeated scalar into `out`. */
  repeated(wireType: number, scalarWireType: number, read: () => number, out: number[]): void {
    if (wireType === 2) {
      const end = this.lengthEnd();
      while (this.pos < end) out.push(read());
      if (this.pos !== end) this.fail("packed field overruns its length");
    } else if (wireType === scalarWireType) {
      out.push(read());
    } else {
      this.fail(`wire type ${wireType} where ${scalarWireType} or 2 was expected`);
    }
  }

  expect(wireType: number, expected: number, field: string): void {
    if (wireType !== expected) this.fail(`${field}: wire type ${wireType}, expected ${expected}`);
  }
}
