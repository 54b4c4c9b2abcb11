/**
 * Typed errors shared by every layer. Each carries a `_tag`, so Effect users can match them with
 * `Effect.catchTag` and Promise users with `err._tag === "EncodeError"` or `instanceof`.
 * Messages never contain credentials: callers pass only names, labels and positions.
 */

/** Base class: a tagged Error whose `name` equals its tag. */
export abstract class PromwireError extends Error {
  abstract readonly _tag: string;
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
