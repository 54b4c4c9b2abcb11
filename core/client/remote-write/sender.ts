/**
 * The sender loop, an Effect program. A dispatcher waits for a full batch, a flush or the flush
 * deadline, takes a batch and hands it to a shard: a child fiber that encodes it (plain TS),
 * sends each request with retries, falls back from v2 to v1 when the receiver does not speak v2,
 * and settles the counts. Up to `shards` batches are in flight; a series belongs to one lane and
 * a lane to at most one batch in flight (pending.ts), and each request is retried before the next
 * of its batch is sent, so the samples of a series arrive in timestamp order.
 *
 * With a spool, a request whose retry budget ran out is written to disk instead of given up, and
 * from then on the spool comes first: nothing of the queue is sent until the spool's files are
 * delivered (oldest first), and while they cannot be, ready batches join the spool behind them —
 * so a series stays in order within a run and across runs.
 */

import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Fiber from "effect/Fiber";
import * as Result from "effect/Result";
import { HttpError, PromwireError, RejectedError, type RejectReason } from "../../errors.ts";
import type { WriteRequestEncoder } from "../../wire/encode.ts";
import { isSnappyReady, loadSnappy } from "../../wire/snappy.ts";
import { CONTENT_TYPE, PROTOCOL_HEADER_VERSION } from "../../wire/types.ts";
import { attempt } from "../http/attempt.ts";
import { redactUrl } from "../http/auth.ts";
import { withRetry } from "../http/retry.ts";
import { isRetryable } from "../http/retry-policy.ts";
import type { AttemptError, HttpConfig, HttpResponse } from "../http/types.ts";
import { encodeBatch, type EncodedRequest } from "./batch.ts";
import { notify } from "./notify.ts";
import type { DropReason, FailureInfo, ResolvedOptions, WriteRetryNotice } from "./options.ts";
import { entrySize, type Entry } from "./pending.ts";
import type { SpoolHandle } from "./spool/handle.ts";
import { awaitSignal } from "./state-effects.ts";
import type { Batch, WriterState } from "./state.ts";

/** What the loop needs besides the state. */
export interface SenderDeps {
  readonly url: URL;
  readonly http: HttpConfig;
  readonly options: ResolvedOptions;
  readonly encoder: WriteRequestEncoder;
  readonly now: () => number;
  readonly random: () => number;
  readonly onError: (error: PromwireError, info: FailureInfo) => void;
  readonly onRetry: ((notice: WriteRetryNotice) => void) | undefined;
  readonly onDrop: ((samples: number, reason: DropReason) => void) | undefined;
  readonly log: (message: string) => void;
  /** Where given-up requests go instead of being lost, when the runtime has a file system. */
  readonly spool: SpoolHandle | undefined;
}

/** Response headers by which a remote-write 2.0 receiver says what it wrote. */
export const WRITTEN_HEADERS = {
  samples: "x-prometheus-remote-write-samples-written",
  histograms: "x-prometheus-remote-write-histograms-written",
  exemplars: "x-prometheus-remote-write-exemplars-written",
} as const;

function seriesKey(labels: readonly string[]): string {
  return labels.join("\xff");
}

function lastTimestamp(e: Entry): number {
  const s = e.samples.length > 0 ? e.samples[e.samples.length - 1].timestamp : -Infinity;
  const h = e.histograms.length > 0 ? e.histograms[e.histograms.length - 1].timestamp : -Infinity;
  return Math.max(s, h);
}

function samplesOf(entries: readonly Entry[]): number {
  let n = 0;
  for (const e of entries) n += entrySize(e);
  return n;
}

/** Count samples as failed and report them once. */
export function reportFailed(state: WriterState, deps: SenderDeps, samples: number, reason: RejectReason, attempts: number, cause?: PromwireError): void {
  state.metrics.samplesFailed += samples;
  notify(deps.onError, new RejectedError(reason, samples, attempts, cause), { samples, attempts });
}

