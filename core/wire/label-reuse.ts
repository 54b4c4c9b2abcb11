/**
 * Remote write 1.0 sends every label as text in every request, and JavaScript can only read a
 * string one `charCodeAt` at a time: copying the label text is most of what encoding costs
 * (measured on W1: ~60 %). But a writer mostly re-sends the same label sets, and strings are
 * immutable: when every label string of series `s` is the very object it was at position `s` of
 * the previous request, its encoded `Label` messages are the same bytes as then, so they are
 * copied (one memcpy) from the previous request's buffer instead of being encoded again.
 *
 * Works for fresh (unfrozen) label arrays too: only the strings' identity is compared, never the
 * arrays'. A string that is new (formatted anew for each request, say) misses and is encoded as
 * usual. The price: the encoder keeps the previous request's buffer (two buffers alternate) and
 * references to its label strings until the next request.
 */

/** Where each series' labels were in one request: strings, and bytes in that request's buffer. */
class LabelLayout {
  strings: string[] = [];
  /** Per series: first index in `strings`, number of strings (-1: not recorded), byte range. */
  base: Int32Array<ArrayBuffer> = new Int32Array(1024);
  count: Int32Array<ArrayBuffer> = new Int32Array(1024);
  start: Int32Array<ArrayBuffer> = new Int32Array(1024);
  end: Int32Array<ArrayBuffer> = new Int32Array(1024);
  series = 0;
  cursor = 0;

  clear(): void {
    this.series = 0;
    this.cursor = 0;
  }

  room(series: number): void {
    if (series < this.base.length) return;
    const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(Math.max(series + 1, a.length * 2));
      b.set(a);
      return b;
    };
    this.base = grow(this.base);
    this.count = grow(this.count);
    this.start = grow(this.start);
    this.end = grow(this.end);
  }
}

export class LabelReuse {
  private prev = new LabelLayout();
  private cur = new LabelLayout();
  /** The previous request's layout can be used (it succeeded, and under these rules). */
  private prevValid = false;
  private prevMode = "";

  /** Start a request under the rules `mode`; returns whether the previous layout applies. */
  begin(mode: string): boolean {
    this.cur.clear();
    return this.prevValid && this.prevMode === mode;
  }

  /**
   * The byte range `[start, end)` of series `s`'s labels in the previous request's buffer when
   * all its strings are the same objects as `labels`; otherwise -1.
   */
  previousBlock(s: number, labels: readonly string[]): number {
    const prev = this.prev;
    // Array.isArray: a malformed non-array with matching characters must still be refused.
    if (s >= prev.series || prev.count[s] !== labels.length || !Array.isArray(labels)) return -1;
    const strings = prev.strings;
    const base = prev.base[s];
    for (let k = 0; k < labels.length; k++) if (strings[base + k] !== labels[k]) return -1;
    return prev.start[s];
  }

  /** End of the range {@link previousBlock} returned the start of. */
  previousEnd(s: number): number {
    return this.prev.end[s];
  }

  /** Record where series `s`'s labels went in this request (`count` -1: not reusable). */
  record(s: number, labels: readonly string[] | undefined, start: number, end: number): void {
    const cur = this.cur;
    cur.room(s);
    cur.series = s + 1;
    if (labels === undefined) {
      cur.count[s] = -1;
      return;
    }
    const base = cur.cursor;
    const strings = cur.strings;
    for (let k = 0; k < labels.length; k++) strings[base + k] = labels[k];
    cur.cursor = base + labels.length;
    cur.base[s] = base;
    cur.count[s] = labels.length;
    cur.start[s] = start;
    cur.end[s] = end;
  }

  /** The request succeeded: its layout becomes the previous one (its buffer is kept by the caller). */
  commit(mode: string): void {
    const done = this.cur;
    if (done.strings.length > done.cursor) done.strings.length = done.cursor; // pin no older strings
    this.cur = this.prev;
    this.prev = done;
    this.prevValid = true;
    this.prevMode = mode;
  }

  /** The previous request's buffer is gone (overwritten): nothing can be reused from it. */
  invalidate(): void {
    this.prevValid = false;
  }
}
