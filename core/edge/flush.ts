/**
 * Closing a writer within a deadline, and writer settings sized for an edge isolate.
 *
 * Workers keep a request's `waitUntil` work alive for about 30 s after the response; what is
 * still running then is cancelled without a word. So the flush gets its own, shorter deadline,
 * and what it could not deliver by then is counted and reported instead of vanishing.
 */

import type { RemoteWriter } from "../client/remote-write/remote-writer.ts";
import type { RemoteWriteOptions } from "../client/remote-write/options.ts";
import { systemClock, type Clock } from "../metrics/clock.ts";

/** Cloudflare Workers' limit on `waitUntil` work after the response, ms. */
export const WAIT_UNTIL_LIMIT_MS = 30_000;

/** Default flush deadline: well below {@link WAIT_UNTIL_LIMIT_MS}, leaving time to report. */
export const DEFAULT_FLUSH_DEADLINE_MS = 25_000;

/**
 * Remote-write settings for a Worker isolate (128 MB, shared by every request it serves).
 * snappy's WASM memory grows to fit the largest body it compressed and never shrinks, so the
 * request body is capped at 256 KiB: measured (test/edge/wasm-memory.test.ts), WASM memory goes
 * from 1.1 MiB to 1.7 MiB after 256 KiB bodies, but to 9.8 MiB after 4 MiB bodies (the writer's
 * default), for the isolate's life. Fewer samples per request and a smaller pending queue keep
 * the JS heap small too; attempts and their timeout fit the flush deadline.
 */
export const EDGE_REMOTE_WRITE_DEFAULTS = {
  maxSamplesPerRequest: 500,
  maxRequestBytes: 256 * 1024,
  maxPendingSamples: 10_000,
  timeoutMs: 10_000,
  retry: { maxAttempts: 3, maxBackoffMs: 2_000, maxAgeMs: 20_000 },
} as const satisfies Partial<RemoteWriteOptions>;

/** What a flush achieved, in samples. */
export interface FlushReport {
  /** Samples handed to the writer by this flush (0 for {@link closeWithin} on its own). */
  readonly enqueued: number;
  /** Samples the receiver accepted. */
  readonly sent: number;
  /** Samples given up on (refused, retry budget, unencodable), `abandoned` included. */
  readonly failed: number;
  /** Samples dropped at the writer's pending limit. */
  readonly dropped: number;
  /** Samples still unsent when the deadline came (part of `failed`). */
  readonly abandoned: number;
  /** True when the deadline came before everything was settled. */
  readonly timedOut: boolean;
  /** How long the flush took, ms (monotonic clock). */
  readonly elapsedMs: number;
  /** Why a flush sent nothing (its writer could not be made, or the snapshot failed). */
  readonly error?: unknown;
}

/** Options of {@link closeWithin}. */
export interface CloseWithinOptions {
  /** Give up after this long, ms. Default {@link DEFAULT_FLUSH_DEADLINE_MS}. */
  readonly deadlineMs?: number;
  /** For `elapsedMs`. Default the system clock. */
  readonly clock?: Clock;
}

/**
 * Close a writer, giving up after a deadline, and report what happened: what was sent, what
 * failed, and what was still unsent when time ran out.
 *
 * @example
 * ctx.waitUntil(closeWithin(rw, { deadlineMs: 25_000 }).then((r) => { if (r.abandoned) console.warn(r); }));
 */
export async function closeWithin(writer: RemoteWriter, options: CloseWithinOptions = {}): Promise<FlushReport> {
  const deadlineMs = options.deadlineMs ?? DEFAULT_FLUSH_DEADLINE_MS;
  const clock = options.clock ?? systemClock;
  const before = writer.stats();
  const t0 = clock.monotonic();
  const after = await writer.close({ timeoutMs: deadlineMs });
  const abandoned = after.abandoned - before.abandoned;
  return {
    enqueued: 0,
    sent: after.sent - before.sent,
    failed: after.failed - before.failed,
    dropped: after.dropped - before.dropped,
    abandoned,
    timedOut: abandoned > 0,
    elapsedMs: clock.monotonic() - t0,
  };
}
