/** Waiting for work with a time limit. */

/** What {@link withDeadline} saw. */
export type Deadlined<T> = { readonly timedOut: false; readonly value: T } | { readonly timedOut: true };

/**
 * Wait for `work`, at most `ms`. The timer is an ordinary (referenced) one: on Node it keeps the
 * process alive while the work runs, which is what an exit flush wants. A rejection of `work`
 * rejects the result.
 * @example const r = await withDeadline(writer.flush(), 5_000); if (r.timedOut) …
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<Deadlined<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<Deadlined<T>>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), ms);
  });
  return Promise.race([work.then((value): Deadlined<T> => ({ timedOut: false, value })), expired]).finally(() => clearTimeout(timer));
}
