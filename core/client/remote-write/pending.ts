/**
 * The writer's pending samples: a FIFO of entries, each a slice of one series. Bounded by a
 * sample count, not an entry count (Effect's sliding `Queue` counts items): past the cap the
 * oldest samples are dropped, partially from the head entry if need be, and counted.
 *
 * Every entry carries a sequence number; `flush()` waits until every entry up to the last one
 * enqueued before it was called is settled (sent, failed or dropped).
 */

import type { Exemplar, Labels, MetricMetadata, NativeHistogram, Sample } from "../../wire/types.ts";

/** A slice of one series, at most `maxSamplesPerRequest` samples + histograms. */
export interface Entry {
  readonly seq: number;
  readonly labels: Labels;
  samples: readonly Sample[];
  histograms: readonly NativeHistogram[];
  readonly exemplars: readonly Exemplar[];
  /** The family metadata this series belongs to, if known. */
  readonly metadata: MetricMetadata | undefined;
  /** When it was enqueued (writer clock, ms): the retry budget's age counts from here. */
  readonly at: number;
}

/** Samples an entry counts for: float samples plus native histogram samples. */
export function entrySize(e: Pick<Entry, "samples" | "histograms">): number {
  return e.samples.length + e.histograms.length;
}

export class PendingQueue {
  private entries: Entry[] = [];
  private head = 0;
  private size = 0;
  private nextSeq = 1;

  constructor(private readonly maxSamples: number) {}

  /** Pending samples. */
  get samples(): number {
    return this.size;
  }

  get isEmpty(): boolean {
    return this.head >= this.entries.length;
  }

  /** Sequence number of the last entry ever enqueued (0 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Sequence number of the oldest pending entry, or undefined. */
  get firstSeq(): number | undefined {
    return this.isEmpty ? undefined : this.entries[this.head].seq;
  }

  /**
   * Append a slice of a series; returns how many of the oldest samples were dropped to stay
   * under the cap.
   */
  push(e: Omit<Entry, "seq">): number {
    const entry: Entry = { ...e, seq: this.nextSeq++ };
    this.entries.push(entry);
    this.size += entrySize(entry);
    return this.size > this.maxSamples ? this.dropOldest(this.size - this.maxSamples) : 0;
  }

  private dropOldest(excess: number): number {
    let dropped = 0;
    while (excess > 0 && !this.isEmpty) {
      const e = this.entries[this.head];
      const n = entrySize(e);
      if (n <= excess) {
        this.entries[this.head++] = undefined as unknown as Entry;
        excess -= n;
        dropped += n;
        this.size -= n;
      } else {
        // Keep the newest part of the series: drop its oldest float samples, then histograms.
        const fromSamples = Math.min(excess, e.samples.length);
        e.samples = e.samples.slice(fromSamples);
        const fromHist = excess - fromSamples;
        if (fromHist > 0) e.histograms = e.histograms.slice(fromHist);
        dropped += excess;
        this.size -= excess;
        excess = 0;
      }
    }
    this.compact();
    return dropped;
  }

  /** Take entries from the head totalling at most `maxSamples` samples (at least one entry). */
  take(maxSamples: number): Entry[] {
    const out: Entry[] = [];
    let n = 0;
    while (!this.isEmpty) {
      const e = this.entries[this.head];
      const s = entrySize(e);
      if (out.length > 0 && n + s > maxSamples) break;
      out.push(e);
      this.entries[this.head++] = undefined as unknown as Entry;
      n += s;
      this.size -= s;
    }
    this.compact();
    return out;
  }

  /** Remove everything (close without flushing); returns the number of samples removed. */
  clear(): number {
    const n = this.size;
    this.entries = [];
    this.head = 0;
    this.size = 0;
    return n;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    } else if (this.isEmpty) {
      this.entries = [];
      this.head = 0;
    }
  }
}
