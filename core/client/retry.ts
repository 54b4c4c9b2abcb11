/**
 * Retry policy for remote write, as Prometheus' queue manager does it (storage/remote/
 * queue_manager.go): 5xx, network errors and timeouts are retried with capped exponential backoff
 * and full jitter; `Retry-After` is honoured; 429 is retried unless disabled; any other 4xx is
 * final. Unlike Prometheus, an overall budget (attempts and age) bounds how long a dead endpoint
 * can hold a batch: a short-lived job must finish.
 */

import * as Cause from "effect/Cause";
import * as Duration from "effect/Duration";
import * as Effect from "effect/Effect";
import * as Schedule from "effect/Schedule";
import { HttpError, NetworkError, TimeoutError } from "../errors.ts";
import type { AttemptError } from "./http.ts";

/** Retry settings of a remote-write writer. */
export interface RetryOptions {
  /** First backoff ceiling, ms. Default 30. */
  readonly minBackoffMs?: number;
  /** Backoff cap, ms. Default 5,000. */
  readonly maxBackoffMs?: number;
  /** Attempts per request, the first included. Default 10. */
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

export const DEFAULT_RETRY: RetryPolicy = {
  minBackoffMs: 30,
  maxBackoffMs: 5_000,
  maxAttempts: 10,
  maxAgeMs: 60_000,
  retryOn429: true,
};

export function retryPolicy(options: RetryOptions | undefined): RetryPolicy {
  return { ...DEFAULT_RETRY, ...options };
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

/** Observes each retry decision. */
export interface RetryHooks {
  readonly random?: () => number;
  /** Count `maxAgeMs` from this instant (by `now`) instead of from the first failure. */
  readonly since?: number;
  readonly now?: () => number;
  readonly onRetry?: (retry: number, delayMs: number, err: AttemptError) => void;
}

/**
 * The policy as an Effect `Schedule` over attempt errors: stops after `maxAttempts` attempts or
 * when the next delay would end past `maxAgeMs` (since `hooks.since`, else the first failure).
 *
 * @example
 * attempt(req, http).pipe(Effect.retry({ schedule: retrySchedule(policy), while: (e) => isRetryable(e, policy) }))
 */
export function retrySchedule(policy: RetryPolicy, hooks: RetryHooks = {}): Schedule.Schedule<number, AttemptError> {
  const random = hooks.random ?? Math.random;
  return Schedule.fromStepWithMetadata(
    Effect.succeed((meta: Schedule.InputMetadata<AttemptError>) => {
      if (!isRetryable(meta.input, policy) || meta.attempt >= policy.maxAttempts) return Cause.done(meta.attempt);
      const delay = retryDelayMs(policy, meta.attempt, meta.input, random);
      const age = hooks.since !== undefined && hooks.now !== undefined ? hooks.now() - hooks.since : meta.elapsed;
      if (age + delay > policy.maxAgeMs) return Cause.done(meta.attempt);
      return Effect.sync(() => {
        hooks.onRetry?.(meta.attempt, delay, meta.input);
        return [meta.attempt, Duration.millis(delay)] as [number, Duration.Duration];
      });
    }),
  );
}

/**
 * Run `effect` under the policy: retried while {@link isRetryable}, until the budget is spent.
 * Fails with the last error.
 * @example const res = yield* withRetry(attempt(req, http), retryPolicy({ maxAttempts: 3 }));
 */
export function withRetry<A, R>(
  effect: Effect.Effect<A, AttemptError, R>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Effect.Effect<A, AttemptError, R> {
  return effect.pipe(Effect.retry({ schedule: retrySchedule(policy, hooks), while: (e: AttemptError) => isRetryable(e, policy) }));
}
