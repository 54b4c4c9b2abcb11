/**
 * Ctrl-C (SIGINT) and SIGTERM while a command sends: say on stderr what was not delivered, remove
 * temporary files, then die of the same signal, as the process would have without a handler (the
 * shell sees 130 / 143 and a calling script stops too). The command keeps the report current:
 * what it says depends on how far the send got.
 */
import { writeSync } from "node:fs";
import { removeSpoolFiles } from "./page-source.ts";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
type Signal = (typeof SIGNALS)[number];

let report: ((signal: Signal) => string) | undefined;

function onSignal(signal: Signal): void {
  let line: string;
  try {
    line = report?.(signal) ?? `interrupted by ${signal}`;
  } catch {
    line = `interrupted by ${signal}`;
  }
  try {
    // Synchronous: the process ends right after.
    writeSync(2, `promwire: ${line}\n`);
  } catch {
    // stderr gone: nothing to tell
  }
  try {
    removeSpoolFiles();
  } catch {
    // best effort
  }
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
  // Where re-raising does not end the process at once: exit with the shell's code for it.
  setTimeout(() => process.exit(signal === "SIGINT" ? 130 : 143), 200).unref();
}

/**
 * Report `what(signal)` if the process is interrupted from now on; replaces the previous report.
 * @example interruptReport(() => `write interrupted: ${lost} samples not delivered`);
 */
export function interruptReport(what: (signal: Signal) => string): void {
  if (report === undefined) for (const s of SIGNALS) process.on(s, onSignal);
  report = what;
}

/** Back to the default: a signal ends the process without a report. */
export function clearInterruptReport(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  report = undefined;
}
