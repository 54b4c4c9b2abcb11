/**
 * {@link withRetry}: an attempt run under the retry policy (retry-policy.ts), the one retry loop
 * of both remote write and the Pushgateway client. A plain loop of Effects (sleeps on the
 * program's Clock, so a TestClock moves it); the same decisions as a `Schedule` are in
 * retry-schedule.ts for Effect users.
 */

import * as Clock from "effect/Clock";
import * as Effect from "effect/Effect";
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
 * Run `effect` under the policy: retried while {@link isRetryable}, after `maxAttempts` attempts
 * or when the next delay would end past `maxAgeMs` (since `hooks.since`, else the first failure)
 * no more. Fails with the last error.
 * @example const res = yield* withRetry(attempt(req, http), retryPolicy({ maxAttempts: 3 }));
 */
export function withRetry<A, R>(
  effect: Effect.Effect<A, AttemptError, R>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Effect.Effect<A, AttemptError, R> {
  const random = hooks.random ?? Math.random;
  return Effect.suspend(() => {
    let attempts = 0;
    let firstFailureAt: number | undefined;
    const run: Effect.Effect<A, AttemptError, R> = Effect.catch(effect, (error: AttemptError) =>
      Effect.flatMap(Clock.currentTimeMillis, (t) => {
        attempts++;
        firstFailureAt ??= t;
        if (!isRetryable(error, policy) || attempts >= policy.maxAttempts) return Effect.fail(error);
        const delay = retryDelayMs(policy, attempts, error, random);
        const age = hooks.since !== undefined && hooks.now !== undefined ? hooks.now() - hooks.since : t - firstFailureAt;
        if (age + delay > policy.maxAgeMs) return Effect.fail(error);
        hooks.onRetry?.({ attempt: attempts, error, delayMs: delay });
        return Effect.andThen(Effect.sleep(delay), run);
      }),
    );
    return run;
  });
}
