/**
 * The writers an adapter has handed out and not yet closed, so a runtime's exit hooks (Node's
 * `beforeExit`, SIGTERM, Deno's `beforeunload`, a Worker's `waitUntil`) can flush them all within
 * a deadline. Runtime-agnostic: the adapters decide when to call it.
 */

import type { RemoteWriter } from "../client/remote-write/remote-writer.ts";
import { withDeadline } from "./deadline.ts";

/** What {@link OpenWriters.flushAll} achieved. */
export interface FlushAllResult {
  /** Writers flushed (or attempted). */
  readonly writers: number;
  /** True when the deadline passed before every flush completed. */
  readonly timedOut: boolean;
}

/**
 * Work the exit hooks finish before flushing the writers: a running `pushEvery`/`collectEvery`
 * handle's final run. `timeoutMs` is what is left of the exit deadline.
 */
export type ExitTask = (timeoutMs: number) => Promise<unknown>;

export class OpenWriters {
  /** Each open writer, and how to spool what it holds in a process's last moments. */
  private readonly writers = new Map<RemoteWriter, () => number>();
  private readonly tasks = new Map<object, ExitTask>();
  /** The longest exit deadline any tracked writer asked for, ms. */
  exitTimeoutMs = 0;
  private exiting: Promise<void> | undefined;

  /**
   * The exit hooks' flush, one at a time: every open writer gets `exitTimeoutMs`; what the
   * deadline did not allow is given up — counted as failed, reported to `onError`, and said on the
   * console, since the process is about to end.
   */
  flushForExit(): Promise<void> {
    return (this.exiting ??= (async () => {
      const deadline = Date.now() + this.exitTimeoutMs;
      // Final periodic runs first: a collectEvery's final snapshot is then in its writer's flush.
      await this.finishTasks(this.exitTimeoutMs);
      const { timedOut } = await this.flushAll(Math.max(0, deadline - Date.now()));
      if (!timedOut) return;
      const { lost, spooled } = await this.closeAll(0);
      if (lost > 0) console.warn(`promwire: ${lost} samples not delivered within ${this.exitTimeoutMs} ms of exit`);
      if (spooled > 0) console.warn(`promwire: ${spooled} samples not delivered within ${this.exitTimeoutMs} ms of exit were spooled (the next run sends them first)`);
    })().finally(() => {
      this.exiting = undefined;
    }));
  }

  /** True while {@link flushForExit} runs (a second signal then stops waiting). */
  get exitFlushRunning(): boolean {
    return this.exiting !== undefined;
  }

  /** Track `writer` until {@link untrack}; exit hooks wait up to `exitTimeoutMs` for it. */
  track(writer: RemoteWriter, exitTimeoutMs = 5_000, spoolNow: () => number = () => 0): void {
    this.writers.set(writer, spoolNow);
    this.exitTimeoutMs = Math.max(this.exitTimeoutMs, exitTimeoutMs);
  }

  /** Stop tracking `writer` (it is being closed by whoever holds it). */
  untrack(writer: RemoteWriter): void {
    this.writers.delete(writer);
  }

  /** Run `finish` at exit (once), before the writers' flush, until {@link untrackTask}. */
  trackTask(key: object, finish: ExitTask, exitTimeoutMs = 5_000): void {
    this.tasks.set(key, finish);
    this.exitTimeoutMs = Math.max(this.exitTimeoutMs, exitTimeoutMs);
  }

  /** Stop tracking the task of `key` (its handle was stopped by whoever holds it). */
  untrackTask(key: object): void {
    this.tasks.delete(key);
  }

  /** Writers and tasks tracked. */
  get size(): number {
    return this.writers.size + this.tasks.size;
  }

  /**
   * Run every tracked task, waiting at most `timeoutMs`; a failure or an overrun is said on the
   * console, since the process is about to end.
   */
  private async finishTasks(timeoutMs: number): Promise<void> {
    const tasks = [...this.tasks.values()];
    this.tasks.clear();
    if (tasks.length === 0) return;
    const r = await withDeadline(Promise.allSettled(tasks.map((finish) => finish(timeoutMs))), timeoutMs);
    if (r.timedOut) {
      console.warn(`promwire: final periodic runs not completed within ${timeoutMs} ms of exit`);
      return;
    }
    for (const x of r.value) {
      if (x.status === "rejected") console.warn(`promwire: final periodic run at exit failed: ${x.reason instanceof Error ? x.reason.message : String(x.reason)}`);
    }
  }

  /** Samples queued in all writers. */
  pendingSamples(): number {
    let n = 0;
    for (const w of this.writers.keys()) n += w.stats().pending;
    return n;
  }

  /**
   * The process ends now (`process.exit()`, Deno's `unload`): writers with a spool write what they
   * hold to it, synchronously. Returns the samples spooled.
   */
  spoolNow(): number {
    let n = 0;
    for (const spool of this.writers.values()) n += spool();
    return n;
  }

  /**
   * Flush every open writer; give up waiting after `timeoutMs`. The deadline timer is an ordinary
   * (referenced) timer, so on Node it keeps the process alive while the flush runs.
   * @example const { timedOut } = await openWriters.flushAll(5_000);
   */
  async flushAll(timeoutMs: number): Promise<FlushAllResult> {
    const list = [...this.writers.keys()];
    if (list.length === 0) return { writers: 0, timedOut: false };
    const { timedOut } = await withDeadline(Promise.allSettled(list.map((w) => w.flush())), timeoutMs);
    return { writers: list.length, timedOut };
  }

  /**
   * Close every open writer, waiting at most `timeoutMs` each (what is not delivered by then goes
   * to its spool, or is reported to its `onError` as `"closed"`). Resolves to the samples given up
   * on and spooled.
   */
  async closeAll(timeoutMs: number): Promise<{ lost: number; spooled: number }> {
    const results = await Promise.allSettled(
      [...this.writers.keys()].map(async (w) => {
        const before = w.stats();
        const after = await w.close({ timeoutMs });
        return { lost: after.failed - before.failed, spooled: after.spooled - before.spooled };
      }),
    );
    let lost = 0;
    let spooled = 0;
    for (const r of results) {
      if (r.status !== "fulfilled") continue;
      lost += r.value.lost;
      spooled += r.value.spooled;
    }
    return { lost, spooled };
  }
}
