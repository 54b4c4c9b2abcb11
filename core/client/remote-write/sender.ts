/**
 * The sender loop, an Effect program: wait for a full batch, a flush or the flush deadline; take
 * a batch; encode it (plain TS); send each request with retries; fall back from v2 to v1 when the
 * receiver does not speak v2; settle the counts. One batch is in flight at a time and each request
 * is retried before the next is sent, so samples of a series arrive in timestamp order.
 */

import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
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
import type { FailureInfo, ResolvedOptions, WriteRetryNotice } from "./options.ts";
import { entrySize, type Entry } from "./pending.ts";
import { awaitSignal } from "./state-effects.ts";
import type { WriterState } from "./state.ts";

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
  readonly log: (message: string) => void;
}

const WRITTEN_HEADERS = {
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

function fail(state: WriterState, deps: SenderDeps, entries: readonly Entry[], reason: RejectReason, attempts: number, cause?: PromwireError): void {
  let samples = 0;
  for (const e of entries) samples += entrySize(e);
  state.metrics.samplesFailed += samples;
  state.inflightSamples -= samples;
  notify(deps.onError, new RejectedError(reason, samples, attempts, cause), { samples, attempts });
}

function delivered(state: WriterState, deps: SenderDeps, req: EncodedRequest): void {
  state.requests++;
  state.metrics.samplesSent += req.floatSamples + req.histogramSamples;
  state.inflightSamples -= req.floatSamples + req.histogramSamples;
  if (!deps.options.trackSeries) return;
  for (const e of req.entries) {
    const key = seriesKey(e.labels);
    const last = lastTimestamp(e);
    const known = state.delivered.get(key);
    if (known === undefined) state.delivered.set(key, { labels: e.labels, last });
    else if (last > known.last) known.last = last;
  }
}

function fallBack(state: WriterState, deps: SenderDeps, why: string): void {
  if (state.protocol === "v1") return;
  state.protocol = "v1";
  deps.log(`promwire: ${redactUrl(deps.url)} does not accept remote write 2.0 (${why}); using 1.0 for this writer`);
}

/** Send one encoded request with retries; settles its samples. */
function deliver(state: WriterState, deps: SenderDeps, req: EncodedRequest): Effect.Effect<void> {
  return Effect.gen(function* () {
    let attempts = 0;
    const once = Effect.suspend(() => {
      attempts++;
      const started = deps.now();
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
    let since = Infinity;
    for (const e of req.entries) since = Math.min(since, e.at);
    const result: Result.Result<HttpResponse, AttemptError> = yield* withRetry(once, deps.options.retry, {
      random: deps.random,
      since,
      now: deps.now,
      onRetry: (notice) => {
        const samples = req.floatSamples + req.histogramSamples;
        state.metrics.retries++;
        state.metrics.samplesRetried += samples;
        notify(deps.onRetry, { ...notice, samples });
      },
    }).pipe(Effect.result);

    if (Result.isFailure(result)) {
      const err = result.failure;
      if (req.version === "v2" && err instanceof HttpError && err.status === 415) {
        fallBack(state, deps, "HTTP 415");
        return yield* sendEntries(state, deps, req.entries);
      }
      fail(state, deps, req.entries, isRetryable(err, deps.options.retry) ? "retry-budget" : "status", attempts, err);
      return;
    }
    if (req.version === "v2") {
      const h = result.success.headers;
      const samples = h.get(WRITTEN_HEADERS.samples);
      const histograms = h.get(WRITTEN_HEADERS.histograms);
      if (samples === null && histograms === null && h.get(WRITTEN_HEADERS.exemplars) === null) {
        // Spec 2.0 "Response": a 1.0-only receiver ignores v2's fields and answers 2xx having written
        // nothing. Re-send the same series as 1.0.
        fallBack(state, deps, `HTTP ${result.success.status} without X-Prometheus-Remote-Write-*-Written headers`);
        return yield* sendEntries(state, deps, req.entries);
      }
      const short =
        Math.max(0, req.floatSamples - Number(samples ?? req.floatSamples)) +
        Math.max(0, req.histogramSamples - Number(histograms ?? req.histogramSamples));
      if (short > 0) {
        // Accepted in part: not retryable (the receiver chose), counted as failed.
        delivered(state, deps, req);
        state.metrics.samplesSent -= short;
        state.metrics.samplesFailed += short;
        notify(deps.onError, new RejectedError("partial-write", short, attempts), { samples: short, attempts });
        return;
      }
    }
    delivered(state, deps, req);
  });
}

/** Encode entries with the writer's current protocol and deliver every resulting request. */
export function sendEntries(state: WriterState, deps: SenderDeps, entries: readonly Entry[]): Effect.Effect<void> {
  return Effect.gen(function* () {
    // An embedded WASM loaded on demand is compiled before the first compress; a missing one
    // fails the encode below with SnappyNotInitialisedError, as it always did.
    if (!isSnappyReady()) yield* Effect.promise(() => loadSnappy().catch(() => undefined));
    const outcome = encodeBatch(deps.encoder, entries, {
      version: state.protocol,
      maxBytes: deps.options.maxRequestBytes,
      nameValidation: deps.options.nameValidation,
    });
    for (const r of outcome.rejected) {
      fail(state, deps, r.entries, r.error instanceof RejectedError ? r.error.reason : "encode", 0, r.error);
    }
    for (const req of outcome.requests) yield* deliver(state, deps, req);
  });
}

type Next = "send" | "exit" | number | undefined;

function decide(state: WriterState, deps: SenderDeps): Next {
  const q = state.queue;
  if (q.isEmpty) {
    state.settle();
    return state.stopping ? "exit" : undefined;
  }
  if (q.samples >= deps.options.maxSamplesPerRequest) return "send";
  if (state.stopping || (q.firstSeq !== undefined && state.flushTarget >= q.firstSeq)) return "send";
  const age = deps.now() - (state.queueSince ?? deps.now());
  const left = deps.options.flushDeadlineMs - age;
  return left <= 0 ? "send" : left;
}

/**
 * The writer's loop. Runs until `state.stopping` is set and the queue is empty.
 * @example Effect.runFork(senderLoop(state, deps))
 */
export function senderLoop(state: WriterState, deps: SenderDeps): Effect.Effect<void> {
  return Effect.gen(function* () {
    while (true) {
      const next = decide(state, deps);
      if (next === "exit") return;
      if (next === undefined) {
        yield* awaitSignal(state);
        continue;
      }
      if (typeof next === "number") {
        yield* Effect.raceFirst(awaitSignal(state), Effect.sleep(next));
        continue;
      }
      const entries = state.queue.take(deps.options.maxSamplesPerRequest);
      state.inflightSeq = entries[0].seq;
      let n = 0;
      for (const e of entries) n += entrySize(e);
      state.inflightSamples = n;
      state.queueSince = state.queue.isEmpty ? undefined : deps.now();
      state.metrics.pending = state.queue.samples;
      const exit = yield* Effect.exit(sendEntries(state, deps, entries));
      if (Exit.isFailure(exit) && state.inflightSamples > 0) {
        // A defect (a bug, or a throwing encoder): never leave a flush waiting forever.
        const lost = state.inflightSamples;
        state.metrics.samplesFailed += lost;
        notify(deps.onError, new RejectedError("encode", lost, 0), { samples: lost, attempts: 0 });
      }
      state.inflightSeq = undefined;
      state.inflightSamples = 0;
      state.settle();
    }
  });
}
