/**
 * Typed errors shared by every layer. Each carries a `_tag`, so Effect users can match them with
 * `Effect.catchTag` and Promise users with `err._tag === "EncodeError"` or `instanceof`.
 * Messages never contain credentials: callers pass only names, labels and positions.
 */

/** Marks promwire's errors, whichever copy of promwire made them. */
const BRAND: unique symbol = Symbol.for("promwire.error") as never;

/**
 * Base class: a tagged Error whose `name` equals its tag. `instanceof` also recognises errors
 * made by another copy of promwire in the same program (the `promwire/effect` bundle carries its
 * own): by brand for `PromwireError`, by brand and `_tag` for each error class.
 */
export abstract class PromwireError extends Error {
  abstract readonly _tag: string;
  /** The `_tag` of this class's instances (each concrete error class sets it). */
  static readonly tag: string = "PromwireError";
  readonly [BRAND] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
    return this === PromwireError || (value as { _tag?: unknown })._tag === this.tag;
  }
}

/** Why a series was refused by the encoder. */
export type EncodeRule =
  | "labels-unsorted"
  | "label-duplicate"
  | "label-name-invalid"
  | "label-value-invalid"
  | "metric-name-missing"
  | "metric-name-invalid"
  | "samples-unordered"
  | "timestamp-invalid"
  | "value-invalid"
  | "histogram-invalid"
  | "exemplar-invalid"
  | "metadata-invalid"
  | "labels-malformed";

/**
 * A series (or its metadata) breaks a remote-write rule. Thrown before any byte is sent, so a
 * receiver never sees, and never has to reject, a malformed request.
 */
export class EncodeError extends PromwireError {
  static override readonly tag = "EncodeError";
  readonly _tag = "EncodeError" as const;
  override readonly name = "EncodeError";
  constructor(
    /** Which rule was broken. */
    readonly rule: EncodeRule,
    /** The offending series, rendered as `name{label="value",…}` (truncated when huge). */
    readonly series: string,
    /** What exactly was wrong. */
    readonly detail: string,
  ) {
    super(`${rule}: ${detail} in series ${series}`);
  }
}

