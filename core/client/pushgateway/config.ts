/**
 * A Pushgateway client's settings, checked when the client is made — before any request, and
 * before the part that sends (Effect, the HTTP attempt, the body encoders) is loaded: a bad job,
 * grouping label, URL or compression option throws at `pushgateway()` itself, as in
 * client_golang's `push.New(url, job).Grouping(…)`.
 */

import { ValidationError } from "../../errors.ts";
import { plainConnect, type Connect } from "../http/connection.ts";
import { DEFAULT_RETRY, retryPolicy, type RetryPolicy } from "../http/retry-policy.ts";
import type { HttpConfig } from "../http/types.ts";
import type { PushgatewayOptions } from "./options.ts";
import { groupingPath } from "./url.ts";

/** Pushgateway's defaults: one attempt, as client_golang's push; with `retry`, remote write's backoff. */
const PUSHGATEWAY_RETRY: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 1 };

/** Default request timeout, ms. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** What the client sends with, options checked and defaults applied. */
export interface PushgatewayConfig {
  readonly options: PushgatewayOptions;
  readonly grouping: Readonly<Record<string, string>>;
  /** The group's URL, credentials removed (they are in `http.auth`). */
  readonly url: URL;
  readonly format: "text" | "protobuf";
  readonly compression: "gzip" | "none";
  readonly http: HttpConfig;
  readonly policy: RetryPolicy;
  readonly log: (message: string) => void;
}

/**
 * Check the options and fill in the defaults; throws `ValidationError` (job, grouping labels,
 * compression) or `TypeError` (URL). `connect` (default: plain `fetch`) is the runtime's.
 * @example const config = pushgatewayConfig({ url: "http://localhost:9091", job: "backup" });
 */
export function pushgatewayConfig(options: PushgatewayOptions, connect: Connect = plainConnect): PushgatewayConfig {
  const grouping = options.grouping ?? {};
  const path = groupingPath(options.job, grouping);
  const { url: base, fetch: fetchFn, auth, describeError } = connect(options);
  const url = new URL(base.href.replace(/\/+$/, "") + path);
  const http: HttpConfig = {
    fetch: fetchFn,
    auth,
    headers: options.headers,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    now: Date.now,
    describeError,
  };
  const compression = options.compression ?? "none";
  if (compression !== "gzip" && compression !== "none") {
    throw new ValidationError("option-invalid", `compression must be "gzip" or "none", got ${JSON.stringify(compression)}`);
  }
  return {
    options,
    grouping,
    url,
    format: options.format ?? "protobuf",
    compression,
    http,
    policy: retryPolicy(options.retry, PUSHGATEWAY_RETRY),
    log: options.log ?? ((m: string) => console.warn(m)),
  };
}
