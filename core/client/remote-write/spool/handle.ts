/**
 * What the sender loop sees of a spool (types only): the writer stays free of the spool's code,
 * which a runtime with a file system hands in (see spool.ts), so a Workers bundle never carries it.
 */

import type * as Effect from "effect/Effect";
import type { PromwireError } from "../../../errors.ts";
import type { MetricFamily } from "../../../exposition/model.ts";
import type { EncodedRequest } from "../batch.ts";
import type { SenderDeps } from "../sender.ts";
import type { WriterState } from "../state.ts";

/** Why a request went to the spool. */
export type SpoolReason = "retry-budget" | "closed" | "behind-spool";

/** What adding to the spool did. */
export interface SpoolAdded {
  /** Samples of older spool files deleted to stay under `maxBytes` (or of this request, when it alone is too large). */
  readonly evicted: number;
  /** Whether the request itself was written. */
  readonly written: boolean;
}

/** How a drain ended: nothing of this target left, or a file could not be delivered (or another process is sending). */
export type DrainResult = "empty" | "blocked";

/** A writer's spool: one directory, one target. */
export interface SpoolHandle {
  /** The directory, as given. */
  readonly dir: string;
  /**
   * Write a given-up request durably (temporary file, fsync, rename); synchronous, so that it
   * also works in a process's last moments. Throws `SpoolError` when the file system refuses.
   */
  add(request: EncodedRequest, reason: SpoolReason, attempts: number, firstAttemptAt?: number): SpoolAdded;
  /**
   * Load the sending part (drain, keep, step): with the writer's sender, never at start-up.
   * The writer awaits it before its sender loop runs.
   */
  prepare(): Promise<void>;
  /** Whether files of this target wait to be sent. */
  waiting(): boolean;
  /** Send this target's files, oldest first, each deleted once the receiver accepted it. */
  drain(state: WriterState, deps: SenderDeps): Effect.Effect<DrainResult>;
  /** Files and bytes in the directory now (every target; `rejected/` aside). */
  usage(): { readonly files: number; readonly bytes: number };
  /**
   * Keep requests the writer gives up on (see spool/ahead.ts): written, counted, the spool now
   * ahead of the queue; what cannot be written is reported as failed. Returns the samples kept.
   */
  keep(state: WriterState, deps: SenderDeps, requests: readonly EncodedRequest[], reason: SpoolReason, cause?: PromwireError): number;
  /** The sender loop's step while the spool is ahead of the queue (see spool/ahead.ts). */
  step(state: WriterState, deps: SenderDeps): Effect.Effect<"again" | "exit">;
  /** The `promwire_spool_*` self-metrics. */
  families(state: WriterState): MetricFamily[];
}
