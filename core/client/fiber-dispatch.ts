/**
 * How the transport's Effect fibers are started and resumed, when a runtime needs other than
 * Effect's default. That default reads `globalThis.setImmediate` on first use; Deno defines that
 * global lazily and its first read boots Deno's Node compatibility layer: 12–16 ms of a short
 * job's run, measured. The Deno entry therefore dispatches on `setTimeout`; Node, Bun and Workers
 * keep Effect's default. Plain module (no Effect): runtime entries set it at import.
 */

/** Run `task` soon (after the current task); returns a function that cancels it. */
export type FiberDispatch = (task: () => void) => () => void;

let current: FiberDispatch | undefined;

/**
 * Dispatch the transport's fibers with `dispatch` from now on (a runtime entry calls this once).
 * @example useFiberDispatch((task) => { const t = setTimeout(task, 0); return () => clearTimeout(t); });
 */
export function useFiberDispatch(dispatch: FiberDispatch): void {
  current = dispatch;
}

/** The dispatch set by the runtime entry, if any. */
export function fiberDispatch(): FiberDispatch | undefined {
  return current;
}
