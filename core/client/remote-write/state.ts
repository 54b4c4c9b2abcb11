/**
 * The mutable state a writer's Promise API and its Effect sender loop share. JavaScript runs one
 * thing at a time, so plain fields suffice; the only hand-offs are the wake-up signal and the
 * flush waiters. Plain code (no Effect): a writer takes data before its sender is loaded; the
 * sender wraps {@link WriterState.onSignal} and {@link WriterState.onSettled} as Effects
 * (state-effects.ts).
 */

import type { Labels, ProtocolVersion } from "../../wire/types.ts";
import { PendingQueue } from "./pending.ts";
import type { WriterStats } from "./options.ts";
import { SelfMetrics } from "./self-metrics.ts";

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
}

export class WriterState {
  readonly queue: PendingQueue;
  readonly metrics = new SelfMetrics();
  /** Protocol in use; drops to v1 for good after a fallback. */
  protocol: ProtocolVersion;
  /** First sequence number of the batch being sent, if any. */
  inflightSeq: number | undefined;
  /** Samples of the in-flight batch not yet delivered or failed. */
  inflightSamples = 0;
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

  /** Lowest sequence number not yet sent, failed or dropped. */
  lowestUnsettled(): number {
    return this.inflightSeq ?? this.queue.firstSeq ?? this.queue.lastSeq + 1;
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
   * Give up on everything not yet delivered (close timeout): count it as failed, empty the
   * queue, release every flush waiter. Returns the number of samples abandoned.
   */
  abandon(): number {
    const n = this.inflightSamples + this.queue.clear();
    this.metrics.samplesFailed += n;
    this.abandoned += n;
    this.metrics.pending = 0;
    this.inflightSeq = undefined;
    this.inflightSamples = 0;
    this.stopping = true;
    for (const w of this.waiters.splice(0)) w.resolve();
    return n;
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
    };
  }
}
