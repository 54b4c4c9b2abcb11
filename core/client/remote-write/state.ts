/**
 * The mutable state a writer's Promise API and its Effect sender loop share. JavaScript runs one
 * thing at a time, so plain fields suffice; the only hand-offs are the wake-up signal and the
 * flush waiters. Plain code (no Effect): a writer takes data before its sender is loaded; the
 * sender wraps {@link WriterState.onSignal} and {@link WriterState.onSettled} as Effects
 * (state-effects.ts).
 */

import type { Labels, ProtocolVersion } from "../../wire/types.ts";
import type { EncodedRequest } from "./batch.ts";
import type { Tried } from "./sender.ts";
import { laneOf, PendingQueue, type Entry } from "./pending.ts";
import type { WriterStats } from "./options.ts";
import { SelfMetrics } from "./self-metrics.ts";

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
}

/** Entries taken from the queue and not yet settled: one shard's request(s) in flight. */
export interface Batch {
  readonly firstSeq: number;
  readonly entries: readonly Entry[];
  /** Samples not yet delivered, failed or spooled. */
  unsettled: number;
  /** The lanes it holds, once registered (only needed when a second batch may be taken). */
  lanes: number[] | undefined;
  /** Encoded requests not yet settled, oldest first; undefined until encoded. */
  requests: EncodedRequest[] | undefined;
}

/** What {@link WriterState.takeUnsettled} hands over: everything not yet delivered, oldest first per series. */
export interface Unsettled {
  /** Encoded requests of batches in flight. */
  readonly requests: EncodedRequest[];
  /** Entries not yet encoded (batches in flight, then the queue). */
  readonly entries: Entry[];
  readonly samples: number;
}

export class WriterState {
  readonly queue: PendingQueue;
  readonly metrics = new SelfMetrics();
  /** Protocol in use; drops to v1 for good after a fallback. */
  protocol: ProtocolVersion;
  /** Batches in flight (at most `shards`). */
  readonly inflight = new Set<Batch>();
  /** Lanes held by a batch in flight. */
  private readonly busy = new Set<number>();
  /** Attempts made for requests in flight (what a spool file records of them). */
  readonly tried = new WeakMap<EncodedRequest, Tried>();
  /** Spooled data waits to be sent before anything in the queue (see sender.ts). */
  spoolAhead = false;
  /** Earliest time (writer clock) of the next attempt to send the spool after one failed. */
  spoolRetryAt = 0;
  /** When the oldest pending entry arrived (for the flush deadline). */
  queueSince: number | undefined;
  /** Highest sequence number a pending `flush()` waits for. */
  flushTarget = 0;
  /** No more data accepted. */
  closed = false;
  /** The loop exits once the queue is empty. */
  stopping = false;
  requests = 0;
  /** Samples abandoned by a close timeout. */
  abandoned = 0;
  /** Series delivered so far (flat-label key → labels and newest timestamp), for stale markers. */
  readonly delivered = new Map<string, { labels: Labels; last: number }>();
  private signalled = false;
  private wakeup: (() => void) | undefined;
  private readonly waiters: Waiter[] = [];

  constructor(protocol: ProtocolVersion, maxPendingSamples: number) {
    this.protocol = protocol;
    this.queue = new PendingQueue(maxPendingSamples);
  }

  /** Wake the loop (new data, a flush, closing). */
  signal(): void {
    this.signalled = true;
    const w = this.wakeup;
    this.wakeup = undefined;
    w?.();
  }

  /**
   * Call `wake` at the next {@link signal} (at once if one came since the last wait). Returns
   * how to cancel the wait.
   */
  onSignal(wake: () => void): () => void {
    if (this.signalled) {
      this.signalled = false;
      wake();
      return () => {};
    }
    this.wakeup = () => {
      this.signalled = false;
      wake();
    };
    return () => {
      this.wakeup = undefined;
    };
  }

  /** Samples in flight, not yet settled. */
  get inflightSamples(): number {
    return this.queue.inFlight;
  }

