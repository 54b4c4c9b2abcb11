/**
 * The remote-write writer as Promise users hold it. Types only (no Effect), so the runtime
 * entries' public declarations stay free of Effect's; the Effect form is `RemoteWriterEffect`.
 */

import type { Collectable } from "../../metrics/collectable.ts";
import type { PeriodicHandle, PeriodicOptions } from "../periodic.ts";
import type { MetricMetadata, ProtocolVersion, Series } from "../../wire/types.ts";
import type { WriterStats } from "./options.ts";

/** Options of {@link RemoteWriter.close}. */
export interface CloseOptions {
  /**
   * Before stopping, send a stale marker for every series this writer delivered, so that a
   * finished job's series end at once instead of lingering for 5 minutes in queries.
   */
  readonly markStale?: boolean;
  /**
   * Stop waiting after this long, ms: the attempt in flight is aborted and whatever is not yet
   * delivered is counted as failed (reported once to `onError`, reason `"closed"`). Default: wait
   * until everything is delivered or its retry budget is spent.
   */
  readonly timeoutMs?: number;
}

/** A remote-write writer. */
export interface RemoteWriter {
  /** Snapshot a registry (or any {@link Collectable}) now, stamp it with the current time, enqueue. */
  collect(source: Collectable): void;
  /**
   * Collect `source` every `intervalMs` until `stop()` — for a process that runs minutes or hours
   * (a Worker's equivalent is the isolate flush of `withMetrics`). The first snapshot is taken at
   * once (`jitter: true`: after up to 10 % of the interval); a tick whose previous snapshot is not
   * yet delivered (or given up on) is skipped and counted, so a slow receiver never makes
   * snapshots pile up; the handle's snapshots carry strictly increasing timestamps even under a
   * frozen or stepped-back clock; `stop()`, `close()` and a runtime entry's exit hooks take a
   * final snapshot. Requests keep the writer's own `timeoutMs` and retries: cutting an attempt
   * short could make the receiver store the same samples twice.
   *
   * @example
   * const every = rw.collectEvery(registry, 15_000, { jitter: true });
   * await work();
   * await every.stop(); // a final snapshot, delivered
   */
  collectEvery(source: Collectable, intervalMs: number, options?: PeriodicOptions): PeriodicHandle;
  /** Enqueue series as they are. `metadata` describes their families (sent per request). */
  write(series: readonly Series[], metadata?: readonly MetricMetadata[]): void;
  /** Parse Prometheus text or OpenMetrics and enqueue it; samples without a timestamp get the current time. */
  writeText(text: string): void;
  /** Resolves once everything enqueued before the call is delivered, failed or dropped. */
  flush(): Promise<WriterStats>;
  /** Flush, refuse further data, stop. Idempotent: every call returns the same promise. */
  close(options?: CloseOptions): Promise<WriterStats>;
  /** Counts so far. */
  stats(): WriterStats;
  /** The writer's own metrics (`promwire_samples_sent_total`, …), to push along or expose. */
  readonly metrics: Collectable;
  /** The protocol in use: `"v1"` after a v2 → v1 fallback. */
  readonly protocol: ProtocolVersion;
  /** True once `close()` was called: writes throw `ClosedError`. */
  readonly closed: boolean;
}