function fail(state: WriterState, deps: SenderDeps, batch: Batch, samples: number, reason: RejectReason, attempts: number, cause?: PromwireError): void {
  state.settleSamples(batch, samples);
  reportFailed(state, deps, samples, reason, attempts, cause);
}

function delivered(state: WriterState, deps: SenderDeps, batch: Batch, req: EncodedRequest): void {
  const n = req.floatSamples + req.histogramSamples;
  state.requests++;
  state.metrics.samplesSent += n;
  state.settleSamples(batch, n);
  if (!deps.options.trackSeries) return;
  for (const e of req.entries) {
    const key = seriesKey(e.labels);
    const last = lastTimestamp(e);
    const known = state.delivered.get(key);
    if (known === undefined) state.delivered.set(key, { labels: e.labels, last });
    else if (last > known.last) known.last = last;
  }
}

/** Switch this writer to remote write 1.0 for good (once). */
export function fallBack(state: WriterState, deps: SenderDeps, why: string): void {
  if (state.protocol === "v1") return;
  state.protocol = "v1";
  deps.log(`promwire: ${redactUrl(deps.url)} does not accept remote write 2.0 (${why}); using 1.0 for this writer`);
}

/**
 * Encode entries with the writer's protocol, at most `maxSamplesPerRequest` samples per request
 * (entries are never longer); unencodable ones are reported (and settled in `batch`).
 */
export function encodeEntries(state: WriterState, deps: SenderDeps, batch: Batch | undefined, entries: readonly Entry[]): EncodedRequest[] {
  const max = deps.options.maxSamplesPerRequest;
  let n = 0;
  for (const e of entries) n += entrySize(e);
  if (n > max) {
    // Cut as the queue would have, so that a spooled file is a request the receiver accepts.
    const out: EncodedRequest[] = [];
    let from = 0;
    let size = 0;
    for (let i = 0; i <= entries.length; i++) {
      const s = i < entries.length ? entrySize(entries[i]) : Infinity;
      if (i > from && (i === entries.length || size + s > max)) {
        out.push(...encodeEntries(state, deps, batch, entries.slice(from, i)));
        from = i;
        size = 0;
      }
      size += s;
    }
    return out;
  }
  const outcome = encodeBatch(deps.encoder, entries, {
    version: state.protocol,
    maxBytes: deps.options.maxRequestBytes,
    nameValidation: deps.options.nameValidation,
  });
  for (const r of outcome.rejected) {
    const n = samplesOf(r.entries);
    const reason = r.error instanceof RejectedError ? r.error.reason : "encode";
    if (batch !== undefined) fail(state, deps, batch, n, reason, 0, r.error);
    else reportFailed(state, deps, n, reason, 0, r.error);
  }
  return outcome.requests;
}

/** How one request ended. */
type Outcome =
  | { readonly kind: "delivered"; readonly response: HttpResponse; readonly attempts: number }
  | { readonly kind: "fallback"; readonly why: string }
  | { readonly kind: "refused"; readonly error: AttemptError; readonly attempts: number }
  | { readonly kind: "gave-up"; readonly error: AttemptError; readonly attempts: number };

/** Attempts made for a request so far, and when the first started (writer clock). */
export interface Tried {
  attempts: number;
  firstAt: number | undefined;
}

/**
 * Send one encoded body with retries, `since` being when its data started waiting (the age
 * budget counts from there).
 */
