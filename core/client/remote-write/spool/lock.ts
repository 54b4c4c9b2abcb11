/**
 * The spool's lock: one sender at a time per directory, so that no file is sent by two processes
 * at once (several may write into the directory freely: each file is written whole under a name
 * of its own). The lock is a file created exclusively, holding its owner's pid, host, a random
 * token and when it was last renewed. It is taken over when it is stale: not renewed for
 * `staleMs`, or its owner is a process of this host that no longer exists (`kill -9`). The owner
 * renews it while it sends, and checks the token before each file: if two processes ever took
 * over the same stale lock at once, the one that lost sees it and stops — at most one file is
 * then sent twice, which delivery tolerates (at-least-once).
 */

import type { SpoolStorage } from "./storage.ts";

/** The lock file's name in the spool directory. */
export const LOCK_FILE = "lock";

/** What the lock file holds. */
export interface LockInfo {
  readonly pid: number;
  readonly host?: string;
  readonly token: string;
  readonly acquiredAt: number;
  readonly renewedAt: number;
}

/** A lock this process holds. */
export interface HeldLock {
  /** Renew it; false when it is no longer ours (taken over as stale). */
  renew(): boolean;
  /** Give it up (if still ours). */
  release(): void;
}

function randomToken(): string {
  const b = new Uint8Array(8);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

function parse(bytes: Uint8Array | undefined): LockInfo | undefined {
  if (bytes === undefined) return undefined;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as LockInfo;
    return typeof v.pid === "number" && typeof v.token === "string" && typeof v.renewedAt === "number" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The lock of one spool directory. */
export class SpoolLock {
  constructor(
    private readonly storage: SpoolStorage,
    private readonly now: () => number,
    /** A lock not renewed for this long is stale, ms. */
    readonly staleMs: number,
  ) {}

  /** Who holds the lock now, if anyone (stale or not). */
  holder(): { readonly info: LockInfo | undefined; readonly stale: boolean } | undefined {
    const file = this.storage.list(".").find((f) => f.name === LOCK_FILE);
    if (file === undefined) return undefined;
    const info = parse(this.storage.read(LOCK_FILE));
    return { info, stale: this.isStale(info, file.mtimeMs) };
  }

  private isStale(info: LockInfo | undefined, mtimeMs: number): boolean {
    const t = this.now();
    // Unreadable (a crash between create and write): judged by the file's age.
    if (info === undefined) return t - mtimeMs > this.staleMs;
    if (t - info.renewedAt > this.staleMs) return true;
    const s = this.storage;
    if (info.host !== undefined && info.host === s.host && info.pid !== s.pid) return s.processAlive(info.pid) === false;
    return false;
  }

  /**
   * Take the lock if it is free or stale; undefined when a live process holds it (this one
   * included, through another writer).
   * @example const held = lock.acquire(); if (held) try { … } finally { held.release(); }
   */
  acquire(): HeldLock | undefined {
    const token = randomToken();
    const t = this.now();
    const info: LockInfo = { pid: this.storage.pid, ...(this.storage.host === undefined ? {} : { host: this.storage.host }), token, acquiredAt: t, renewedAt: t };
    const bytes = (i: LockInfo): Uint8Array => new TextEncoder().encode(`${JSON.stringify(i)}\n`);
    if (!this.storage.createExclusive(LOCK_FILE, bytes(info))) {
      const current = this.holder();
      if (current === undefined) return this.storage.createExclusive(LOCK_FILE, bytes(info)) ? this.held(info, bytes) : undefined;
      if (!current.stale) return undefined;
      // Take over: move the stale lock aside, check it is the one judged stale, create ours.
      const aside = `.stale-lock-${token}`;
      if (!this.storage.rename(LOCK_FILE, aside)) return undefined;
      const moved = parse(this.storage.read(aside));
      if (current.info !== undefined && moved?.token !== current.info.token) {
        // Someone took it over meanwhile: put theirs back and stay out.
        const back = this.storage.read(aside);
        if (back !== undefined) this.storage.createExclusive(LOCK_FILE, back);
        this.storage.remove(aside);
        return undefined;
      }
      this.storage.remove(aside);
      if (!this.storage.createExclusive(LOCK_FILE, bytes(info))) return undefined;
    }
    return this.held(info, bytes);
  }

  private held(info: LockInfo, bytes: (i: LockInfo) => Uint8Array): HeldLock {
    const ours = (): boolean => parse(this.storage.read(LOCK_FILE))?.token === info.token;
    return {
      renew: () => {
        if (!ours()) return false;
        this.storage.writeAtomic(LOCK_FILE, bytes({ ...info, renewedAt: this.now() }));
        return true;
      },
      release: () => {
        if (ours()) this.storage.remove(LOCK_FILE);
      },
    };
  }
}
