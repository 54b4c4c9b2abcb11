/**
 * The options the transport's own `Effect.run*` calls pass: the runtime's fiber dispatch
 * (fiber-dispatch.ts) as the scheduler, when one is set. Child fibers inherit it.
 */
import type * as Effect from "effect/Effect";
import { MixedScheduler } from "effect/Scheduler";
import { type FiberDispatch, fiberDispatch } from "./fiber-dispatch.ts";

let made: { readonly dispatch: FiberDispatch; readonly options: Effect.RunOptions } | undefined;

/**
 * `{ scheduler }` for the runtime's dispatch, or `{}` (Effect's default scheduler).
 * @example Effect.runPromise(program, { ...runOptions(), signal });
 */
export function runOptions(): Effect.RunOptions {
  const dispatch = fiberDispatch();
  if (dispatch === undefined) return {};
  if (made?.dispatch !== dispatch) made = { dispatch, options: { scheduler: new MixedScheduler("async", dispatch) } };
  return made.options;
}
