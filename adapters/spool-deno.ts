// The spool's file system on Deno (synchronous: see core's spool/storage.ts). A missing --allow-read
// or --allow-write for the directory becomes a SpoolError naming the flags to add.
import { SpoolError } from "../core/errors.ts";
import type { OpenSpool } from "../core/client/remote-write/effect-writer.ts";
import { openSpool } from "../core/client/remote-write/spool/spool.ts";
import type { SpoolFileInfo, SpoolStorage } from "../core/client/remote-write/spool/storage.ts";

declare const Deno: {
  errors: Record<"NotFound" | "AlreadyExists" | "PermissionDenied", new () => Error> & { NotCapable?: new () => Error };
  mkdirSync(path: string, o: { recursive: boolean }): void;
  readDirSync(path: string): Iterable<{ name: string; isFile: boolean }>;
  statSync(path: string): { size: number; mtime: Date | null };
  readFileSync(path: string): Uint8Array;
  openSync(path: string, o: { write: boolean; createNew: boolean }): { writeSync(p: Uint8Array): number; syncSync(): void; close(): void };
  writeFileSync(path: string, data: Uint8Array, o: { createNew: boolean }): void;
  renameSync(from: string, to: string): void;
  removeSync(path: string): void;
  hostname(): string;
  readonly pid: number;
};

/** A spool directory through Deno's file APIs. */
export function denoSpoolStorage(dir: string): SpoolStorage {
  const path = (name: string): string => `${dir}/${name}`;
  const is = (e: unknown, k: "NotFound" | "AlreadyExists"): boolean => e instanceof Deno.errors[k];
  const fail = (op: string, e: unknown): SpoolError => {
    const denied = e instanceof Deno.errors.PermissionDenied || (Deno.errors.NotCapable !== undefined && e instanceof Deno.errors.NotCapable);
    return new SpoolError(dir, op, denied ? `permission denied: run with --allow-read=${dir} --allow-write=${dir}` : e instanceof Error ? e.message : String(e));
  };
  // Run `f`; a missing file gives `absent` (when given), any other failure a SpoolError.
  const io = <T>(op: string, f: () => T, ...absent: [T] | []): T => {
    try {
      return f();
    } catch (e) {
      if (absent.length === 0 || !is(e, "NotFound")) throw fail(op, e);
      return absent[0] as T;
    }
  };
  // Needs --allow-sys=hostname; without it (and Deno cannot ask whether a pid lives) stale locks are judged by age.
  const host = ((): string | undefined => { try { return Deno.hostname(); } catch { return undefined; } })(); // prettier-ignore
  return {
    dir,
    ensureDirs: () => io("create the directory", () => Deno.mkdirSync(path("rejected"), { recursive: true })),
    list: (where) =>
      io(`list ${where}`, () =>
        [...Deno.readDirSync(path(where))].flatMap((d): SpoolFileInfo[] => {
          const s = d.isFile ? io(`stat ${d.name}`, () => Deno.statSync(path(`${where}/${d.name}`)), null) : null;
          return s === null ? [] : [{ name: d.name, size: s.size, mtimeMs: s.mtime?.getTime() ?? 0 }];
        }),
      ),
    read: (name) => io<Uint8Array | undefined>(`read ${name}`, () => Deno.readFileSync(path(name)), undefined),
    writeAtomic: (name, data) =>
      io(`write ${name}`, () => {
        const tmp = path(name.replace(/[^/]*$/, `.tmp-${Deno.pid}-${Math.random().toString(36).slice(2)}`));
        const file = Deno.openSync(tmp, { write: true, createNew: true });
        try {
          for (let off = 0; off < data.length; ) off += file.writeSync(data.subarray(off));
          file.syncSync(); // the rename is atomic; the directory itself is not fsynced on Deno
        } finally {
          file.close();
        }
        Deno.renameSync(tmp, path(name));
      }),
    createExclusive: (name, data) => {
      try {
        return Deno.writeFileSync(path(name), data, { createNew: true }), true;
      } catch (e) {
        if (is(e, "AlreadyExists")) return false;
        throw fail(`create ${name}`, e);
      }
    },
    rename: (from, to) => io(`rename ${from}`, () => (Deno.renameSync(path(from), path(to)), true), false),
    remove: (name) => io(`delete ${name}`, () => (Deno.removeSync(path(name)), true), false),
    ...{ pid: Deno.pid, host, processAlive: () => undefined },
  };
}

/** What the Deno entry hands the writer. */
export const openDenoSpool: OpenSpool = (options, url) => openSpool(denoSpoolStorage(options.dir), options, url);
