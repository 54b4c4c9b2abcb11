/**
 * A table of label sets (each with a name), found again by content in any label order, for the
 * checks that must recognise a series or a metric seen earlier in the page (series-index.ts,
 * strict-rules.ts).
 *
 * Built for large pages: no key strings. A set hashes to a 32-bit integer, order-independently
 * (per-pair hashes summed and xored), kept in an open-addressing table of typed arrays, and each
 * entry only refers to the name and label array the parsed sample keeps anyway. Sets with
 * equal hashes are compared label by label, so a collision costs a comparison, never a wrong
 * answer. A string's hash is computed once and then looked up (label values repeat all over a
 * page, and V8 caches its own hash in the string).
 */

/** FNV-1a of `s`. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/** Label pairs of `a` other than `without` (and other than empty values when `skipEmpty`). */
function counted(a: readonly string[], without: string | undefined, skipEmpty: boolean): number {
  let n = 0;
  for (let i = 0; i < a.length; i += 2) if (a[i] !== without && !(skipEmpty && a[i + 1] === "")) n++;
  return n;
}

export class LabelSetTable {
  /**
   * Open addressing: `slots[i]` is 1 + the index of an entry whose hash starts probing at `i`
   * (0: empty), linear probing, at most half full. Typed arrays: no boxed numbers, no Map.
   */
  private slots = new Int32Array(1024);
  private hashes = new Int32Array(1024);
  private readonly names: string[] = [];
  private readonly sets: (readonly string[])[] = [];
  private readonly withouts: (string | undefined)[] = [];
  private readonly stringHashes = new Map<string, number>();

  /** `skipEmpty`: a label with an empty value is no label (Prometheus's series identity). */
  constructor(private readonly skipEmpty: boolean) {}

  /** How many sets the table holds. */
  get size(): number {
    return this.names.length;
  }

  private hashOf(s: string): number {
    if (s.length <= 8) return fnv(s); // as cheap as the lookup
    let h = this.stringHashes.get(s);
    if (h === undefined) {
      h = fnv(s);
      // Bounded: a page of unique values would otherwise keep one entry per value.
      if (this.stringHashes.size < 1 << 16) this.stringHashes.set(s, h);
    }
    return h;
  }

  /** The hash of `name` with `labels` (less the label `without`). */
  hash(name: string, labels: readonly string[], without?: string): number {
    let sum = 0;
    let xor = 0;
    for (let i = 0; i < labels.length; i += 2) {
      if (labels[i] === without || (this.skipEmpty && labels[i + 1] === "")) continue;
      const h = Math.imul(this.hashOf(labels[i]), 0x9e3779b1) ^ this.hashOf(labels[i + 1]);
      sum = (sum + h) | 0;
      xor ^= Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    }
    const h = (Math.imul(this.hashOf(name), 31) + sum + (xor ^ (xor >>> 13))) | 0;
    return h ^ (h >>> 16);
  }

  /** Index of the entry for this set, or -1. */
  find(name: string, labels: readonly string[], without: string | undefined, hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; slots[i] !== 0; i = (i + 1) & mask) {
      const k = slots[i] - 1;
      if (this.hashes[k] === hash && this.names[k] === name && this.same(this.sets[k], this.withouts[k], labels, without)) return k;
    }
    return -1;
  }

  /** Adds the set (not found before) and returns its index. */
  add(name: string, labels: readonly string[], without: string | undefined, hash: number): number {
    const index = this.names.length;
    if (index === this.hashes.length) {
      const grown = new Int32Array(index * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    if ((index + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    this.names.push(name);
    this.sets.push(labels);
    this.withouts.push(without);
    this.hashes[index] = hash;
    this.place(index, hash);
    return index;
  }

  private place(index: number, hash: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = hash & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = index + 1;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity);
    for (let k = 0; k < this.names.length; k++) this.place(k, this.hashes[k]);
  }

  private same(a: readonly string[], wa: string | undefined, b: readonly string[], wb: string | undefined): boolean {
    const skip = this.skipEmpty;
    if (counted(a, wa, skip) !== counted(b, wb, skip)) return false;
    outer: for (let i = 0; i < a.length; i += 2) {
      if (a[i] === wa || (skip && a[i + 1] === "")) continue;
      for (let j = 0; j < b.length; j += 2) {
        if (b[j] === a[i] && b[j] !== wb) {
          if (b[j + 1] !== a[i + 1]) return false;
          continue outer;
        }
      }
      return false;
    }
    return true;
  }
}
