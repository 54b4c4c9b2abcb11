/**
 * The spool's drain: this target's files sent oldest first under the spool's lock (renewed while
 * it runs), each deleted once accepted, moved to `rejected/` with the reason when refused or
 * unreadable, kept when the receiver is still away. Loaded with the writer's sender (see
 * Spool.prepare), so opening a spool at start-up costs no Effect.
 */

import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import { DecodeError, EncodeError, HttpError, PromwireError, RejectedError, SpoolError } from "../../../errors.ts";
import { decodeWriteRequest } from "../../../wire/decode.ts";
import { compress, decompress } from "../../../wire/snappy.ts";
import type { ProtocolVersion } from "../../../wire/types.ts";
import { notify } from "../notify.ts";
import { fallBack, reportFailed, sendWithRetry, shortOf, type SenderDeps } from "../sender.ts";
import type { WriterState } from "../state.ts";
import { parseSpoolFile, SpoolFormatError, type SpoolFileHeader } from "./format.ts";
import type { DrainResult } from "./handle.ts";
import type { Spool } from "./spool.ts";

/** The start of a receiver's answer kept beside a rejected file, characters. */
const BODY_EXCERPT = 1024;

/**
 * Send the spool's files of this writer's target, oldest first.
 * @example const result = yield* drainSpool(spool, state, deps); // "empty" | "blocked"
 */
export function drainSpool(spool: Spool, state: WriterState, deps: SenderDeps): Effect.Effect<DrainResult> {
  return Effect.suspend(() => {
    const held = spool.lock.acquire();
    if (held === undefined) return Effect.succeed<DrainResult>("blocked");
    let lost = false;
    const heartbeat = Effect.forever(
      Effect.sleep(Math.max(1, spool.lock.staleMs / 3)).pipe(
        Effect.andThen(
          Effect.sync(() => {
            if (!held.renew()) lost = true;
          }),
        ),
      ),
    );
    const self = spool;
    const files = Effect.gen(function* () {
      const skip = new Set<string>();
      while (true) {
        const next = self.ours().find((f) => !skip.has(f.name));
        if (next === undefined) return "empty" as const;
        if (lost || !held.renew()) return "blocked" as const;
        const result = yield* sendFile(self, next.name, state, deps);
        if (result === "blocked") return result;
        if (result === "skip") skip.add(next.name);
      }
    });
    return Effect.gen(function* () {
      const beat = yield* Effect.forkChild(heartbeat);
      return yield* files.pipe(Effect.ensuring(Fiber.interrupt(beat)));
    }).pipe(Effect.ensuring(Effect.sync(() => held.release())));
  });
}

/** Send one file: delivered and deleted, rejected, skipped (another target's), or blocked (keep it, try later). */
function sendFile(self: Spool, name: string, state: WriterState, deps: SenderDeps): Effect.Effect<"done" | "skip" | "blocked"> {
  return Effect.gen(function* () {
    const bytes = self.storage.read(name);
    if (bytes === undefined) return "done" as const; // sent or evicted by another process meanwhile
    let header: SpoolFileHeader;
    let body: Uint8Array;
    try {
      ({ header, body } = parseSpoolFile(bytes));
    } catch (e) {
      if (!(e instanceof SpoolFormatError)) throw e;
      self.reject(name, { reason: e.message, rejectedAt: deps.now() });
      report(self, state, deps, name, 0, "spool-invalid", 0, new SpoolError(self.dir, `read ${name}`, `${e.message}; moved to rejected/`));
      return "done" as const;
    }
    if (header.target !== self.target) return "skip" as const;
    const samples = header.samples + header.histograms;
    while (true) {
      let version: ProtocolVersion = header.protocol;
      if (version === "v2" && state.protocol === "v1") {
        const converted = toV1(body, deps);
        if (converted instanceof PromwireError) {
          self.reject(name, { reason: `cannot re-encode as remote write 1.0: ${converted.message}`, rejectedAt: deps.now(), target: header.target, samples });
          report(self, state, deps, name, samples, "spool-invalid", 0, converted);
          return "done" as const;
        }
        body = converted;
        version = "v1";
      }
      const outcome = yield* sendWithRetry(deps, state, { version, body }, samples, deps.now());
      switch (outcome.kind) {
        case "delivered": {
          self.storage.remove(name);
          self.sizes.delete(name);
          const short = shortOf(version, outcome.response, header.samples, header.histograms);
          state.requests++;
          // This writer's own data counts as sent; what earlier writers left, as resent.
          if (self.own.delete(name)) state.metrics.samplesSent += samples - short;
          else state.metrics.resent += samples - short;
          if (short > 0) report(self, state, deps, name, short, "partial-write", outcome.attempts);
          return "done" as const;
        }
        case "fallback":
          fallBack(state, deps, outcome.why);
          continue;
        case "refused": {
          const err = outcome.error;
          self.reject(name, {
            reason: err.message,
            ...(err instanceof HttpError ? { status: err.status, body: err.body.slice(0, BODY_EXCERPT) } : {}),
            rejectedAt: deps.now(),
            target: header.target,
            samples,
          });
          report(self, state, deps, name, samples, "spool-rejected", outcome.attempts, err);
          return "done" as const;
        }
        case "gave-up":
          return "blocked" as const;
      }
    }
  });
}

/** Report samples of a file that will not be delivered: this writer's own count as failed. */
function report(self: Spool, state: WriterState, deps: SenderDeps, name: string, samples: number, reason: "spool-rejected" | "spool-invalid" | "partial-write", attempts: number, cause?: PromwireError): void {
  if (self.own.delete(name) || reason === "partial-write") {
    reportFailed(state, deps, samples, reason === "partial-write" ? reason : "status", attempts, cause);
    return;
  }
  deps.log(`promwire: spool file ${name} ${reason === "spool-rejected" ? "refused by the receiver" : "unusable"} (${cause?.message ?? "?"}); moved to ${self.dir}/rejected/`);
  notify(deps.onError, new RejectedError(reason, samples, attempts, cause), { samples, attempts });
}

/** A v2 body re-encoded as v1 (the receiver does not speak v2). */
function toV1(body: Uint8Array, deps: SenderDeps): Uint8Array | PromwireError {
  try {
    const decoded = decodeWriteRequest(decompress(body), { version: "v2" });
    return compress(deps.encoder.encode(decoded.series, { version: "v1", metadata: decoded.metadata, nameValidation: deps.options.nameValidation }));
  } catch (e) {
    if (e instanceof DecodeError || e instanceof EncodeError) return e;
    throw e;
  }
}