/** Bytes that are not a valid (compressed) remote-write or protobuf payload. */
export class DecodeError extends PromwireError {
  static override readonly tag = "DecodeError";
  readonly _tag = "DecodeError" as const;
  override readonly name = "DecodeError";
  constructor(
    readonly detail: string,
    /** Byte offset where decoding failed, when known. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? detail : `${detail} (at byte ${offset})`);
  }
}

// ---- Transport errors (core/client). URLs in messages are redacted to origin + path. ----

/** A receiver answered with a non-success status. */
export class HttpError extends PromwireError {
  static override readonly tag = "HttpError";
  readonly _tag = "HttpError" as const;
  override readonly name = "HttpError";
  constructor(
    /** The HTTP status code. */
    readonly status: number,
    /** The first 1 KiB of the response body, decoded as UTF-8. */
    readonly body: string,
    /** Where the request went: origin and path only, never credentials or query. */
    readonly url: string,
    /** A `Retry-After` the receiver sent, in milliseconds from when the response arrived. */
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status} from ${url}${body ? `: ${body}` : ""}`);
  }
}

/** The request never got a response: connection refused or reset, DNS failure, TLS error… */
export class NetworkError extends PromwireError {
  static override readonly tag = "NetworkError";
  readonly _tag = "NetworkError" as const;
  override readonly name = "NetworkError";
  constructor(
    readonly url: string,
    readonly detail: string,
  ) {
    super(`network error sending to ${url}: ${detail}`);
  }
}

/** One attempt took longer than its timeout and was aborted. */
export class TimeoutError extends PromwireError {
  static override readonly tag = "TimeoutError";
  readonly _tag = "TimeoutError" as const;
  override readonly name = "TimeoutError";
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`request to ${url} timed out after ${timeoutMs} ms`);
  }
}

/** A redirect that promwire refused to follow (another host while credentials are set, or too many hops). */
export class RedirectError extends PromwireError {
  static override readonly tag = "RedirectError";
  readonly _tag = "RedirectError" as const;
  override readonly name = "RedirectError";
  constructor(
    readonly status: number,
    readonly url: string,
    readonly detail: string,
  ) {
    super(`redirect ${status} from ${url} not followed: ${detail}`);
  }
}

/** What went wrong with a TLS connection. */
export type TlsReason = "untrusted-certificate" | "hostname-mismatch" | "certificate-expired" | "client-certificate-refused" | "handshake";

/**
 * The TLS handshake with the receiver (or a proxy) failed: names the host and the reason, with a
 * hint. Not retried: a certificate does not become trusted by waiting.
 */
export class TlsError extends PromwireError {
  static override readonly tag = "TlsError";
  readonly _tag = "TlsError" as const;
  override readonly name = "TlsError";
  constructor(
    /** `host:port` of the server whose handshake failed. */
    readonly host: string,
    readonly reason: TlsReason,
    /** The runtime's own words (e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `invalid peer certificate: UnknownIssuer`). */
    readonly detail: string,
    hint: string,
  ) {
    super(`TLS ${reason} for ${host}: ${detail}${hint ? `; ${hint}` : ""}`);
  }
}

/** Which credentials failed. */
export type AuthScheme = "oauth2" | "sigv4" | "token";

/**
 * Credentials could not be obtained: the OAuth2 token endpoint refused the client (4xx) or sent no
 * usable token, AWS credentials are missing, or a token function failed. Not retried. The
 * message never contains a secret.
 */
export class AuthError extends PromwireError {
  static override readonly tag = "AuthError";
  readonly _tag = "AuthError" as const;
  override readonly name = "AuthError";
  constructor(
    readonly scheme: AuthScheme,
    readonly detail: string,
    /** The token endpoint's HTTP status, when it answered. */
    readonly status?: number,
  ) {
    super(`${scheme}: ${detail}`);
  }
}

/**
 * Why data was given up on. `"spool-rejected"` and `"spool-invalid"` are about spool files left by
 * an earlier writer: the receiver refused one with a final 4xx, or one could not be read; either
 * was moved to the spool's `rejected/` directory with the reason beside it.
 */
export type RejectReason = "status" | "retry-budget" | "partial-write" | "encode" | "too-large" | "closed" | "spool-rejected" | "spool-invalid";

/**
 * Samples that were definitively not delivered: the receiver refused them (4xx), the retry budget
 * ran out, the receiver reported a partial write, or they could not be encoded.
 */
export class RejectedError extends PromwireError {
  static override readonly tag = "RejectedError";
  readonly _tag = "RejectedError" as const;
  override readonly name = "RejectedError";
  constructor(
    readonly reason: RejectReason,
    /** How many samples (float + histogram) were given up on. */
    readonly samples: number,
    /** How many attempts were made (0 when nothing was sent). */
    readonly attempts: number,
    /** The last underlying error, when there was one. */
    readonly lastError?: PromwireError,
  ) {
    super(`${samples} samples not delivered (${reason}, ${attempts} attempts)${lastError ? `: ${lastError.message}` : ""}`);
  }
}

/** What a Pushgateway or writer configuration check refused. */
export type ValidationRule =
  | "job-empty"
  | "grouping-label-invalid"
  | "grouping-instance-empty"
  | "metric-has-job-label"
  | "metric-has-grouping-label"
  | "timestamp-not-allowed"
  | "option-invalid";

/** An option or a pushed metric breaks a rule; raised before any request is made. */
export class ValidationError extends PromwireError {
  static override readonly tag = "ValidationError";
  readonly _tag = "ValidationError" as const;
  override readonly name = "ValidationError";
  constructor(
    readonly rule: ValidationRule,
    readonly detail: string,
  ) {
    super(`${rule}: ${detail}`);
  }
}

/** Data was handed to a writer after `close()`. */
export class ClosedError extends PromwireError {
  static override readonly tag = "ClosedError";
  readonly _tag = "ClosedError" as const;
  override readonly name = "ClosedError";
  constructor(message = "the remote-write writer is closed") {
    super(message);
  }
}

// ---- Metric type errors (core/metrics). ----

/** What a metric definition or use broke. */
export type MetricRule =
  | "name-invalid"
  | "help-invalid"
  | "unit-invalid"
  | "buckets-invalid"
  | "option-invalid"
  | "value-invalid"
  | "duplicate-registration";

/** A metric was defined, registered or updated against the rules; thrown before anything changes. */
export class MetricError extends PromwireError {
  static override readonly tag = "MetricError";
  readonly _tag = "MetricError" as const;
  override readonly name = "MetricError";
  constructor(
    readonly rule: MetricRule,
    /** The metric's name, as given. */
    readonly metric: string,
    readonly detail: string,
  ) {
    super(`${rule}: ${detail} (metric ${JSON.stringify(metric)})`);
  }
}

/** What a label name, a label set or an exemplar broke. */
export type LabelRule =
  | "label-name-invalid"
  | "label-name-reserved"
  | "label-name-duplicate"
  | "label-missing"
  | "label-unexpected"
  | "label-value-invalid"
  | "exemplar-too-long";

/** A label set does not fit a metric: names the metric and the label at fault. */
export class LabelError extends PromwireError {
  static override readonly tag = "LabelError";
  readonly _tag = "LabelError" as const;
  override readonly name = "LabelError";
  constructor(
    readonly rule: LabelRule,
    /** The metric's name. */
    readonly metric: string,
    /** The offending label name (for `exemplar-too-long`, the exemplar's label names joined by `,`). */
    readonly label: string,
    readonly detail: string,
  ) {
    super(`${rule}: ${detail} (metric ${JSON.stringify(metric)}, label ${JSON.stringify(label)})`);
  }
}

/**
 * Which rule an exposition page broke. `syntax` and the codes up to `exemplar-placement` are
 * checked in every mode; the others only with `strict: true` (or, for `duplicate-series`,
 * `uniqueSeries: true`). The README lists each rule with the format it applies to.
 */
export type ParseRule =
  // every mode
  | "syntax"
  | "blank-line"
  | "comment-invalid"
  | "eof-missing"
  | "eof-trailing-data"
  | "type-unknown"
  | "metadata-duplicate"
  | "unit-mismatch"
  | "value-invalid"
  | "timestamp-invalid"
  | "label-duplicate"
  | "label-name-reserved"
  | "exemplar-invalid"
  | "exemplar-placement"
  // strict mode
  | "utf8-invalid"
  | "metadata-after-samples"
  | "family-split"
  | "name-clash"
  | "name-reserved"
  | "sample-name"
  | "group-split"
  | "timestamp-mixed"
  | "timestamp-order"
  | "value-nan"
  | "value-negative"
  | "value-not-integer"
  | "info-value"
  | "stateset-value"
  | "stateset-label"
  | "label-not-allowed"
  | "bucket-le"
  | "bucket-order"
  | "bucket-not-cumulative"
  | "bucket-inf-missing"
  | "count-mismatch"
  | "sum-count-pair"
  | "histogram-sum"
  | "quantile-label"
  | "quantile-order"
  | "unit-type"
  | "exemplar-too-long"
  | "exemplar-out-of-bucket"
  // strict text 0.0.4, or uniqueSeries
  | "duplicate-series";

/**
 * An exposition page (Prometheus text 0.0.4 or OpenMetrics 1.0) that does not parse. Carries the
 * 1-based line and column (in UTF-16 code units), a quote of the offending line and the rule it
 * broke, so a user can find the problem in a page of thousands of lines and a program can tell
 * the rules apart.
 */
export class ParseError extends PromwireError {
  static override readonly tag = "ParseError";
  readonly _tag = "ParseError" as const;
  override readonly name = "ParseError";
  constructor(
    /** 1-based line number. */
    readonly line: number,
    /** 1-based column (UTF-16 code units) where the problem starts. */
    readonly column: number,
    /** The offending line, cut to at most 120 characters around the column. */
    readonly excerpt: string,
    /** What was expected or wrong. */
    readonly reason: string,
    /** The rule broken: a stable code (`syntax` for the grammar itself). */
    readonly rule: ParseRule = "syntax",
  ) {
    super(`line ${line}, column ${column}: ${reason}${rule === "syntax" ? "" : ` [${rule}]`}: ${JSON.stringify(excerpt)}`);
  }
}

/** Snappy was used before an adapter (or the caller) initialised it. */
export class SnappyNotInitialisedError extends PromwireError {
  static override readonly tag = "SnappyNotInitialisedError";
  readonly _tag = "SnappyNotInitialisedError" as const;
  override readonly name = "SnappyNotInitialisedError";
  constructor() {
    super("snappy WASM is not initialised: import a runtime entry (promwire/node, /deno, /bun, /workers) or call snappy.init(wasm)");
  }
}

/** The runtime refused to read an environment variable (Deno without `--allow-env`). */
export class EnvPermissionError extends PromwireError {
  static override readonly tag = "EnvPermissionError";
  readonly _tag = "EnvPermissionError" as const;
  override readonly name = "EnvPermissionError";
  constructor(
    readonly variable: string,
    hint: string,
  ) {
    super(`cannot read ${variable}: ${hint}`);
  }
}

/**
 * The spool directory could not be used: the runtime's permissions (Deno without
 * `--allow-read`/`--allow-write` for it), a full disk, a path that is not a directory. Thrown by
 * `remoteWrite()` when the directory cannot be opened; later, what could not be spooled is
 * reported to `onError` with this as the cause.
 */
export class SpoolError extends PromwireError {
  static override readonly tag = "SpoolError";
  readonly _tag = "SpoolError" as const;
  override readonly name = "SpoolError";
  constructor(
    /** The spool directory. */
    readonly dir: string,
    /** What was being done, e.g. `"write"`, `"rename"`, `"open"`. */
    readonly operation: string,
    /** Why it failed, with a hint where one helps. */
    readonly detail: string,
  ) {
    super(`spool ${dir}: ${operation}: ${detail}`);
  }
}