export function sendWithRetry(
  deps: SenderDeps,
  state: WriterState,
  req: { readonly version: EncodedRequest["version"]; readonly body: Uint8Array },
  samples: number,
  since: number,
  tried: Tried = { attempts: 0, firstAt: undefined },
): Effect.Effect<Outcome> {
  return Effect.gen(function* () {
    let attempts = 0;
    const once = Effect.suspend(() => {
      attempts++;
      tried.attempts++;
      const started = deps.now();
      tried.firstAt ??= started;
      return attempt(
        {
          method: "POST",
          url: deps.url,
          headers: {
            "content-encoding": "snappy",
            "content-type": CONTENT_TYPE[req.version],
            "x-prometheus-remote-write-version": PROTOCOL_HEADER_VERSION[req.version],
          },
          body: req.body,
        },
        deps.http,
      ).pipe(Effect.ensuring(Effect.sync(() => state.metrics.observeDuration((deps.now() - started) / 1000))));
    });
    const result: Result.Result<HttpResponse, AttemptError> = yield* withRetry(once, deps.options.retry, {
      random: deps.random,
      since,
      now: deps.now,
      onRetry: (notice) => {
        state.metrics.retries++;
        state.metrics.samplesRetried += samples;
        notify(deps.onRetry, { ...notice, samples });
      },
    }).pipe(Effect.result);
    if (Result.isFailure(result)) {
      const error = result.failure;
      if (req.version === "v2" && error instanceof HttpError && error.status === 415) return { kind: "fallback", why: "HTTP 415" } as const;
      return { kind: isRetryable(error, deps.options.retry) ? "gave-up" : "refused", error, attempts } as const;
    }
    const h = result.success.headers;
    if (req.version === "v2" && h.get(WRITTEN_HEADERS.samples) === null && h.get(WRITTEN_HEADERS.histograms) === null && h.get(WRITTEN_HEADERS.exemplars) === null) {
      // Spec 2.0 "Response": a 1.0-only receiver ignores v2's fields and answers 2xx having written
      // nothing. Re-send the same series as 1.0.
      return { kind: "fallback", why: `HTTP ${result.success.status} without X-Prometheus-Remote-Write-*-Written headers` } as const;
    }
    return { kind: "delivered", response: result.success, attempts } as const;
  });
}

/**
 * Samples a v2 receiver says it did not write (accepted in part: not retryable, the receiver
 * chose). 0 for v1 or when the headers count everything.
 */
export function shortOf(version: EncodedRequest["version"], response: HttpResponse, floatSamples: number, histogramSamples: number): number {
  if (version !== "v2") return 0;
  const h = response.headers;
  return (
    Math.max(0, floatSamples - Number(h.get(WRITTEN_HEADERS.samples) ?? floatSamples)) +
    Math.max(0, histogramSamples - Number(h.get(WRITTEN_HEADERS.histograms) ?? histogramSamples))
  );
}

/**
 * One shard's work: encode the batch, send its requests in order. A request given up on goes to
 * the spool (when there is one), and so does the rest of its batch (it may hold the same series).
 */
function sendBatch(state: WriterState, deps: SenderDeps, batch: Batch): Effect.Effect<void> {
  return Effect.gen(function* () {
    // An embedded WASM loaded on demand is compiled before the first compress; a missing one
    // fails the encode below with SnappyNotInitialisedError, as it always did.
    if (!isSnappyReady()) yield* Effect.promise(() => loadSnappy().catch(() => undefined));
    batch.requests = encodeEntries(state, deps, batch, batch.entries);
    const requests = batch.requests;
    while (requests.length > 0) {
      const req = requests[0];
      const n = req.floatSamples + req.histogramSamples;
      let since = Infinity;
      for (const e of req.entries) since = Math.min(since, e.at);
      const tried: Tried = { attempts: 0, firstAt: undefined };
      state.tried.set(req, tried);
      const outcome = yield* sendWithRetry(deps, state, req, n, since, tried);
      // Settling and dropping the request from the batch happen together: a close timeout
      // (interruption) sees each request either settled or still listed.
      requests.shift();
      switch (outcome.kind) {
        case "delivered": {
          delivered(state, deps, batch, req);
          const short = shortOf(req.version, outcome.response, req.floatSamples, req.histogramSamples);
          if (short > 0) {
            state.metrics.samplesSent -= short;
            state.metrics.samplesFailed += short;
            notify(deps.onError, new RejectedError("partial-write", short, outcome.attempts), { samples: short, attempts: outcome.attempts });
          }
          break;
        }
        case "fallback":
          fallBack(state, deps, outcome.why);
          requests.unshift(...encodeEntries(state, deps, batch, req.entries));
          break;
        case "refused":
          fail(state, deps, batch, n, "status", outcome.attempts, outcome.error);
          break;
        case "gave-up": {
          const spool = deps.spool;
          if (spool === undefined) {
            fail(state, deps, batch, n, "retry-budget", outcome.attempts, outcome.error);
            break;
          }
          const rest = [req, ...requests.splice(0)];
          let restSamples = 0;
          for (const r of rest) restSamples += r.floatSamples + r.histogramSamples;
          state.settleSamples(batch, restSamples);
          spool.keep(state, deps, rest, "retry-budget", outcome.error);
          break;
        }
      }
    }
  });
}

