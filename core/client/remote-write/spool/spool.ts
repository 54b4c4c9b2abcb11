/**
 * A writer's spool: given-up requests kept in a directory, one file per request (format.ts), and
 * sent again — by this writer once the receiver is back, or by the next writer with the same
 * directory and target — oldest first, before anything newer. Runtime-agnostic: the file system
 * is a {@link SpoolStorage} the runtime hands in.
 *
 * Files are named `<time>-<writer>-<seq>-<target key>.spool`, so that sorting the names sorts
 * them oldest first (the time never goes backwards within a writer, and the sequence number
 * orders files of the same millisecond) and a writer finds its target's files without opening
 * any. A file is deleted only after a 2xx; a final 4xx moves it to `rejected/` with the status and
 * the start of the answer beside it (`<name>.json`); so does a file that cannot be read, with the
 * reason. The directory's size is bounded by `maxBytes`: the oldest files go first.
 */

import type * as Effect from "effect/Effect";
import type { PromwireError } from "../../../errors.ts";
import { ValidationError } from "../../../errors.ts";
import { CONTENT_TYPE } from "../../../wire/types.ts";
import { redactUrl } from "../../http/auth.ts";
import type { EncodedRequest } from "../batch.ts";
import type { SpoolOptions } from "../options.ts";
import type { SenderDeps } from "../sender.ts";
import type { WriterState } from "../state.ts";
import { encodeSpoolFile, crc32, parseSpoolFile, SpoolFormatError, type SpoolFileHeader } from "./format.ts";
import type { MetricFamily } from "../../../exposition/model.ts";
import type { EncodedRequest as Request } from "../batch.ts";
import type { DrainResult, SpoolAdded, SpoolHandle, SpoolReason } from "./handle.ts";
import { SpoolLock } from "./lock.ts";
import type { SpoolFileInfo, SpoolStorage } from "./storage.ts";

/** Default bound of a spool directory, bytes. */
export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
/** A lock not renewed for this long belongs to a process that is gone, ms (its owner renews it every third of that). */
export const DEFAULT_LOCK_STALE_MS = 30_000;
/** Temporary files older than this are left by a crash and removed, ms. */
const TEMP_STALE_MS = 10 * 60_000;

/** The spool's sending part (ahead.ts, drain.ts), loaded by {@link Spool.prepare}. */
type SpoolSending = typeof import("./ahead.ts") & typeof import("./drain.ts");

export const SPOOL_FILE = /^(\d{15})-([0-9a-f]{8})-(\d{9})-([0-9a-f]{8})\.spool$/;

/**
 * A target's identity in the spool: origin and path. Never credentials (they come from the
 * writer that sends), nor the query, which may hold a token.
 * @example spoolTarget(new URL("https://u:p@prom.example/api/v1/write?key=s")) // "https://prom.example/api/v1/write"
 */
export function spoolTarget(url: URL): string {
  return redactUrl(url);
}

