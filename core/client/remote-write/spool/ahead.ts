/**
 * The spool's part of the sender loop (sender.ts calls it through the SpoolHandle, so a writer
 * without a spool — every Worker — carries none of it). Once a request was spooled, the spool
 * comes first: nothing of the queue is sent until the spool's files are delivered, oldest first;
 * while they cannot be (the receiver still refuses, another process holds the lock), ready
 * batches join the spool behind them. So a series stays in timestamp order within a run and
 * across runs.
 */

import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import { PromwireError } from "../../../errors.ts";
import { redactUrl } from "../../http/auth.ts";
import type { EncodedRequest } from "../batch.ts";
import { notify } from "../notify.ts";
import { decide, encodeEntries, finish, reportFailed, type SenderDeps } from "../sender.ts";
import { awaitSignal } from "../state-effects.ts";
import type { WriterState } from "../state.ts";
import type { SpoolHandle, SpoolReason } from "./handle.ts";

/**
 * Write requests to the spool; what cannot be written (the file system refused) is counted as
 * failed. Returns the samples spooled. Marks the spool as ahead of the queue. Each file records
 * the attempts made for its request, if any (the requests behind the first were not tried).
 * @example keepInSpool(state, deps, spool, [request], "retry-budget", lastError)
 */
export function keepInSpool(state: WriterState, deps: SenderDeps, spool: SpoolHandle, requests: readonly EncodedRequest[], reason: SpoolReason, cause?: PromwireError): number {
  let spooled = 0;
  for (const [i, req] of requests.entries()) {
    const n = req.floatSamples + req.histogramSamples;
    const tried = state.tried.get(req);
    try {
      const { evicted, written } = spool.add(req, i > 0 && reason === "retry-budget" ? "behind-spool" : reason, tried?.attempts ?? 0, tried?.firstAt);
      if (evicted > 0) {
        state.metrics.evicted += evicted;
        notify(deps.onDrop, evicted, "spool-full");
      }
      if (written) {
        spooled += n;
        // After a give-up, let the receiver rest before the spool is tried again.
        if (reason === "retry-budget") state.spoolRetryAt = deps.now() + deps.options.retry.maxBackoffMs;
        if (!state.spoolAhead) {
          deps.log(`promwire: ${redactUrl(deps.url)} did not accept the data${cause === undefined ? "" : ` (${cause.message})`}; keeping it in the spool ${spool.dir} until it does`);
        }
        state.spoolAhead = true;
      }
    } catch (err) {
      if (!(err instanceof PromwireError)) throw err;
      reportFailed(state, deps, n, reason === "closed" ? "closed" : "retry-budget", tried?.attempts ?? 0, err);
    }
  }
  state.metrics.spooled += spooled;
  return spooled;
}

/**
 * One step of the loop while the spool is ahead of the queue: wait for the shards in flight
 * (their series may be in the spool), then send the spool; if it cannot be sent now, spool the
 * ready batches behind it, or wait. `"exit"` when the writer is done.
 */
export function spoolStep(state: WriterState, deps: SenderDeps, spool: SpoolHandle): Effect.Effect<"again" | "exit"> {
  return Effect.gen(function* () {
    if (state.inflight.size > 0) {
      yield* awaitSignal(state);
      return "again" as const;
    }
    // Closing after the spool could not be sent: no second try, what is left joins it.
    const retryIn = state.stopping && state.spoolRetryAt > 0 ? Infinity : state.spoolRetryAt - deps.now();
    if (retryIn <= 0) {
      if ((yield* spool.drain(state, deps)) === "empty") state.spoolAhead = false;
      else state.spoolRetryAt = deps.now() + deps.options.retry.maxBackoffMs;
      return "again" as const;
    }
    const next = decide(state, deps);
    if (next === "exit" || (next === undefined && state.stopping)) return "exit" as const;
    if (next === "send") {
      const batch = state.takeBatch(deps.options.maxSamplesPerRequest);
      if (batch !== undefined) {
        const requests = encodeEntries(state, deps, batch, batch.entries);
        let n = 0;
        for (const r of requests) n += r.floatSamples + r.histogramSamples;
        state.settleSamples(batch, n);
        keepInSpool(state, deps, spool, requests, "behind-spool");
        finish(state, deps, batch, Exit.void);
      }
      return "again" as const;
    }
    const pause = Math.min(next ?? Infinity, retryIn);
    yield* pause === Infinity ? awaitSignal(state) : Effect.asVoid(Effect.raceFirst(awaitSignal(state), Effect.sleep(Math.max(0, pause))));
    return "again" as const;
  });
}
