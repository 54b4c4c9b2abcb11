/** Options and results of the remote-write writer, with their defaults. */

import { ValidationError, type PromwireError } from "../../errors.ts";
import type { NameValidation } from "../../wire/label-rules.ts";
import type { ProtocolVersion, Series } from "../../wire/types.ts";
import type { Auth } from "../http/auth.ts";
import { retryPolicy, type RetryNotice, type RetryOptions, type RetryPolicy } from "../http/retry-policy.ts";
import type { TlsOptions } from "../http/connection.ts";
import type { FetchLike } from "../http/types.ts";

/** What was lost, passed to `onError` along with the error. */
export interface FailureInfo {
  /** Samples (float + histogram) given up on. */
  readonly samples: number;
  /** Attempts made for them (0 when they could not be encoded). */
  readonly attempts: number;
}

/** Why samples were dropped (see {@link RemoteWriteOptions.onDrop}). */
export type DropReason = "pending-limit" | "spool-full";

/**
 * A directory where requests that could not be delivered are kept, and from which the next writer
 * with the same directory and target sends them first (Node, Bun, Deno; see README, "Spool").
 */
export interface SpoolOptions {
  /** The directory (created if missing). One directory may serve several targets and processes. */
  readonly dir: string;
  /**
   * Bytes the spool may hold (files of every target, `rejected/` aside); past it the oldest files
   * are deleted, counted in `stats().evicted` and reported to `onDrop`. Default 64 MiB.
   */
  readonly maxBytes?: number;
  /**
   * A lock held by a process that stopped renewing it for this long is taken over, ms. Default
   * 30,000. On Node and Bun a lock of a process of this machine that no longer exists is taken
   * over at once; Deno cannot tell without more permissions, and waits this long.
   */
  readonly lockStaleMs?: number;
}

/** Options of `remoteWrite`. */
export interface RemoteWriteOptions {
  /** Receiver endpoint, e.g. `http://prometheus:9090/api/v1/write`. Credentials in the URL become Basic auth. */
  readonly url: string;
  /** `"v1"` (default) or `"v2"`; v2 falls back to v1 for this writer if the receiver does not speak it. */
  readonly protocol?: ProtocolVersion;
  readonly auth?: Auth;
  /** Extra request headers. Protocol headers and `User-Agent` cannot be overridden. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Labels added to every series (a series' own label of the same name wins, as in Prometheus). */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** The `fetch` to use (adapters pass theirs; a wrapper can sign requests). Default: global `fetch`. */
  readonly fetch?: FetchLike;
  /**
   * Proxy for this writer's requests (the OAuth2 token request included), e.g.
   * `http://user:pass@proxy:3128`; HTTPS goes through `CONNECT`. Default: `HTTPS_PROXY`,
   * `HTTP_PROXY` and `NO_PROXY` from the environment. Node, Deno and Bun; not on Workers.
   */
  readonly proxy?: string;
  /** Custom CA and client certificate (mTLS), PEM. Node, Deno and Bun; not on Workers. */
  readonly tls?: TlsOptions;
  /** Per-attempt timeout, ms. Default 30,000. */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /** Samples (float + histogram) per request. Default 2,000 (Prometheus' `max_samples_per_send`). */
  readonly maxSamplesPerRequest?: number;
  /** Send a partial batch once its oldest sample waited this long, ms. Default 5,000 (`batch_send_deadline`). */
  readonly flushDeadlineMs?: number;
  /** Largest uncompressed request body, bytes; bigger batches are split. Default 4 MiB (Prometheus accepts 32 MiB). */
  readonly maxRequestBytes?: number;
  /**
   * Remember every delivered series (its labels and newest timestamp) so that
   * `close({ markStale: true })` can end them. Default true. Memory grows with the number of
   * distinct series written: turn it off for one-off bulk writes (the CLI's `write` of a large
   * page), where `markStale` then has nothing to mark.
   */
  readonly trackSeries?: boolean;
  /**
   * Samples held at most, queued or in flight; past it the oldest queued are dropped and counted.
   * Default 100,000.
   */
  readonly maxPendingSamples?: number;
  /**
   * Requests in flight at most. More than one are used only while more than one request's worth
   * of data waits, so a small write still goes out as one request; a large backlog over a slow
   * link goes out up to `shards` at a time. Each series keeps its timestamp order (its samples
   * are never in two requests in flight, also across retries). Default 16; 1 on Workers.
   * @example remoteWrite({ url, shards: 4 }) // a receiver that should see at most 4 requests at once
   */
  readonly shards?: number;
  /**
   * Keep what could not be delivered — retry budget spent, `close({ timeoutMs })` or the exit
   * deadline reached, SIGTERM/SIGINT — in a directory, and send it first next time (Node, Bun,
   * Deno; refused on Workers). Delivery is at-least-once. Default: none (such data is lost and
   * reported to `onError`).
   * @example remoteWrite({ url, spool: { dir: "/var/lib/backup-job/promwire-spool" } })
   */
  readonly spool?: SpoolOptions;
  /** Name syntax to enforce before sending. Default `"legacy"`. */
  readonly nameValidation?: NameValidation;
  /** Called for every batch given up on (never for a retry that later succeeds). Default: log it. */
  readonly onError?: (error: PromwireError, info: FailureInfo) => void;
  /**
   * Called after each failed attempt that will be retried (a tool shows it: a receiver that is
   * down otherwise looks like a hang): the attempt number, the cause, the delay before the next
   * attempt (`Retry-After` when the receiver sent one), and the samples the request carries.
   * Never called for the last attempt: that one is `onError`. Default: nothing.
   * @example onRetry: ({ attempt, error, delayMs }) => console.warn(`attempt ${attempt} failed (${error.message}), retrying in ${delayMs} ms`)
   */
  readonly onRetry?: (notice: WriteRetryNotice) => void;
  /**
   * Called when samples were dropped: the pending limit made the writer drop its oldest
   * (`"pending-limit"`), or the spool's `maxBytes` made it delete its oldest files (`"spool-full"`).
   */
  readonly onDrop?: (samples: number, reason: DropReason) => void;
  /** One-line notices (the v2 → v1 fallback, failures without `onError`). Default `console.warn`. */
  readonly log?: (message: string) => void;
  /** Wall clock in ms, for sample timestamps and `Retry-After` dates. Default `Date.now`. */
  readonly now?: () => number;
  /** Random numbers in [0, 1) for backoff jitter. Default `Math.random`. */
  readonly random?: () => number;
  /**
   * Restamps samples as they are enqueued (after external labels are merged), e.g. a shared
   * `SeriesTimestamps` so that no series is ever sent an older timestamp than before, across
   * writers and invocations. Default: timestamps are sent as given.
   */
  readonly timestamps?: TimestampPolicy;
}

