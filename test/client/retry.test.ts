import { Effect } from "effect";
import { describe, expect, it } from "vitest";
import { HttpError, NetworkError, RedirectError, TimeoutError } from "../../core/errors.ts";
import { parseRetryAfter } from "../../core/client/http/exchange.ts";
import { withRetry } from "../../core/client/http/retry.ts";
import { isRetryable, retryDelayMs, retryPolicy } from "../../core/client/http/retry-policy.ts";
import type { AttemptError } from "../../core/client/http/types.ts";

const policy = retryPolicy({ minBackoffMs: 30, maxBackoffMs: 5_000, maxAttempts: 4, maxAgeMs: 60_000 });

describe("retry policy", () => {
  it("classifies errors: 5xx, 429, network, timeout retried; other 4xx and redirects final", () => {
    expect(isRetryable(new HttpError(500, "", "u"), policy)).toBe(true);
    expect(isRetryable(new HttpError(503, "", "u"), policy)).toBe(true);
    expect(isRetryable(new HttpError(429, "", "u"), policy)).toBe(true);
    expect(isRetryable(new HttpError(429, "", "u"), { ...policy, retryOn429: false })).toBe(false);
    expect(isRetryable(new HttpError(400, "", "u"), policy)).toBe(false);
    expect(isRetryable(new HttpError(413, "", "u"), policy)).toBe(false);
    expect(isRetryable(new NetworkError("u", "refused"), policy)).toBe(true);
    expect(isRetryable(new TimeoutError("u", 10), policy)).toBe(true);
    expect(isRetryable(new RedirectError(302, "u", "x"), policy)).toBe(false);
  });

  it("full jitter under a capped exponential ceiling; Retry-After wins", () => {
    const err = new HttpError(500, "", "u");
    expect(retryDelayMs(policy, 1, err, () => 0.999999)).toBe(29);
    expect(retryDelayMs(policy, 3, err, () => 0.5)).toBe(60);
    expect(retryDelayMs(policy, 20, err, () => 0.999999)).toBe(4999);
    expect(retryDelayMs(policy, 20, err, () => 0)).toBe(0);
    expect(retryDelayMs(policy, 1, new HttpError(429, "", "u", 1000), () => 0)).toBe(1000);
  });

  it("parses Retry-After seconds and HTTP dates", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    expect(parseRetryAfter("1", now)).toBe(1000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it("stops after maxAttempts and fails with the last error", async () => {
    let calls = 0;
    const retries: number[] = [];
    const eff = Effect.suspend(() => {
      calls++;
      return Effect.fail<AttemptError>(new HttpError(500, `try ${calls}`, "u"));
    });
    const err = await Effect.runPromise(
      Effect.flip(withRetry(eff, { ...policy, minBackoffMs: 1, maxBackoffMs: 2 }, { onRetry: (n) => retries.push(n.attempt) })),
    );
    expect(calls).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
    expect((err as HttpError).body).toBe("try 4");
  });

  it("never retries a 400", async () => {
    let calls = 0;
    const eff = Effect.suspend(() => {
      calls++;
      return Effect.fail<AttemptError>(new HttpError(400, "bad", "u"));
    });
    await Effect.runPromise(Effect.flip(withRetry(eff, policy)));
    expect(calls).toBe(1);
  });

  it("stops when the next delay would pass maxAgeMs", async () => {
    let calls = 0;
    const eff = Effect.suspend(() => {
      calls++;
      return Effect.fail<AttemptError>(new HttpError(503, "", "u", 50));
    });
    const t0 = Date.now();
    await Effect.runPromise(Effect.flip(withRetry(eff, { ...policy, maxAttempts: 100, maxAgeMs: 120 })));
    // 50 ms Retry-After each time: attempts at ~0, 50, 100; a fourth would start at ~150 > 120.
    expect(calls).toBe(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
  });
});
