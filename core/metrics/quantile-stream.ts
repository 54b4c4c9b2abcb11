/**
 * Streaming quantiles with a guaranteed rank error: the Greenwald–Khanna tuple scheme with the
 * uniform ("all quantiles") invariant of Cormode, Korn, Muthukrishnan & Srivastava (CKMS,
 * "Effective computation of biased quantiles over data streams", ICDE 2005, §3).
 *
 * Each tuple (v, g, Δ) stands for g observations ending at value v, whose rank lies in
 * [rmin, rmin + Δ] with rmin = Σ g up to it. Keeping g + Δ ≤ max(1, ⌊2εn⌋) for every tuple makes
 * every query answer a value whose rank is within εn of the requested one. Observations are
 * buffered and merged in sorted batches, then adjacent tuples are merged while the invariant
 * allows, so memory stays O((1/ε)·log(εn)) instead of growing with n.
 */

/**
 * One stream of values with ε-approximate quantiles (used by {@link Summary}, one per age bucket).
 *
 * @example
 * const s = new QuantileStream(0.001);
 * s.insert(0.2);
 * s.query(0.99);
 */
export class QuantileStream {
  private v: number[] = [];
  private g: number[] = [];
  private d: number[] = [];
  private n = 0;
  private buf: number[] = [];

  constructor(
    /** Allowed rank error as a fraction of the count, e.g. 0.001. */
    readonly epsilon: number,
    private readonly bufferSize = 500,
  ) {}

  /** Add one (non-NaN) value. */
  insert(x: number): void {
    this.buf.push(x);
    if (this.buf.length >= this.bufferSize) this.flush();
  }

  /** Number of values inserted since the last reset. */
  get count(): number {
    return this.n + this.buf.length;
  }

  /** Number of tuples kept (a measure of memory). */
  get size(): number {
    return this.v.length + this.buf.length;
  }

  /** Forget everything. */
  reset(): void {
    this.v = [];
    this.g = [];
    this.d = [];
    this.n = 0;
    this.buf = [];
  }

  /**
   * A value whose rank is within ε·n of ⌈q·n⌉ (q in [0, 1]); NaN when the stream is empty.
   *
   * @example
   * const s = new QuantileStream(0.01);
   * for (let i = 1; i <= 1000; i++) s.insert(i);
   * s.query(0.5); // within 490…510
   */
  query(q: number): number {
    this.flush();
    const len = this.v.length;
    if (len === 0) return Number.NaN;
    const r = Math.max(1, Math.ceil(q * this.n));
    const bound = r + this.epsilon * this.n;
    let rmin = 0;
    for (let i = 0; i < len; i++) {
      rmin += this.g[i];
      // The first tuple always has g = 1, Δ = 0, so i > 0 whenever this fires.
      if (rmin + this.d[i] > bound) return this.v[i - 1];
    }
    return this.v[len - 1];
  }

  /** Merge the buffered values into the tuples and compress. */
  flush(): void {
    const buf = this.buf;
    if (buf.length === 0) return;
    buf.sort((a, b) => a - b);
    const ov = this.v;
    const og = this.g;
    const od = this.d;
    const m = ov.length;
    const nv: number[] = [];
    const ng: number[] = [];
    const nd: number[] = [];
    let i = 0;
    for (const x of buf) {
      while (i < m && ov[i] <= x) {
        nv.push(ov[i]);
        ng.push(og[i]);
        nd.push(od[i]);
        i++;
      }
      // A new minimum or maximum has an exact rank (Δ = 0); otherwise its rank is bounded by its
      // successor's: rmax(new) = rmax(successor) (GK, "Insert").
      nv.push(x);
      ng.push(1);
      nd.push(nv.length === 1 || i >= m ? 0 : og[i] + od[i] - 1);
    }
    for (; i < m; i++) {
      nv.push(ov[i]);
      ng.push(og[i]);
      nd.push(od[i]);
    }
    this.n += buf.length;
    this.buf = [];
    this.compress(nv, ng, nd);
  }

  private compress(v: number[], g: number[], d: number[]): void {
    const limit = Math.floor(2 * this.epsilon * this.n);
    const len = v.length;
    if (limit < 2 || len < 3) {
      this.v = v;
      this.g = g;
      this.d = d;
      return;
    }
    // Walk from the end, merging tuple i into the (possibly already merged) tuple after it while
    // the invariant allows. Tuple 0 is never merged away: it keeps the minimum with an exact rank.
    const rv: number[] = [];
    const rg: number[] = [];
    const rd: number[] = [];
    let cv = v[len - 1];
    let cg = g[len - 1];
    let cd = d[len - 1];
    for (let i = len - 2; i >= 1; i--) {
      if (g[i] + cg + cd <= limit) {
        cg += g[i];
      } else {
        rv.push(cv);
        rg.push(cg);
        rd.push(cd);
        cv = v[i];
        cg = g[i];
        cd = d[i];
      }
    }
    rv.push(cv, v[0]);
    rg.push(cg, g[0]);
    rd.push(cd, d[0]);
    this.v = rv.reverse();
    this.g = rg.reverse();
    this.d = rd.reverse();
  }
}
