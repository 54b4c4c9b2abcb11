/**
 * The writer's pending samples: a FIFO of entries, each a slice of one series. Bounded by a
 * sample count, not an entry count (Effect's sliding `Queue` counts items): past the cap the
 * oldest samples are dropped, partially from the head entry if need be, and counted. The cap
 * covers what is in flight too (`inFlight`), so several requests in flight (shards) hold no more
 * memory than one queue did.
 *
 * Every entry carries a sequence number; `flush()` waits until every entry up to the last one
 * enqueued before it was called is settled (sent, failed, spooled or dropped).
 *
 * Several requests may be in flight at once; each series must still arrive in timestamp order,
 * across retries too. Series are hashed to lanes ({@link laneOf}), and a lane belongs to at most
 * one request in flight: {@link PendingQueue.take} skips the entries of busy lanes (they keep their
 * place) and so never lets a later slice of a series overtake an earlier one.
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
  /** The series' lane, computed when first needed (see {@link laneOf}). */
  lane?: number;
}

/** Samples an entry counts for: float samples plus native histogram samples. */
export function entrySize(e: Pick<Entry, "samples" | "histograms">): number {
  return e.samples.length + e.histograms.length;
}

/**
 * A series' lane: a 32-bit FNV-1a hash of its labels (names and values, a separator between).
 * Two series share a lane about once in 4 billion pairs, and a shared lane only makes them wait
 * for each other, never reorders them. Cached on the entry: it is only computed once a second
 * request may be in flight.
 * @example laneOf(entry) // 0 ≤ lane < 2 ** 32
 */
export function laneOf(e: Entry): number {
  if (e.lane !== undefined) return e.lane;
  let h = 0x811c9dc5;
  for (const s of e.labels) {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
  }
  e.lane = h >>> 0;
  return e.lane;
}

/** Entries examined at most by one {@link PendingQueue.take} past busy lanes. */
const SCAN_LIMIT = 8192;

export class PendingQueue {
  /** FIFO with holes: entries taken from the middle (past a busy lane) leave `undefined`. */
  private entries: (Entry | undefined)[] = [];
  private head = 0;
  private size = 0;
  private nextSeq = 1;
  /** Samples taken and not yet settled (in flight); they count against the cap. */
  inFlight = 0;

  constructor(private readonly maxSamples: number) {}

  /** Pending samples (queued, not in flight). */
  get samples(): number {
    return this.size;
  }

  get isEmpty(): boolean {
    // `head` never rests on a hole (see skipHoles).
    return this.head >= this.entries.length;
  }

  /** Sequence number of the last entry ever enqueued (0 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Sequence number of the oldest pending entry, or undefined. */
  get firstSeq(): number | undefined {
    return this.isEmpty ? undefined : this.entries[this.head]!.seq;
  }

  /**
   * Append a slice of a series; returns how many of the oldest samples were dropped to stay
   * under the cap.
   */
  push(e: Omit<Entry, "seq">): number {
    const entry: Entry = { ...e, seq: this.nextSeq++ };
    this.entries.push(entry);
    this.size += entrySize(entry);
    const excess = this.size + this.inFlight - this.maxSamples;
    return excess > 0 ? this.dropOldest(excess) : 0;
  }

  private dropOldest(excess: number): number {
    let dropped = 0;
    while (excess > 0 && this.head < this.entries.length) {
      const e = this.entries[this.head];
      if (e === undefined) {
        this.head++;
        continue;
      }
      const n = entrySize(e);
      if (n <= excess) {
        this.entries[this.head++] = undefined;
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
    this.skipHoles();
    this.compact();
    return dropped;
  }

  /**
   * Take entries, oldest first, totalling at most `maxSamples` samples (at least one entry when
   * any can be taken). With `busy`, entries whose lane is busy are left in place, and so is every
   * later entry of such a lane; without it (nothing in flight) the head is taken as it comes.
   */
  take(maxSamples: number, busy?: (lane: number) => boolean): Entry[] {
    const out: Entry[] = [];
    let n = 0;
    const blocked = busy === undefined ? undefined : new Set<number>();
    let scanned = 0;
    for (let i = this.head; i < this.entries.length && scanned < SCAN_LIMIT; i++) {
      const e = this.entries[i];
      if (e === undefined) continue;
      scanned++;
      if (blocked !== undefined) {
        const lane = laneOf(e);
        if (blocked.has(lane) || busy!(lane)) {
          blocked.add(lane);
          continue;
        }
      }
      const s = entrySize(e);
      if (out.length > 0 && n + s > maxSamples) break;
      out.push(e);
      this.entries[i] = undefined;
      n += s;
      this.size -= s;
    }
    this.skipHoles();
    this.compact();
    return out;
  }

  /** Remove everything; returns the entries removed, oldest first. */
  drain(): Entry[] {
    const out: Entry[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e !== undefined) out.push(e);
    }
    this.entries = [];
    this.head = 0;
    this.size = 0;
    return out;
  }

  /** Remove everything (close without flushing); returns the number of samples removed. */
  clear(): number {
    const n = this.size;
    this.drain();
    return n;
  }

  private skipHoles(): void {
    while (this.head < this.entries.length && this.entries[this.head] === undefined) this.head++;
  }

  private compact(): void {
    if (this.head >= this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
