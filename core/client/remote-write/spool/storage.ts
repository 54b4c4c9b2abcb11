/**
 * What the spool needs of a file system, implemented per runtime (adapters/spool-node.ts for Node
 * and Bun, adapters/spool-deno.ts for Deno). Synchronous on purpose: a spool is written when a
 * process is about to end (a signal, `process.exit()`), when nothing asynchronous may finish, and
 * only on failure paths, where a few milliseconds of blocking I/O are no concern.
 *
 * Names are relative to the spool directory; `rejected/` is its one subdirectory. Every method
 * throws `SpoolError` (naming the directory, the operation and, on Deno, the permission to grant)
 * when the file system refuses, except where a missing file is an expected race (another process
 * sent or evicted it): then it returns `undefined` or `false`.
 */

/** A file in the spool directory. */
export interface SpoolFileInfo {
  readonly name: string;
  readonly size: number;
  /** Last modification, ms since the epoch. */
  readonly mtimeMs: number;
}

export interface SpoolStorage {
  /** The directory, as given (for messages). */
  readonly dir: string;
  /** Create the directory and `rejected/` if missing. */
  ensureDirs(): void;
  /** Regular files directly in the directory (`"."`) or in `rejected/`. */
  list(where: "." | "rejected"): SpoolFileInfo[];
  /** A file's bytes; undefined when it no longer exists. */
  read(name: string): Uint8Array | undefined;
  /**
   * Write `name` so that it either exists whole or not at all: a temporary file (named with a
   * leading `.tmp-`) written and fsynced, renamed to `name`, the directory fsynced.
   */
  writeAtomic(name: string, data: Uint8Array): void;
  /** Create `name` only if it does not exist (O_EXCL); false when it exists. */
  createExclusive(name: string, data: Uint8Array): boolean;
  /** Rename; false when `from` no longer exists. */
  rename(from: string, to: string): boolean;
  /** Delete; false when it no longer exists. */
  remove(name: string): boolean;
  /** This process's id and this machine's name (undefined where the runtime cannot tell without a permission). */
  readonly pid: number;
  readonly host: string | undefined;
  /** Whether process `pid` of this machine is alive; undefined when the runtime cannot tell. */
  processAlive(pid: number): boolean | undefined;
}
