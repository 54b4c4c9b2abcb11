/**
 * A growable protobuf writer tuned for the remote-write encoders: one buffer reused across
 * requests, strings written straight from `charCodeAt` when they are ASCII (the common case for
 * label names and values), and message lengths back-patched after the content is written so that
 * every string is visited once. A length usually fits the bytes reserved for it; when it does
 * not, the content is moved with one `copyWithin` (a memmove).
 */

const textEncoder = new TextEncoder();
const TWO_32 = 4294967296;

/** Number of bytes of the varint encoding of an unsigned 32-bit value. */
export function varintSize32(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
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

export class ProtoWriter {
  buf: Uint8Array;
  private dv: DataView;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = new Uint8Array(initialSize);
    this.dv = new DataView(this.buf.buffer);
  }

  /** Forget the content, keep the buffer. */
  reset(): void {
    this.pos = 0;
  }

  /** The bytes written so far: a view that the next write may overwrite. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
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

  /** One raw byte (a tag of a field number below 16, usually). Caller ensured space. */
  byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Varint of an unsigned 32-bit integer. */
  uint32(v: number): void {
    this.ensure(5);
    const buf = this.buf;
    let p = this.pos;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
  }

  /** Varint of a 64-bit integer given as two's-complement halves. */
  private varint64(lo: number, hi: number): void {
    this.ensure(10);
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

  /** Varint of an int64/uint64 held in a safe-integer number (negative: 10 bytes, two's complement). */
  int64(n: number): void {
    if (n >= 0 && n < TWO_32) {
      this.uint32(n);
      return;
    }
    this.varint64(n >>> 0, Math.floor(n / TWO_32) >>> 0);
  }

  /** Zigzag varint of a sint32. */
  sint32(n: number): void {
    this.uint32(((n << 1) ^ (n >> 31)) >>> 0);
  }

  /** Zigzag varint of a sint64 held in a safe-integer number. */
  sint64(n: number): void {
    const lo = n >>> 0;
    const hi = Math.floor(n / TWO_32) | 0;
    const sign = hi >> 31;
    this.varint64(((lo << 1) ^ sign) >>> 0, (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0);
  }

  /** Little-endian IEEE 754 double. */
  double(v: number): void {
    this.ensure(8);
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  /** The stale-marker NaN, bits 0x7ff0000000000002, written byte by byte so no NaN canonicalisation can touch it. */
  staleNaN(): void {
    this.ensure(8);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = 0x02;
    buf[p + 1] = 0;
    buf[p + 2] = 0;
    buf[p + 3] = 0;
    buf[p + 4] = 0;
    buf[p + 5] = 0;
    buf[p + 6] = 0xf0;
    buf[p + 7] = 0x7f;
    this.pos = p + 8;
  }

  /**
   * A length-delimited string field: `tag`, length, UTF-8 bytes. Returns false (writing nothing
   * meaningful) when the string holds a lone surrogate; the caller turns that into an error.
   */
  stringField(tag: number, s: string): boolean {
    const n = s.length;
    this.ensure(n * 3 + 6);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = tag;
    if (n < 0x80) {
      const lenAt = p++;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[lenAt] = n;
        this.pos = p;
        return true;
      }
      p = lenAt;
    }
    this.pos = p;
    return this.utf8(s);
  }

  /**
   * The fast path for a run of `Label`-shaped messages (`outerTag`, length, name = 1, value = 2):
   * all pairs of `labels` from `from` on whose strings are ASCII and short are written with one
   * bounds check per series and two tight copy loops per pair, the ASCII test folded into an OR
   * over the characters. Pairs with an empty value are skipped (an empty label is an absent
   * label). Returns the index of the first pair it could not write (non-ASCII or long), or
   * `labels.length` when all are done; the caller writes that pair the general way and resumes.
   */
  asciiPairs(outerTag: number, labels: readonly string[], from: number): number {
    const n = labels.length;
    let bound = 0;
    for (let i = from; i < n; i++) bound += labels[i].length + 3;
    this.ensure(bound);
    const buf = this.buf;
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
      const start = p;
      buf[p] = outerTag;
      buf[p + 1] = len;
      buf[p + 2] = 0x0a;
      buf[p + 3] = nl;
      p += 4;
      let acc = 0;
      for (let k = 0; k < nl; k++) {
        const c = name.charCodeAt(k);
        acc |= c;
        buf[p++] = c;
      }
      buf[p++] = 0x12;
      buf[p++] = vl;
      for (let k = 0; k < vl; k++) {
        const c = value.charCodeAt(k);
        acc |= c;
        buf[p++] = c;
      }
      if (acc >= 0x80) {
        this.pos = start;
        return i;
      }
    }
    this.pos = p;
    return n;
  }

  /** Length-prefixed UTF-8 (no tag). */
  private utf8(s: string): boolean {
    const len = utf8Length(s);
    if (len < 0) return false;
    this.uint32(len);
    if (len === s.length) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < len; i++) buf[p++] = s.charCodeAt(i);
      this.pos = p;
    } else {
      textEncoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + len));
      this.pos += len;
    }
    return true;
  }

  /**
   * Start a length-delimited field: writes the tag byte(s) and reserves `reserve` bytes for the
   * length. Returns the position to hand to {@link endLength}.
   */
  beginLength(reserve: number): number {
    this.ensure(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /** Write the length of the content that started after the reserved bytes at `at`. */
  endLength(at: number, reserve: number): void {
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
