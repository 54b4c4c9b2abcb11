/**
 * The protobuf writer every promwire encoder uses (remote write 1.0/2.0, Pushgateway's
 * `MetricFamily`): one growable buffer reused across requests, strings written straight from
 * `charCodeAt` when they are ASCII (label names and values almost always are), and message
 * lengths back-patched after the content is written, so that each string is read once.
 *
 * The API follows protobuf-es's `BinaryWriter` (named wire types, `tag(field, wireType)`,
 * a fork/join pair for length-delimited content, private state), tuned for the encoders' hot
 * loops: field keys are precomputed module constants (`const K = tag(1, WireType.LengthDelimited)`,
 * free at run time), and one {@link ProtoWriter.ensure} covers several unchecked writes. Every
 * encoder is proven byte-for-byte equal to `toBinary` of the generated messages in `core/gen/`
 * by the property tests in test/wire/.
 */

const textEncoder = new TextEncoder();
const TWO_32 = 4294967296;

/**
 * Protobuf wire types: just enough to find where a field's value ends
 * (https://protobuf.dev/programming-guides/encoding/#structure). An enum, not an object: bundlers
 * inline its members, so `/* @__PURE__ *\/ tag(1, WireType.LengthDelimited)` is a call on
 * constants that a bundle can drop when nothing uses the key.
 */
export enum WireType {
  /** int32, int64, uint32, uint64, sint32, sint64, bool, enum. */
  Varint = 0,
  /** fixed64, sfixed64, double: 8 bytes, little-endian. */
  Bit64 = 1,
  /** string, bytes, embedded messages, packed repeated scalars: a varint length, then the bytes. */
  LengthDelimited = 2,
  /** Start of a proto2 group (never written by promwire; its reader refuses groups). */
  StartGroup = 3,
  /** End of a proto2 group. */
  EndGroup = 4,
  /** fixed32, sfixed32, float: 4 bytes, little-endian. */
  Bit32 = 5,
}

/**
 * The key that starts a field on the wire: `(field << 3) | wireType`, written as a varint
 * (one byte for fields 1–15, two for 16–2047). Compute keys once, as module constants.
 *
 * @example
 * const SAMPLE = tag(2, WireType.LengthDelimited); // 0x12
 */
export function tag(field: number, wireType: WireType): number {
  if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new RangeError(`invalid protobuf field number ${field}`);
  return ((field << 3) | wireType) >>> 0;
}

/** Number of bytes of the varint encoding of an unsigned 32-bit value. */
export function varintSize32(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Number of bytes of the varint encoding of a non-negative integer below 2^63. */
export function varintSize(n: number): number {
  if (n < TWO_32) return varintSize32(n);
  // Millisecond timestamps (≈ 2^40.6) take 6 bytes: compare, do not divide.
  return n < 2 ** 35 ? 5 : n < 2 ** 42 ? 6 : n < 2 ** 49 ? 7 : n < 2 ** 56 ? 8 : 9;
}

/**
 * UTF-8 byte length of a string, or -1 when it holds a lone surrogate (which TextEncoder would
 * silently turn into U+FFFD: we refuse instead of corrupting the value).
 */
export function utf8Length(s: string): number {
  let bytes = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c < 0xd800 || c > 0xdfff) bytes += 3;
    else if (c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d < 0xdc00 || d > 0xdfff) return -1;
      bytes += 4;
      i++;
    } else return -1;
  }
  return bytes;
}

/**
 * A growable protobuf writer.
 *
 * Methods whose doc says "unchecked" write without making room: the caller has called
 * {@link ensure} for at least the bytes they write (the hot loops check once per message,
 * not once per byte). Every other method makes its own room.
 *
 * @example
 * const w = new ProtoWriter();
 * w.string(tag(1, WireType.LengthDelimited), "up"); // a string field: key, length, UTF-8
 * w.ensure(1);
 * w.key(tag(2, WireType.LengthDelimited));          // a nested message…
 * const at = w.fork(1);                             // …whose length join() back-patches
 * w.ensure(9);
 * w.key(tag(1, WireType.Bit64));
 * w.double(0.5);
 * w.join(at, 1);
 * const bytes = w.finish();
 */
export class ProtoWriter {
  /** The buffer; replaced (doubled) when it runs out of room. */
  private buf: Uint8Array;
  /** Little-endian fixed-width writes into `buf`; replaced together with it. */
  private dv: DataView;
  /** Bytes written so far. */
  private pos = 0;

