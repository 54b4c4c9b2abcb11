/** The writer state's two hand-offs (state.ts) as Effects, for the sender loop and `flush`/`close`. */

import * as Effect from "effect/Effect";
import type { WriterState } from "./state.ts";

/**
 * Completes at the state's next signal (at once if one came since the last wait).
 * @example yield* Effect.raceFirst(awaitSignal(state), Effect.sleep(deadline))
 */
export const awaitSignal = (state: WriterState): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const cancel = state.onSignal(() => resume(Effect.void));
    return Effect.sync(cancel);
  });

/**
 * Completes once everything enqueued before it started is settled (sent, failed or dropped).
 * Interrupting it (a close timeout) removes its waiter.
 * @example yield* settled(state)
 */
export const settled = (state: WriterState): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const cancel = state.onSettled(() => resume(Effect.void));
    return Effect.sync(cancel);
  });
