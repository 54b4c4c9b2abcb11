/**
 * The retry policy (retry-policy.ts) as an Effect `Schedule`, for Effect users who retry their own
 * effects the way promwire retries its requests (exported by `promwire/effect`). promwire's own
 * clients retry with {@link withRetry} (retry.ts): the same decisions, without `Schedule`, so
 * that a Worker's bundle does not carry it.
 */

import * as Cause from "effect/Cause";
import * as Duration from "effect/Duration";
import * as Effect from "effect/Effect";
import * as Schedule from "effect/Schedule";
import type { RetryHooks } from "./retry.ts";
import { isRetryable, retryDelayMs, type RetryPolicy } from "./retry-policy.ts";
import type { AttemptError } from "./types.ts";

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