  /** @param initialSize first buffer size; it doubles as needed and is kept across {@link reset}. */
  constructor(initialSize = 64 * 1024) {
    this.buf = new Uint8Array(initialSize);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /**
   * Move the write position back to `pos` (≤ length), to rewrite fixed-size fields of content
   * already written in place (steady-v1.ts); `seek(end)` afterwards restores the end.
   */
  seek(pos: number): void {
    this.pos = pos;
  }

  /** Forget the content, keep the buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far: a view that the next write may overwrite. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Bytes `start` to `end` of the content: a view that the next write may overwrite. */
  slice(start: number, end: number): Uint8Array {
    return this.buf.subarray(start, end);
  }

  /** A copy of the bytes written so far; the writer is reset. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.pos);
    this.pos = 0;
    return out;
  }

  /** Make room for `extra` more bytes. */
  ensure(extra: number): void {
    if (this.pos + extra > this.buf.length) this.grow(extra);
  }

  private grow(extra: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** Unchecked: a field key from {@link tag} (one byte for fields 1–15, two up to field 2047). */
  key(key: number): void {
    if (key < 0x80) this.buf[this.pos++] = key;
    else this.uint32Unchecked(key);
  }

  /** Unchecked: one raw byte (a small enum or bool value, say). */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Raw bytes (already encoded fields, say). */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Varint of an unsigned 32-bit integer. */
  uint32(v: number): void {
    this.ensure(5);
    this.uint32Unchecked(v);
  }

  private uint32Unchecked(v: number): void {
    const buf = this.buf;
    let p = this.pos;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
  }

  /**
   * Unchecked (10 bytes): varint of an int64/uint64 held in an integer-valued number (exact for
   * every such number in int64 range); negative values take 10 bytes (two's complement), as
   * protobuf writes them.
   */
  int64(n: number): void {
    const buf = this.buf;
    let p = this.pos;
    if (n >= 0 && n < 0x10000000) {
      while (n > 0x7f) {
        buf[p++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      buf[p++] = n;
      this.pos = p;
      return;
    }
    if (n < 0 || n >= 2 ** 53) {
      this.varint64(n >>> 0, Math.floor(n / TWO_32) >>> 0);
      return;
    }
    // 2^28 ≤ n < 2^53 (millisecond timestamps: 6 bytes): four full groups from the low word, the
    // rest (< 2^25) by one exact division by a power of two.
    const lo = n >>> 0;
    buf[p] = (lo & 0x7f) | 0x80;
    buf[p + 1] = ((lo >>> 7) & 0x7f) | 0x80;
    buf[p + 2] = ((lo >>> 14) & 0x7f) | 0x80;
    buf[p + 3] = ((lo >>> 21) & 0x7f) | 0x80;
    p += 4;
    let rest = Math.floor(n / 0x10000000);
    while (rest > 0x7f) {
      buf[p++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    buf[p++] = rest;
    this.pos = p;
  }

  /** Varint of a 64-bit integer given as two's-complement halves. */
  private varint64(lo: number, hi: number): void {
    const buf = this.buf;
    let p = this.pos;
    while (hi !== 0 || lo > 0x7f) {
      buf[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[p++] = lo;
    this.pos = p;
  }

  /** Zigzag varint of a sint32. */
  sint32(n: number): void {
    this.uint32(((n << 1) ^ (n >> 31)) >>> 0);
  }

  /** Zigzag varint of a sint64 held in a safe-integer number. */
  sint64(n: number): void {
    this.ensure(10);
    const lo = n >>> 0;
    const hi = Math.floor(n / TWO_32) | 0;
    const sign = hi >> 31;
    this.varint64(((lo << 1) ^ sign) >>> 0, (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0);
  }

  /** Unchecked (8 bytes): a little-endian IEEE 754 double. */
  double(v: number): void {
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /**
   * Unchecked (8 bytes): the stale-marker NaN, bits 0x7ff0000000000002, written as two words so
   * that no NaN canonicalisation can touch it.
   */
  staleNaN(): void {
    this.dv.setUint32(this.pos, 2, true);
    this.dv.setUint32(this.pos + 4, 0x7ff00000, true);
    this.pos += 8;
  }

  /**
   * A length-delimited string field: `key`, length, UTF-8 bytes. Returns false (writing nothing)
   * when the string holds a lone surrogate; the caller turns that into its own error.
   */
  string(key: number, s: string): boolean {
    const n = s.length;
    this.ensure(n * 3 + 7);
    const start = this.pos;
    this.key(key);
    if (n < 0x80) {
      const buf = this.buf;
      const lenAt = this.pos;
      const end = copyAscii(buf, lenAt + 1, s, n);
      if (end >= 0) {
        buf[lenAt] = n;
        this.pos = end;
        return true;
      }
    }
    const len = utf8Length(s);
    if (len < 0) {
      this.pos = start;
      return false;
    }
    this.uint32Unchecked(len);
    if (len === n) this.pos = copyAscii(this.buf, this.pos, s, n);
    else this.pos += textEncoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + len)).written;
    return true;
  }

  /**
   * A run of string-pair messages (remote write's `Label`, the client model's `LabelPair`:
   * name = 1, value = 2) under `key`, from the flat `[name, value, …]` list `labels`, starting
   * at pair index `from`. Pairs with an empty value are skipped (an empty label is an absent
   * label). The fast path takes ASCII pairs whose message fits 127 bytes: no size pass, one
   * room check per pair, four bytes of frame, two copy loops. Returns the index of the first pair
   * it could not write that way (non-ASCII or long), or `labels.length` when all are done; the
   * caller writes that pair with {@link string} and resumes.
   */
  labelPairs(key: number, labels: readonly string[], from: number): number {
    const n = labels.length;
    let buf = this.buf;
    let p = this.pos;
    for (let i = from; i < n; i += 2) {
      const name = labels[i];
      const value = labels[i + 1];
      const vl = value.length;
      if (vl === 0) continue;
      const nl = name.length;
      const len = nl + vl + 4;
      if (len >= 0x80) {
        this.pos = p;
        return i;
      }
      if (p + len + 2 > buf.length) {
        this.pos = p;
        this.grow(len + 2);
        buf = this.buf;
      }
      buf[p] = key;
      buf[p + 1] = len;
      buf[p + 2] = 0x0a; // name = 1, LEN
      buf[p + 3] = nl;
      let q = copyAscii(buf, p + 4, name, nl);
      if (q >= 0) {
        buf[q] = 0x12; // value = 2, LEN
        buf[q + 1] = vl;
        q = copyAscii(buf, q + 2, value, vl);
      }
      if (q < 0) {
        this.pos = p;
        return i;
      }
      p = q;
    }
    this.pos = p;
    return n;
  }

  /**
   * Unchecked (5 bytes each): a varint per element of `values` from `start` to `end`, as in a
   * packed repeated uint32 field whose length the caller wrote.
   */
  varints(values: Uint32Array | Int32Array, start: number, end: number): void {
    const buf = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) {
      let v = values[i] >>> 0;
      while (v > 0x7f) {
        buf[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      buf[p++] = v;
    }
    this.pos = p;
  }

  /**
   * Copy bytes `start` to `end` of another writer's content (an interned symbol run, a label
   * block of the previous request). Short ranges are copied word by word: a `subarray` view per
   * copy would be an allocation per series.
   */
  copyFrom(other: ProtoWriter, start: number, end: number): void {
    const n = end - start;
    if (n > 512) {
      this.bytes(other.buf.subarray(start, end));
      return;
    }
    this.ensure(n);
    const from = other.dv;
    const to = this.dv;
    let p = this.pos;
    let q = start;
    for (; q + 4 <= end; q += 4, p += 4) to.setInt32(p, from.getInt32(q));
    const buf = this.buf;
    const src = other.buf;
    while (q < end) buf[p++] = src[q++];
    this.pos = p;
  }

  /**
   * Start length-delimited content (a nested message, a packed field) whose key the caller
   * wrote: reserves `reserve` bytes for its length (a guess: 1 for small messages, 2 for
   * ~16 KB) and returns the position to hand to {@link join}.
   */
  fork(reserve: number): number {
    this.ensure(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /**
   * Back-patch the length of the content started by {@link fork} at `at`. When the length needs
   * another number of bytes than reserved, the content moves once (a memmove).
   */
  join(at: number, reserve: number): void {
    const len = this.pos - at - reserve;
    const need = varintSize32(len);
    if (need !== reserve) {
      if (need > reserve) this.ensure(need - reserve);
      this.buf.copyWithin(at + need, at + reserve, this.pos);
      this.pos += need - reserve;
    }
    const buf = this.buf;
    let p = at;
    let v = len;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
  }
}

/**
 * Copy the ASCII string `s` (length `n`) to `buf` at `p`; returns the end position, or -1 when a
 * character is not ASCII (the bytes written so far are then garbage the caller overwrites). The
 * ASCII test is an OR over the characters, checked once at the end. (Unrolling by four, or
 * packing four characters into one 32-bit store, measured no faster here.)
 */
function copyAscii(buf: Uint8Array, p: number, s: string, n: number): number {
  let acc = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    acc |= c;
    buf[p++] = c;
  }
  return acc < 0x80 ? p : -1;
}