/** The 8 hex digits of a target in file names (FNV-1a). */
export function targetKey(target: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < target.length; i++) h = Math.imul(h ^ target.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** What the drain does with a file it cannot deliver: beside it in `rejected/`. */
export interface RejectionNote {
  readonly reason: string;
  readonly status?: number;
  /** The start of the receiver's answer. */
  readonly body?: string;
  readonly rejectedAt: number;
  readonly target?: string;
  readonly samples?: number;
}

/** A spool file as `promwire spool ls` shows it. */
export interface SpoolListingEntry {
  readonly name: string;
  readonly size: number;
  readonly header?: SpoolFileHeader;
  /** Why it cannot be sent (it would be moved to `rejected/`). */
  readonly problem?: string;
  /** For files in `rejected/`: the note beside it. */
  readonly rejection?: RejectionNote;
}

/** Options with defaults applied, checked. */
function settings(options: SpoolOptions): { maxBytes: number; lockStaleMs: number } {
  const maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
  if (!(maxBytes > 0) || !Number.isFinite(maxBytes)) throw new ValidationError("option-invalid", `spool.maxBytes must be a positive number, got ${maxBytes}`);
  const lockStaleMs = options.lockStaleMs ?? DEFAULT_LOCK_STALE_MS;
  if (!(lockStaleMs > 0) || !Number.isFinite(lockStaleMs)) throw new ValidationError("option-invalid", `spool.lockStaleMs must be a positive number, got ${lockStaleMs}`);
  if (typeof options.dir !== "string" || options.dir === "") throw new ValidationError("option-invalid", "spool.dir must be a directory path");
  return { maxBytes, lockStaleMs };
}

/**
 * Open a writer's spool in `storage` for the receiver `url`. Creates the directory; throws
 * `SpoolError` when it cannot be used.
 * @example const spool = openSpool(nodeSpoolStorage(dir), { dir }, new URL(url));
 */
export function openSpool(storage: SpoolStorage, options: SpoolOptions, url: URL, now: () => number = Date.now): Spool {
  return new Spool(storage, options, url, now);
}

export class Spool implements SpoolHandle {
  readonly dir: string;
  readonly target: string;
  private readonly key: string;
  private readonly maxBytes: number;
  readonly lock: SpoolLock;
  /** Names this writer wrote: their samples are its own (counted in `sent` or `failed` when settled). */
  /** @internal */
  readonly own = new Set<string>();
  private readonly writerId = randomHex(4);
  private seq = 0;
  private lastTime = 0;
  /** Size of each spool file (every target), as last seen. */
  /** @internal */
  sizes = new Map<string, number>();
  private sending: SpoolSending | undefined;

  constructor(
    /** @internal */
    readonly storage: SpoolStorage,
    options: SpoolOptions,
    url: URL,
    private readonly now: () => number,
  ) {
    const s = settings(options);
    this.dir = options.dir;
    this.maxBytes = s.maxBytes;
    this.lock = new SpoolLock(storage, now, s.lockStaleMs);
    this.target = spoolTarget(url);
    this.key = targetKey(this.target);
    storage.ensureDirs();
    const t = now();
    for (const f of storage.list(".")) if (f.name.startsWith(".tmp-") && t - f.mtimeMs > TEMP_STALE_MS) storage.remove(f.name);
    this.files();
  }

  /** Spool files of every target, oldest first; refreshes the sizes. */
  private files(): SpoolFileInfo[] {
    const list = this.storage
      .list(".")
      .filter((f) => f.name.endsWith(".spool"))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.sizes = new Map(list.map((f) => [f.name, f.size]));
    return list;
  }

  /** This target's files (and files whose name does not say, which must be read), oldest first. */
  /** @internal */
  ours(): SpoolFileInfo[] {
    return this.files().filter((f) => {
      const m = SPOOL_FILE.exec(f.name);
      return m === null || m[4] === this.key;
    });
  }

  waiting(): boolean {
    return this.ours().length > 0;
  }

  usage(): { files: number; bytes: number } {
    let bytes = 0;
    for (const n of this.sizes.values()) bytes += n;
    return { files: this.sizes.size, bytes };
  }

  keep(state: WriterState, deps: SenderDeps, requests: readonly Request[], reason: SpoolReason, cause?: PromwireError): number {
    return this.loaded().keepInSpool(state, deps, this, requests, reason, cause);
  }

  step(state: WriterState, deps: SenderDeps): Effect.Effect<"again" | "exit"> {
    return this.loaded().spoolStep(state, deps, this);
  }

  families(state: WriterState): MetricFamily[] {
    const { files, bytes } = this.usage();
    const m = state.metrics;
    const one = (name: string, type: "gauge" | "counter", help: string, value: number): MetricFamily => ({ name, type, help, samples: [{ name, labels: [], value }] });
    return [
      one("promwire_spool_files", "gauge", "Files in the spool directory (every target).", files),
      one("promwire_spool_bytes", "gauge", "Bytes in the spool directory (every target).", bytes),
      one("promwire_spool_samples_written_total", "counter", "Samples written to the spool instead of being given up on.", m.spooled),
      one("promwire_spool_samples_resent_total", "counter", "Samples left in the spool by earlier writers, delivered.", m.resent),
      one("promwire_spool_samples_evicted_total", "counter", "Spooled samples deleted to keep the spool under its size limit.", m.evicted),
    ];
  }

  add(req: EncodedRequest, reason: SpoolReason, attempts: number, firstAttemptAt?: number): SpoolAdded {
    const header = this.headerOf(req, reason, attempts, firstAttemptAt);
    const data = encodeSpoolFile(header, req.body);
    const samples = header.samples + header.histograms;
    if (data.length > this.maxBytes) return { evicted: samples, written: false };
    let evicted = 0;
    if (this.usage().bytes + data.length > this.maxBytes) {
      // Others may have sent or evicted files meanwhile: look again before deleting anything.
      const list = this.files();
      let total = this.usage().bytes;
      for (const f of list) {
        if (total + data.length <= this.maxBytes) break;
        evicted += this.samplesIn(f.name);
        if (this.storage.remove(f.name)) total -= f.size;
        this.sizes.delete(f.name);
        this.own.delete(f.name);
      }
    }
    const t = Math.max(this.now(), this.lastTime);
    this.lastTime = t;
    const name = `${String(t).padStart(15, "0")}-${this.writerId}-${String(++this.seq).padStart(9, "0")}-${this.key}.spool`;
    this.storage.writeAtomic(name, data);
    this.sizes.set(name, data.length);
    this.own.add(name);
    return { evicted, written: true };
  }

  /** Samples in a file, from its header (0 when it cannot be read). */
  private samplesIn(name: string): number {
    const bytes = this.storage.read(name);
    if (bytes === undefined) return 0;
    try {
      const { header } = parseSpoolFile(bytes);
      return header.samples + header.histograms;
    } catch {
      return 0;
    }
  }

  private headerOf(req: EncodedRequest, reason: SpoolReason, attempts: number, firstAttemptAt: number | undefined): SpoolFileHeader {
    let oldest = Infinity;
    let newest = -Infinity;
    let enqueuedAt = Infinity;
    for (const e of req.entries) {
      enqueuedAt = Math.min(enqueuedAt, e.at);
      for (const list of [e.samples, e.histograms]) {
        if (list.length === 0) continue;
        oldest = Math.min(oldest, list[0].timestamp);
        newest = Math.max(newest, list[list.length - 1].timestamp);
      }
    }
    return {
      target: this.target,
      protocol: req.version,
      contentType: CONTENT_TYPE[req.version],
      contentEncoding: "snappy",
      series: req.entries.length,
      samples: req.floatSamples,
      histograms: req.histogramSamples,
      oldestSample: Number.isFinite(oldest) ? oldest : 0,
      newestSample: Number.isFinite(newest) ? newest : 0,
      enqueuedAt: Number.isFinite(enqueuedAt) ? enqueuedAt : this.now(),
      ...(firstAttemptAt === undefined ? {} : { firstAttemptAt }),
      attempts,
      reason,
      spooledAt: this.now(),
      bodyBytes: req.body.length,
      rawBytes: req.rawBytes,
      crc32: crc32(req.body),
    };
  }

  /** Move a file to `rejected/`, the note beside it (written first: a crash leaves the file in the spool, to be tried again). */
  reject(name: string, note: RejectionNote): void {
    this.storage.writeAtomic(`rejected/${name}.json`, new TextEncoder().encode(`${JSON.stringify(note, null, 2)}\n`));
    this.storage.rename(name, `rejected/${name}`);
    this.sizes.delete(name);
  }

  /**
   * Load the spool's sending part (drain, and the steps of the sender loop while the spool is
   * ahead): with Effect and the sender, it is loaded with the writer's sender, never at start-up.
   */
  async prepare(): Promise<void> {
    if (this.sending !== undefined) return;
    const [ahead, drain] = await Promise.all([import("./ahead.ts"), import("./drain.ts")]);
    this.sending = { ...ahead, ...drain };
  }

  private loaded(): SpoolSending {
    if (this.sending === undefined) throw new Error("promwire: the spool's sending part is not loaded (Spool.prepare() first)");
    return this.sending;
  }

  drain(state: WriterState, deps: SenderDeps): Effect.Effect<DrainResult> {
    return this.loaded().drainSpool(this, state, deps);
  }
}

/**
 * What a spool directory holds, for `promwire spool ls`: its files oldest first (each read and
 * checked), and the rejected ones with their notes.
 * @example const { files, rejected } = inspectSpool(nodeSpoolStorage(dir));
 */
export function inspectSpool(storage: SpoolStorage): { files: SpoolListingEntry[]; rejected: SpoolListingEntry[] } {
  const entry = (name: string, size: number, bytes: Uint8Array | undefined): SpoolListingEntry => {
    if (bytes === undefined) return { name, size, problem: "gone (sent or evicted meanwhile)" };
    try {
      return { name, size, header: parseSpoolFile(bytes).header };
    } catch (e) {
      if (e instanceof SpoolFormatError) return { name, size, problem: e.message };
      throw e;
    }
  };
  const byName = (a: SpoolFileInfo, b: SpoolFileInfo): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const files = storage
    .list(".")
    .filter((f) => f.name.endsWith(".spool"))
    .sort(byName)
    .map((f) => entry(f.name, f.size, storage.read(f.name)));
  const rejected = storage
    .list("rejected")
    .filter((f) => !f.name.endsWith(".json") && !f.name.startsWith("."))
    .sort(byName)
    .map((f) => {
      const e = entry(f.name, f.size, storage.read(`rejected/${f.name}`));
      const note = storage.read(`rejected/${f.name}.json`);
      let rejection: RejectionNote | undefined;
      try {
        rejection = note === undefined ? undefined : (JSON.parse(new TextDecoder().decode(note)) as RejectionNote);
      } catch {
        rejection = undefined;
      }
      return { ...e, ...(rejection === undefined ? {} : { rejection }) };
    });
  return { files, rejected };
}