/** {@link RemoteWriteOptions.onRetry}'s argument. */
export interface WriteRetryNotice extends RetryNotice {
  /** Samples (float + histogram) in the request being retried. */
  readonly samples: number;
}

/** A per-series timestamp rule (see `SeriesTimestamps` in core/edge). */
export interface TimestampPolicy {
  /** The series to enqueue, restamped; series with nothing left to send are left out. `now` is the writer's clock. */
  apply(series: readonly Series[], now: number): readonly Series[];
}

/** Counts since the writer was created; `sent`, `failed`, `dropped`, `retried` and `pending` are samples. */
export interface WriterStats {
  /** Samples the receiver accepted. */
  readonly sent: number;
  /** Samples sent again after a failed attempt (a sample retried twice counts twice). */
  readonly retried: number;
  /** Samples given up on. */
  readonly failed: number;
  /** Oldest samples dropped at the pending limit. */
  readonly dropped: number;
  /** Samples still queued (0 after a completed flush, unless data arrived meanwhile). */
  readonly pending: number;
  /** Requests that succeeded. */
  readonly requests: number;
  /** Requests sent again after a failed attempt. */
  readonly retries: number;
  /** Samples taken from sending because `close({ timeoutMs })` ran out of time (also counted in `failed`, or in `spooled`). */
  readonly abandoned: number;
  /** Samples written to the spool instead of being given up on (0 without a spool). */
  readonly spooled: number;
  /**
   * Samples left in the spool by earlier writers (an earlier run, another process) that this
   * writer delivered. Its own spooled samples, once delivered, count in `sent`.
   */
  readonly resent: number;
  /** Spooled samples deleted to keep the spool under `maxBytes` (also reported to `onDrop`). */
  readonly evicted: number;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  readonly protocol: ProtocolVersion;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly maxSamplesPerRequest: number;
  readonly flushDeadlineMs: number;
  readonly maxRequestBytes: number;
  readonly maxPendingSamples: number;
  readonly nameValidation: NameValidation;
  readonly trackSeries: boolean;
  readonly shards: number;
}

/** Requests in flight at most, by default (see `bench/send.ts` for the measurement behind it). */
export const DEFAULT_SHARDS = 16;

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) throw new ValidationError("option-invalid", `${name} must be a positive number, got ${v}`);
  return v;
}

function shardsOf(v: number | undefined): number {
  if (v === undefined) return DEFAULT_SHARDS;
  if (!Number.isInteger(v) || v < 1 || v > 1024) throw new ValidationError("option-invalid", `shards must be an integer from 1 to 1024, got ${v}`);
  return v;
}

export function resolveOptions(o: RemoteWriteOptions): ResolvedOptions {
  const maxSamplesPerRequest = positive("maxSamplesPerRequest", o.maxSamplesPerRequest ?? 2_000);
  const maxPendingSamples = positive("maxPendingSamples", o.maxPendingSamples ?? 100_000);
  if (maxPendingSamples < maxSamplesPerRequest) {
    throw new ValidationError("option-invalid", `maxPendingSamples (${maxPendingSamples}) must be at least maxSamplesPerRequest (${maxSamplesPerRequest})`);
  }
  if (o.protocol !== undefined && o.protocol !== "v1" && o.protocol !== "v2") {
    throw new ValidationError("option-invalid", `protocol must be "v1" or "v2"`);
  }
  const retry = retryPolicy(o.retry);
  positive("retry.maxAttempts", retry.maxAttempts);
  return {
    protocol: o.protocol ?? "v1",
    timeoutMs: positive("timeoutMs", o.timeoutMs ?? 30_000),
    retry,
    maxSamplesPerRequest,
    flushDeadlineMs: positive("flushDeadlineMs", o.flushDeadlineMs ?? 5_000),
    maxRequestBytes: positive("maxRequestBytes", o.maxRequestBytes ?? 4 * 1024 * 1024),
    maxPendingSamples,
    nameValidation: o.nameValidation ?? "legacy",
    trackSeries: o.trackSeries ?? true,
    shards: shardsOf(o.shards),
  };
}