  /**
   * Take the next batch of at most `maxSamples` samples, skipping series whose lane a batch in
   * flight holds; undefined when nothing can be taken now.
   */
  takeBatch(maxSamples: number): Batch | undefined {
    let busy: ((lane: number) => boolean) | undefined;
    if (this.inflight.size > 0) {
      for (const b of this.inflight) this.hold(b);
      busy = (lane) => this.busy.has(lane);
    }
    const entries = this.queue.take(maxSamples, busy);
    if (entries.length === 0) return undefined;
    let n = 0;
    for (const e of entries) n += e.samples.length + e.histograms.length;
    const batch: Batch = { firstSeq: entries[0].seq, entries, unsettled: n, lanes: undefined, requests: undefined };
    this.inflight.add(batch);
    this.queue.inFlight += n;
    this.metrics.pending = this.queue.samples;
    this.metrics.shards = this.inflight.size;
    // A batch taken while others are in flight holds its lanes at once.
    if (busy !== undefined) this.hold(batch);
    return batch;
  }

  /** Register a batch's lanes as busy (once). */
  private hold(b: Batch): void {
    if (b.lanes !== undefined) return;
    const lanes: number[] = [];
    for (const e of b.entries) {
      const lane = laneOf(e);
      if (!this.busy.has(lane)) {
        this.busy.add(lane);
        lanes.push(lane);
      }
    }
    b.lanes = lanes;
  }

  /** `samples` of a batch are settled (delivered, failed or spooled). */
  settleSamples(b: Batch, samples: number): void {
    b.unsettled -= samples;
    this.queue.inFlight -= samples;
  }

  /** A batch's work is over: free its lanes, count what it left unsettled as failed (a defect). */
  finishBatch(b: Batch): number {
    const left = b.unsettled;
    if (left > 0) {
      this.metrics.samplesFailed += left;
      this.settleSamples(b, left);
    }
    if (b.lanes !== undefined) for (const lane of b.lanes) this.busy.delete(lane);
    this.inflight.delete(b);
    this.metrics.shards = this.inflight.size;
    return left;
  }

  /** Lowest sequence number not yet sent, failed, spooled or dropped. */
  lowestUnsettled(): number {
    let low = this.queue.firstSeq ?? this.queue.lastSeq + 1;
    for (const b of this.inflight) if (b.firstSeq < low) low = b.firstSeq;
    return low;
  }

  /**
   * Call `done` once everything enqueued before this call is settled (sent, failed or dropped);
   * at once when it already is. Returns how to cancel the wait (a close timeout interrupts it).
   */
  onSettled(done: () => void): () => void {
    const target = this.queue.lastSeq;
    if (this.lowestUnsettled() > target) {
      done();
      return () => {};
    }
    this.flushTarget = Math.max(this.flushTarget, target);
    const waiter: Waiter = { target, resolve: done };
    this.waiters.push(waiter);
    this.signal();
    return () => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
    };
  }

  /** Resolve the flush waiters whose data is all settled. */
  settle(): void {
    if (this.waiters.length === 0) return;
    const low = this.lowestUnsettled();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w.target < low) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /**
   * Hand over everything not yet delivered (a close timeout; the loop is already interrupted):
   * the batches in flight (their unsettled requests, or their entries when not yet encoded), then
   * the queue. The caller spools it or counts it as failed; flush waiters are released.
   */
  takeUnsettled(): Unsettled {
    const requests: EncodedRequest[] = [];
    const entries: Entry[] = [];
    let samples = 0;
    const batches = [...this.inflight].sort((a, b) => a.firstSeq - b.firstSeq);
    for (const b of batches) {
      if (b.unsettled === 0) continue;
      samples += b.unsettled;
      if (b.requests === undefined) entries.push(...b.entries);
      else requests.push(...b.requests);
    }
    samples += this.queue.samples;
    entries.push(...this.queue.drain());
    this.inflight.clear();
    this.busy.clear();
    this.queue.inFlight = 0;
    this.metrics.pending = 0;
    this.metrics.shards = 0;
    this.stopping = true;
    for (const w of this.waiters.splice(0)) w.resolve();
    return { requests, entries, samples };
  }

  stats(): WriterStats {
    const m = this.metrics;
    return {
      sent: m.samplesSent,
      retried: m.samplesRetried,
      failed: m.samplesFailed,
      dropped: m.samplesDropped,
      pending: this.queue.samples,
      requests: this.requests,
      retries: m.retries,
      abandoned: this.abandoned,
      spooled: m.spooled,
      resent: m.resent,
      evicted: m.evicted,
    };
  }
}
