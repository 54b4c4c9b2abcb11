/** Calling users' callbacks from inside the writer. */

/**
 * Call a user callback, if any. A callback that throws must never break the writer's loop or the
 * caller's `write`: its exception is dropped (the callback is the user's own reporting path).
 * @example notify(options.onDrop, dropped)
 */
export function notify<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
  if (callback === undefined) return;
  try {
    callback(...args);
  } catch {
    // See above: the user's reporting failed; nothing better to report it to.
  }
}
