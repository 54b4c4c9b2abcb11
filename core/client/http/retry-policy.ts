/**
 * Retry policy for remote write and the Pushgateway, as Prometheus' queue manager does it
 * (storage/remote/queue_manager.go): 5xx, network errors and timeouts are retried with capped
 * exponential backoff and full jitter; `Retry-After` is honoured; 429 is retried unless disabled;
 * any other 4xx is final. Unlike Prometheus, an overall budget (attempts and age) bounds how long
 * a dead endpoint can hold a batch: a short-lived job must finish. Plain functions; the Effect
 * schedule built from them is in retry.ts.
 */

import { HttpError, NetworkError, TimeoutError } from "../../errors.ts";
import type { AttemptError } from "./types.ts";

/** Retry settings. */
export interface RetryOptions {
  /** First backoff ceiling, ms. Default 30. */
  readonly minBackoffMs?: number;
  /** Backoff cap, ms. Default 5,000. */
  readonly maxBackoffMs?: number;
  /** Attempts per request, the first included. Default 10 (remote write), 1 (Pushgateway). */
  readonly maxAttempts?: number;
  /**
   * Give up when the next retry would start when the data is older than this, ms: counted from
   * when the request's oldest sample was enqueued, so behind a dead endpoint later batches give
   * up after one attempt instead of each waiting out a full budget. Default 60,000.
   */
  readonly maxAgeMs?: number;
  /** Retry `429 Too Many Requests`. Default true (as Prometheus' `retry_on_http_429`). */
  readonly retryOn429?: boolean;
}

/** {@link RetryOptions} with every default filled in. */
export type RetryPolicy = Required<RetryOptions>;

/** What a retry notification says: which attempt failed, why, and when the next one starts. */
export interface RetryNotice {
  /** The attempt that failed (1 for the first). */
  readonly attempt: number;
  /** Why it failed. */
  readonly error: AttemptError;
  /** Delay before the next attempt, ms. */
  readonly delayMs: number;
}

/** Remote write's defaults. */
export const DEFAULT_RETRY: RetryPolicy = {
  minBackoffMs: 30,
  maxBackoffMs: 5_000,
  maxAttempts: 10,
  maxAgeMs: 60_000,
  retryOn429: true,
};

/**
 * Fill in the defaults (remote write's unless others are given).
 * @example retryPolicy({ maxAttempts: 3 }).maxBackoffMs // 5000
 */
export function retryPolicy(options: RetryOptions | undefined, defaults: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  return { ...defaults, ...options };
}

/** Whether an attempt's failure is worth another try. */
export function isRetryable(err: AttemptError, policy: RetryPolicy): boolean {
  if (err instanceof HttpError) return err.status >= 500 || (err.status === 429 && policy.retryOn429);
  return err instanceof NetworkError || err instanceof TimeoutError;
}

/**
 * Delay before retry number `retry` (1 for the first retry): `Retry-After` when the receiver sent
 * one, else "full jitter" — uniform in [0, min(cap, min·2^(retry-1))] (AWS architecture blog,
 * "Exponential Backoff And Jitter"), which spreads many clients' retries best.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, err: AttemptError, random: () => number): number {
  if (err instanceof HttpError && err.retryAfterMs !== undefined) return err.retryAfterMs;
  const ceiling = Math.min(policy.maxBackoffMs, policy.minBackoffMs * 2 ** Math.min(retry - 1, 52));
  return Math.floor(random() * ceiling);
}
