/**
 * The Pushgateway client's options and Promise API. Types only (no Effect), so the runtime
 * entries' public declarations stay free of Effect's.
 */

import type { ValidationError } from "../../errors.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import type { Auth } from "../http/auth.ts";
import type { RetryNotice, RetryOptions } from "../http/retry-policy.ts";
import type { TlsOptions } from "../http/connection.ts";
import type { AttemptError, FetchLike } from "../http/types.ts";
import type { PeriodicHandle, PeriodicOptions } from "../periodic.ts";

/** Options of `pushgateway()`. */
export interface PushgatewayOptions {
  /** The gateway's base URL, e.g. `http://pushgateway:9091` (a trailing `/` is ignored). */
  readonly url: string;
  /** The `job` label of the group; must not be empty. */
  readonly job: string;
  /** Further grouping labels, e.g. `{ instance: hostname }`. */
  readonly grouping?: Readonly<Record<string, string>>;
  readonly auth?: Auth;
  /** Extra headers; they never override Content-Type or User-Agent. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Body format. Default `"protobuf"`, as client_golang. */
  readonly format?: "text" | "protobuf";
  /** Request timeout, ms. Default 30,000. */
  readonly timeoutMs?: number;
  /**
   * Retries of a failed push, add or delete, on the same policy as remote write (5xx, 429,
   * network errors and timeouts; capped exponential backoff with jitter, `Retry-After`
   * honoured). Default: one attempt, as client_golang (`{ maxAttempts: 3 }` retries twice).
   */
  readonly retry?: RetryOptions;
  /** Called after each failed attempt that will be retried. */
  readonly onRetry?: (notice: RetryNotice) => void;
  readonly fetch?: FetchLike;
  /** Proxy for this client's requests; default from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`. Node, Deno, Bun. */
  readonly proxy?: string;
  /** Custom CA and client certificate (mTLS), PEM. Node, Deno, Bun. */
  readonly tls?: TlsOptions;
  /** Where the one-time "no instance label" warning goes. Default `console.warn`. */
  readonly log?: (message: string) => void;
  /**
   * Delete the group when the client is closed (`close()`, after the final push of each running
   * `pushEvery`; on Node, Deno and Bun also at exit once the last `pushEvery` made its final
   * push), so a finished job leaves nothing behind for Prometheus to keep scraping. Default false.
   */
  readonly deleteOnClose?: boolean;
  /**
   * `"gzip"`: compress request bodies (`Content-Encoding: gzip`, accepted by Pushgateway since
   * 1.0) with the runtime's `CompressionStream`; where the runtime has none, bodies go
   * uncompressed (noted once through `log`). Default `"none"`.
   */
  readonly compression?: "gzip" | "none";
}

/** Options of {@link PushgatewayClient.close}. */
export interface PushgatewayCloseOptions {
  /**
   * Wait this long before deleting, ms, so that Prometheus scrapes the final values at least
   * once (use your scrape interval). Default 0.
   */
  readonly graceMs?: number;
}

/** Options of {@link PushgatewayClient.pushEvery}. */
export interface PushEveryOptions extends PeriodicOptions {
  /** `"push"` (PUT, replaces the group; default, as `push`) or `"add"` (POST, replaces same-named metrics). */
  readonly method?: "push" | "add";
}

/** Anything that errors a Pushgateway call can fail with. */
export type PushgatewayError = AttemptError | ValidationError;

/** The Promise form of the client. Rejections are the typed errors of {@link PushgatewayError}. */
export interface PushgatewayClient {
  /** PUT: replace the whole group with these metrics. */
  push(source: Collectable): Promise<void>;
  /** POST: replace only the metrics with the same names in the group. */
  add(source: Collectable): Promise<void>;
  /** DELETE the group. */
  delete(): Promise<void>;
  /**
   * Push `source` every `intervalMs` until `stop()` — for a process that runs minutes or hours
   * (a Worker's equivalent is the isolate flush of `withMetrics`). The first push goes at once
   * (`jitter: true`: after up to 10 % of the interval); a tick that finds the previous push still
   * in flight is skipped and counted; each periodic request times out below the interval (90 %
   * of it, or `timeoutMs` if shorter); `stop()`, `close()` and a runtime entry's exit hooks make
   * a final push with the current values. Failures do not stop the ticks.
   *
   * @example
   * const every = pg.pushEvery(registry, 2_000, { jitter: true });
   * await backup();
   * await every.stop(); // the final push, with the values as they are now
   */
  pushEvery(source: Collectable, intervalMs: number, options?: PushEveryOptions): PeriodicHandle;
  /**
   * End the client: each running `pushEvery` makes its final push, then with `deleteOnClose`
   * the group is deleted (after `graceMs`); later pushes are refused with a `ClosedError`.
   * Rejects if a final push or the delete failed. Idempotent: every call returns the same promise.
   */
  close(options?: PushgatewayCloseOptions): Promise<void>;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** The group's URL (credentials removed). */
  readonly url: string;
}
