/**
 * What a Promise writer loads when it first has something to send (writer.ts): the Effect
 * writer (effect-writer.ts) run on the writer's front. This module and what it imports — Effect,
 * the sender loop, the HTTP attempt and its retries, the encoders, snappy — are what a job pays
 * for only once it sends; until then `collect`/`write` only queue.
 */

import * as Effect from "effect/Effect";
import { loadSnappy } from "../../wire/snappy.ts";
import { defaultLoopRunner, effectWriter } from "./effect-writer.ts";
import { unrefLoopRunner } from "./loop-runner.ts";
import { runOptions } from "../run-options.ts";
import type { WriterStats } from "./options.ts";
import type { CloseOptions } from "./remote-writer.ts";
import type { WriterFront } from "./writer-front.ts";
import type { UnrefTimer } from "./writer.ts";

/** The Effect writer's `flush` and `close`, run as promises. */
export interface SendEngine {
  /** Resolves once everything queued before it is settled; `signal` stops the wait (not the sending). */
  flush(signal?: AbortSignal): Promise<WriterStats>;
  close(options?: CloseOptions): Promise<WriterStats>;
  /** Everything not yet delivered written to the spool, synchronously (see `WriterInternals`). */
  spoolNow(): number;
}

/**
 * Run the Effect writer on `front` (its sender loop starts at once if data is queued), with
 * sleeps whose timers `unref` releases when given.
 * @example const engine = await attachSender(front, (t) => t.unref()); await engine.close();
 */
export async function attachSender(front: WriterFront, unref?: UnrefTimer): Promise<SendEngine> {
  // Already compiling (writer.ts starts it with this module's import): the same promise, joined
  // here only so that a spool can wait for it; the first encode awaits it too (sender.ts).
  const snappy = loadSnappy().catch(() => {});
  if (front.spool !== undefined) {
    // spoolNow() encodes synchronously: snappy must be ready before the engine is handed out.
    await Promise.all([front.spool.prepare(), snappy]);
  }
  const { writer: w, spoolNow } = effectWriter(front, unref === undefined ? defaultLoopRunner : unrefLoopRunner(unref));
  return {
    flush: (signal) => Effect.runPromise(w.flush, { ...runOptions(), signal }),
    close: (options) => Effect.runPromise(w.close(options), runOptions()),
    spoolNow,
  };
}