/** What the dispatcher does next: send a batch, end, wait this long (ms), or wait for a signal. */
export type Next = "send" | "exit" | number | undefined;

export function decide(state: WriterState, deps: SenderDeps): Next {
  const q = state.queue;
  if (q.isEmpty) return state.stopping && state.inflight.size === 0 ? "exit" : undefined;
  if (q.samples >= deps.options.maxSamplesPerRequest) return "send";
  if (state.stopping || (q.firstSeq !== undefined && state.flushTarget >= q.firstSeq)) return "send";
  const age = deps.now() - (state.queueSince ?? deps.now());
  const left = deps.options.flushDeadlineMs - age;
  return left <= 0 ? "send" : left;
}

/** Settle a batch whose shard ended; a defect (a bug, a throwing encoder) never leaves a flush waiting. */
export function finish(state: WriterState, deps: SenderDeps, batch: Batch, exit: Exit.Exit<void>): void {
  const lost = state.finishBatch(batch);
  if (lost > 0 && Exit.isFailure(exit)) notify(deps.onError, new RejectedError("encode", lost, 0), { samples: lost, attempts: 0 });
  state.settle();
  state.signal();
}

/**
 * The writer's loop. Runs until `state.stopping` is set, the queue is empty and nothing is in
 * flight; interrupting it interrupts the shards.
 * @example Effect.runFork(senderLoop(state, deps))
 */
export function senderLoop(state: WriterState, deps: SenderDeps): Effect.Effect<void> {
  const shards = new Map<Batch, Fiber.Fiber<void>>();
  const wait = (ms: number | undefined): Effect.Effect<void> =>
    ms === undefined ? awaitSignal(state) : Effect.asVoid(Effect.raceFirst(awaitSignal(state), Effect.sleep(Math.max(0, ms))));
  const loop = Effect.gen(function* () {
    while (true) {
      state.settle();
      const spool = deps.spool;
      if (spool !== undefined && state.spoolAhead) {
        // The spool first (see spool/ahead.ts).
        if ((yield* spool.step(state, deps)) === "exit") return;
        continue;
      }
      const next = decide(state, deps);
      if (next === "exit") return;
      if (next !== "send") {
        yield* wait(next);
        continue;
      }
      if (state.inflight.size >= deps.options.shards) {
        yield* awaitSignal(state);
        continue;
      }
      const batch = state.takeBatch(deps.options.maxSamplesPerRequest);
      if (batch === undefined) {
        // Every queued series is in a batch in flight: wait for one to end.
        yield* awaitSignal(state);
        continue;
      }
      state.queueSince = state.queue.isEmpty ? undefined : deps.now();
      const fiber = yield* Effect.forkChild(
        Effect.exit(sendBatch(state, deps, batch)).pipe(
          Effect.flatMap((exit) =>
            Effect.sync(() => {
              shards.delete(batch);
              finish(state, deps, batch, exit);
            }),
          ),
        ),
      );
      if (state.inflight.has(batch)) shards.set(batch, fiber);
    }
  });
  return loop.pipe(Effect.onInterrupt(() => Fiber.interruptAll(shards.values())));
}
