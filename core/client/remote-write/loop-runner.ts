/**
 * An Effect `Clock` whose sleeps do not keep the process alive (Node/Bun `unref`, Deno
 * `Deno.unrefTimer`, handed in by the adapter): a writer waiting for its flush deadline or a
 * retry backoff must not hold a finished job open. The exit hooks keep the process alive instead,
 * for a bounded flush.
 */
import * as Clock from "effect/Clock";
import * as Duration from "effect/Duration";
import * as Effect from "effect/Effect";
import { runOptions } from "../run-options.ts";
import type { LoopRunner } from "./effect-writer.ts";
import type { UnrefTimer } from "./writer.ts";

/** Runs a writer's sender loop with sleeps whose timers `unref` releases. */
export function unrefLoopRunner(unref: UnrefTimer): LoopRunner {
  const base = Clock.Clock.defaultValue();
  const clock: Clock.Clock = Object.assign(Object.create(base) as Clock.Clock, {
    sleep: (d: Duration.Duration) =>
      Effect.callback<void>((resume) => {
        const timer = setTimeout(() => resume(Effect.void), Math.min(Duration.toMillis(d), 2 ** 31 - 1));
        unref(timer);
        return Effect.sync(() => clearTimeout(timer));
      }),
  });
  return (loop) => Effect.runFork(Effect.provideService(loop, Clock.Clock, clock), runOptions());
}
