/**
 * The retry policy (retry-policy.ts) as an Effect `Schedule`, and {@link withRetry} that runs an
 * attempt under it: the one retry loop of both remote write and the Pushgateway client.
 */

import * as Cause from "effect/Cause";
import * as Duration from "effect/Duration";
import * as Effect from "effect/Effect";
import * as Schedule from "effect/Schedule";
import { isRetryable, retryDelayMs, type RetryNotice, type RetryPolicy } from "./retry-policy.ts";
import type { AttemptError } from "./types.ts";

/** Observes each retry decision. */
export interface RetryHooks {
  readonly random?: () => number;
  /** Count `maxAgeMs` from this instant (by `now`) instead of from the first failure. */
  readonly since?: number;
  readonly now?: () => number;
  readonly onRetry?: (notice: RetryNotice) => void;
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
        hooks.onRetry?.({ attempt: meta.attempt, error: meta.input, delayMs: delay });
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
