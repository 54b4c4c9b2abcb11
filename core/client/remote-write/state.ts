/**
 * The mutable state a writer's Promise API and its Effect sender loop share. JavaScript runs one
 * thing at a time, so plain fields suffice; the only hand-off is the wake-up signal.
 */

import * as Effect from "effect/Effect";
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

  /** An Effect that completes at the next {@link signal} (at once if one came since the last wait). */
  readonly awaitSignal: Effect.Effect<void> = Effect.callback<void>((resume) => {
    if (this.signalled) {
      this.signalled = false;
      resume(Effect.void);
      return;
    }
    this.wakeup = () => {
      this.signalled = false;
      resume(Effect.void);
    };
    return Effect.sync(() => {
      this.wakeup = undefined;
    });
  });

  /** Lowest sequence number not yet sent, failed or dropped. */
  lowestUnsettled(): number {
    return this.inflightSeq ?? this.queue.firstSeq ?? this.queue.lastSeq + 1;
  }

  /**
   * Completes once everything enqueued before it started is settled (sent, failed or dropped).
   * Interrupting it (a close timeout) removes its waiter.
   */
  readonly settled: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const target = this.queue.lastSeq;
    if (this.lowestUnsettled() > target) {
      resume(Effect.void);
      return;
    }
    this.flushTarget = Math.max(this.flushTarget, target);
    const waiter: Waiter = { target, resolve: () => resume(Effect.void) };
    this.waiters.push(waiter);
    this.signal();
    return Effect.sync(() => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
    });
  });

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
