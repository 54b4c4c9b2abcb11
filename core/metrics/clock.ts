/**
 * Time as the metric types see it. The core never reads a runtime clock directly: a metric takes
 * a {@link Clock} (tests pass a fake one), and the default uses `Date.now` and `performance.now`,
 * which every supported runtime has.
 */

/** Wall-clock and monotonic time sources. */
export interface Clock {
  /** Milliseconds since the Unix epoch (timestamps, `setToCurrentTime`, summary windows). */
  now(): number;
  /** A monotonic reading in milliseconds (durations measured by `startTimer`). */
  monotonic(): number;
}

/**
 * The default clock: `Date.now()` and `performance.now()`, both present in every supported
 * runtime (Node, Deno, Bun, workerd).
 *
 * @example
 * const g = new Gauge({ name: "job_last_run_seconds", help: "…", clock: systemClock });
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
