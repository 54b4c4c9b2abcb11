/**
 * Sample timestamps that only move forward, per series, across writers and invocations.
 *
 * Why: a receiver keeps, per series, the newest timestamp it stored. A sample older than that is
 * refused "out of order", one with the same timestamp and another value "duplicate sample for
 * timestamp" — and Prometheus answers 400 to the whole remote-write 1.0 request, losing every
 * other series in it. In a Worker `Date.now()` does not advance during a request (it is the time
 * of the last I/O), so two flushes from one request, or from two requests started in the same
 * millisecond, would carry the same timestamp for a changed counter.
 *
 * The rule, per series (its full label set):
 * - a timestamp newer than the last one issued is kept;
 * - otherwise, an unchanged value (same float bits) is dropped: it tells the receiver nothing and
 *   an equal timestamp could be refused by receivers stricter than Prometheus;
 * - otherwise (a changed value) the sample moves to `last + 1 ms`, unless that is more than
 *   `maxAheadMs` ahead of the clock: then it is held back (counted as `deferred`) — for
 *   cumulative metrics the next flush carries the newer value anyway.
 *
 * The promise holds as long as requests reach the receiver in the order their samples were
 * stamped: one writer sends in order; several writers must not overlap (`IsolateMetrics.flush`
 * keeps one flush in flight per isolate).
 */

import type { TimestampPolicy } from "../client/remote-write/options.ts";
import type { NativeHistogram, Sample, Series } from "../wire/types.ts";

/** Options of {@link SeriesTimestamps}. */
export interface SeriesTimestampsOptions {
  /**
   * Series remembered at most; past it the least recently stamped one is forgotten (its next
   * sample is taken as it comes). Each entry costs roughly its label bytes plus 100 bytes: keep it
   * well under the 128 MB of a Worker isolate. Default 10,000.
   */
  readonly maxSeries?: number;
  /** How far ahead of the clock a moved timestamp may go, ms, before the sample is held back. Default 60,000. */
  readonly maxAheadMs?: number;
}

/** What {@link SeriesTimestamps} did so far. */
export interface SeriesTimestampsStats {
  /** Samples stamped as they came (newer than the series' last). */
  readonly kept: number;
  /** Samples moved to `last + 1 ms` (the clock had not advanced, or went back). */
  readonly moved: number;
  /** Samples dropped: same value as the last one sent, no newer timestamp. */
  readonly unchanged: number;
  /** Samples held back: moving them would go more than `maxAheadMs` ahead of the clock. */
  readonly deferred: number;
  /** Series currently remembered. */
  readonly series: number;
  /** Largest lead of an issued timestamp over the clock so far, ms. */
  readonly maxLeadMs: number;
}

interface Last {
  ts: number;
  /** Float samples: the value's bits (as two uint32) to compare NaNs and -0 exactly. */
  hi: number;
  lo: number;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * The per-series timestamp policy. Share one instance between every writer that sends the same
 * series (e.g. `isolateMetrics().timestamps`), and pass it as the writer's `timestamps` option.
 *
 * @example
 * const timestamps = new SeriesTimestamps();
 * const rw = remoteWrite({ url, timestamps });
 * rw.collect(registry); // never older than what this isolate sent before, for any series
 */
export class SeriesTimestamps implements TimestampPolicy {
  private readonly last = new Map<string, Last>();
  private readonly maxSeries: number;
  private readonly maxAheadMs: number;
  private kept = 0;
  private moved = 0;
  private unchanged = 0;
  private deferred = 0;
  private maxLeadMs = 0;

  constructor(options: SeriesTimestampsOptions = {}) {
    this.maxSeries = Math.max(1, options.maxSeries ?? 10_000);
    this.maxAheadMs = Math.max(0, options.maxAheadMs ?? 60_000);
  }

  /**
   * Restamp the samples of these series (labels as sent, sorted, `__name__` included) against
   * what was issued before; `now` is the clock's reading. Returns new series objects where
   * something changed, and leaves out series with nothing left to send.
   *
   * @example const out = timestamps.apply(series, Date.now());
   */
  apply(series: readonly Series[], now: number): Series[] {
    const out: Series[] = [];
    for (const s of series) {
      const key = s.labels.join("\xff");
      const samples = s.samples === undefined || s.samples.length === 0 ? s.samples : this.floats(key, s.samples, now);
      const histograms = s.histograms === undefined || s.histograms.length === 0 ? s.histograms : this.histograms(key, s.histograms, now);
      if ((samples?.length ?? 0) + (histograms?.length ?? 0) === 0) continue;
      out.push(samples === s.samples && histograms === s.histograms ? s : { ...s, samples, histograms });
    }
    return out;
  }

  /** The last timestamp issued for a series (labels as sent), if remembered. */
  lastTimestamp(labels: readonly string[]): number | undefined {
    return this.last.get(labels.join("\xff"))?.ts;
  }

  stats(): SeriesTimestampsStats {
    return {
      kept: this.kept,
      moved: this.moved,
      unchanged: this.unchanged,
      deferred: this.deferred,
      series: this.last.size,
      maxLeadMs: this.maxLeadMs,
    };
  }

  /** Forget every series (their next samples are taken as they come). */
  clear(): void {
    this.last.clear();
  }

  private floats(key: string, samples: readonly Sample[], now: number): readonly Sample[] {
    let out: Sample[] | undefined;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      f64[0] = s.value;
      const ts = this.stamp(key, s.timestamp, u32[1], u32[0], now, s.stale === true);
      if (ts === s.timestamp && out === undefined) continue;
      out ??= samples.slice(0, i);
      if (ts !== undefined) out.push(ts === s.timestamp ? s : { ...s, timestamp: ts });
    }
    return out ?? samples;
  }

  private histograms(key: string, hs: readonly NativeHistogram[], now: number): readonly NativeHistogram[] {
    let out: NativeHistogram[] | undefined;
    for (let i = 0; i < hs.length; i++) {
      const h = hs[i];
      // Histograms are never compared by value: any repeat at an old timestamp moves forward.
      const ts = this.stamp(key, h.timestamp, NaN, NaN, now, false);
      if (ts === h.timestamp && out === undefined) continue;
      out ??= hs.slice(0, i);
      if (ts !== undefined) out.push(ts === h.timestamp ? h : { ...h, timestamp: ts });
    }
    return out ?? hs;
  }

  /** The timestamp to send, or undefined to leave the sample out. */
  private stamp(key: string, ts: number, hi: number, lo: number, now: number, stale: boolean): number | undefined {
    const prev = this.last.get(key);
    let out = ts;
    if (prev !== undefined && ts <= prev.ts) {
      if (!stale && prev.hi === hi && prev.lo === lo) {
        this.unchanged++;
        return undefined;
      }
      out = prev.ts + 1;
      if (out - now > this.maxAheadMs) {
        this.deferred++;
        return undefined;
      }
      this.moved++;
    } else {
      this.kept++;
    }
    if (prev !== undefined) {
      // Re-insert: Map order is then least recently stamped first, which is what eviction drops.
      this.last.delete(key);
      prev.ts = out;
      prev.hi = hi;
      prev.lo = lo;
      this.last.set(key, prev);
    } else {
      if (this.last.size >= this.maxSeries) {
        const oldest = this.last.keys().next().value;
        if (oldest !== undefined) this.last.delete(oldest);
      }
      this.last.set(key, { ts: out, hi, lo });
    }
    if (out - now > this.maxLeadMs) this.maxLeadMs = out - now;
    return out;
  }
}
