/**
 * Exit handling shared by the Node and Bun adapters (both have Node's `process`):
 * - `beforeExit` (the event loop ran dry): flush the open writers, bounded by their deadline;
 * - SIGTERM / SIGINT: flush within the deadline, then let the signal do what it would have done —
 *   if promwire was the only listener, it removes itself and re-sends the signal, so the process
 *   still dies of it (exit status 128+n); if the application listens too, its handler decides.
 * A second signal during the flush is passed on at once. `process.exit()` cannot wait: what is
 * still queued then goes to the writers' spools, or is reported on stderr.
 */
import type { OpenWriters } from "../core/runtime/open-writers.ts";

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

export function installProcessExitHooks(writers: OpenWriters): void {
  const flush = (): Promise<void> => writers.flushForExit();

  process.on("beforeExit", () => {
    if (writers.size > 0 && !writers.exitFlushRunning) void flush();
  });

  // `process.exit()` skips beforeExit: a spool still takes what is held (synchronously); the rest can at least be said.
  process.on("exit", () => {
    const spooled = writers.spoolNow();
    if (spooled > 0) console.warn(`promwire: exiting with ${spooled} samples not delivered: spooled for the next run`);
    const left = writers.pendingSamples();
    if (left > 0) console.warn(`promwire: exiting with ${left} samples not delivered (process.exit() before a flush)`);
  });

  const reRaise = (signal: NodeJS.Signals): void => {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    process.kill(process.pid, signal);
  };

  function onSignal(signal: NodeJS.Signals): void {
    const alone = process.listenerCount(signal) === 1;
    if (writers.exitFlushRunning && alone) return reRaise(signal); // second signal: stop waiting
    void flush().then(() => {
      if (alone) reRaise(signal);
    });
  }
  for (const s of SIGNALS) process.on(s, onSignal);
}
