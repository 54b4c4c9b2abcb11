/**
 * The remote-write writer as Promise users hold it. Types only (no Effect), so the runtime
 * entries' public declarations stay free of Effect's; the Effect form is `RemoteWriterEffect`.
 */

import type { Collectable } from "../../metrics/collectable.ts";
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
