/**
 * The options the transport's own `Effect.run*` calls pass: the runtime's fiber dispatch
 * (fiber-dispatch.ts) as the scheduler, when one is set (once, by the runtime entry at import).
 * Child fibers inherit it.
 */
import type * as Effect from "effect/Effect";
import { MixedScheduler } from "effect/Scheduler";
import { fiberDispatch } from "./fiber-dispatch.ts";

let scheduler: MixedScheduler | undefined;

/**
 * `{ scheduler }` for the runtime's dispatch, or `{}` (Effect's default scheduler).
 * @example Effect.runPromise(program, { ...runOptions(), signal });
 */
export function runOptions(): Effect.RunOptions {
  const dispatch = fiberDispatch();
  return dispatch === undefined ? {} : { scheduler: (scheduler ??= new MixedScheduler("async", dispatch)) };
}
