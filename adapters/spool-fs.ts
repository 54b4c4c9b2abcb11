// The spool's file system on Node and Bun (node:fs, synchronous: see core's spool/storage.ts).
// Atomic writes: a temporary file written and fsynced, renamed over the name, the directory fsynced.
// The modules are handed in rather than imported: Bun's entry takes them only when a spool is
// opened (importing node:fs and node:os costs a Bun job 5–8 ms at start-up, measured), Node's
// imports them (spool-node.ts; they are loaded in Node before any user code anyway).
import { SpoolError } from "../core/errors.ts";
import type { OpenSpool } from "../core/client/remote-write/effect-writer.ts";
import { openSpool } from "../core/client/remote-write/spool/spool.ts";
import type { SpoolFileInfo, SpoolStorage } from "../core/client/remote-write/spool/storage.ts";

const code = (e: unknown): string | undefined => (e as { code?: string } | null)?.code;

/** The node: modules a spool directory is kept with. */
export interface NodeFileModules {
  readonly fs: typeof import("node:fs");
  readonly os: typeof import("node:os");
  readonly path: typeof import("node:path");
}

/** A spool directory through node:fs. */
export function fsSpoolStorage(dir: string, modules: NodeFileModules): SpoolStorage {
  const { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = modules.fs;
  const { dirname, join } = modules.path;
  const path = (name: string): string => join(dir, name);
  const fail = (op: string, e: unknown): SpoolError => new SpoolError(dir, op, e instanceof Error ? e.message : String(e));
  /** Run `f`; a missing file gives `absent` (when given), any other failure a SpoolError. */
  const io = <T>(op: string, f: () => T, ...absent: [T] | []): T => {
    try {
      return f();
    } catch (e) {
      if (absent.length === 0 || code(e) !== "ENOENT") throw fail(op, e);
      return absent[0] as T;
    }
  };
  /** fsync a file (or directory) by path; a directory fails on some platforms (Windows): the rename is atomic all the same. */
  const syncPath = (p: string, flags: string, data?: Uint8Array): void => {
    const fd = openSync(p, flags);
    try {
      if (data !== undefined) writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  };
  return {
    dir,
    ensureDirs: () => io("create the directory", () => void mkdirSync(path("rejected"), { recursive: true })),
    list: (where) =>
      io(`list ${where}`, () =>
        readdirSync(path(where), { withFileTypes: true }).flatMap((d): SpoolFileInfo[] => {
          if (!d.isFile()) return [];
          const s = io(`stat ${d.name}`, () => statSync(path(join(where, d.name))), null);
          return s === null ? [] : [{ name: d.name, size: s.size, mtimeMs: s.mtimeMs }];
        }),
      ),
    read: (name) => io<Uint8Array | undefined>(`read ${name}`, () => readFileSync(path(name)), undefined),
    writeAtomic: (name, data) =>
      io(`write ${name}`, () => {
        const tmp = join(dirname(path(name)), `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
        syncPath(tmp, "wx", data);
        renameSync(tmp, path(name));
        try {
          syncPath(dirname(path(name)), "r");
        } catch {}
      }),
    createExclusive: (name, data) => {
      try {
        return writeFileSync(path(name), data, { flag: "wx" }), true;
      } catch (e) {
        if (code(e) !== "EEXIST") throw fail(`create ${name}`, e);
        return false;
      }
    },
    rename: (from, to) => io(`rename ${from}`, () => (renameSync(path(from), path(to)), true), false),
    remove: (name) => io(`delete ${name}`, () => (unlinkSync(path(name)), true), false),
    pid: process.pid,
    host: modules.os.hostname(),
    processAlive: (pid) => {
      try {
        return process.kill(pid, 0); // signal 0 only asks whether the process exists
      } catch (e) {
        return code(e) === "EPERM" ? true : code(e) === "ESRCH" ? false : undefined;
      }
    },
  };
}

/** What the Node and Bun entries hand the writer: spools kept with the modules `modules()` gives, asked for on the first open. */
export const fsSpoolOpener =
  (modules: () => NodeFileModules): OpenSpool =>
  (options, url) =>
    openSpool(fsSpoolStorage(options.dir, modules()), options, url);
