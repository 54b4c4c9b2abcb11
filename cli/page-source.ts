/**
 * Where a page comes from: a file, or standard input. A small page is read whole; a large one
 * stays on disk and is read as a stream as often as needed (once to check it, once to send it),
 * so memory does not grow with its size. Standard input can be read only once: a large one is
 * copied to a temporary file first, removed by {@link PageSource.close} (and on Ctrl-C).
 */
import { createReadStream, createWriteStream, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import { Utf8Check, notTextMessage } from "./utf8-check.ts";

/** How the CLI names standard input in messages. */
export const STDIN_NAME = "standard input";

/** Input that is not an exposition page's text, or cannot be read. One line, naming the input. */
export class InputError extends Error {
  override readonly name = "Error";
}

/** A page to read, whole or in pieces. */
export interface PageSource {
  /** The path as given, or "standard input". */
  readonly name: string;
  /** The whole page's bytes when it was small enough to read at once; else undefined. */
  readonly bytes: Uint8Array | undefined;
  /** Size in bytes (known once opened). */
  readonly size: number;
  /** Stream the bytes (again). Fails when a file changed since it was opened. */
  stream(): AsyncIterable<Uint8Array>;
  /** Up to the last `n` bytes, decoded loosely: enough to sniff `# EOF`. */
  tail(n: number): string;
  /** Remove the temporary copy of standard input, if any. Idempotent. */
  close(): void;
}

/** Temporary copies to remove if the process is interrupted. */
export const spoolFiles = new Set<string>();

/** Remove every temporary copy now (synchronously: called from a signal handler). */
export function removeSpoolFiles(): void {
  for (const dir of spoolFiles) rmSync(dir, { recursive: true, force: true });
  spoolFiles.clear();
}

/**
 * Read size: a few chunks (page-chunks.ts), so that most chunks lie within one piece and are a
 * slice of it rather than a copy; larger pieces measured more RSS (4 MiB: +60 MB on a 50 MB page).
 */
const PIECE = 1 << 20;

function readError(name: string, err: unknown): InputError {
  const e = err as NodeJS.ErrnoException;
  const why = e?.code === "ENOENT" ? "no such file" : e?.code === "EISDIR" ? "is a directory" : e?.code === "EACCES" ? "permission denied" : (e?.message ?? String(err));
  return new InputError(`${name}: cannot read: ${why}`);
}

function fileSource(name: string, path: string, stats: Stats, bytes: Uint8Array | undefined, onClose?: () => void): PageSource {
  let closed = false;
  return {
    name,
    bytes,
    size: stats.size,
    async *stream() {
      if (bytes !== undefined) {
        yield bytes;
        return;
      }
      const now = statSync(path);
      if (now.size !== stats.size || now.mtimeMs !== stats.mtimeMs) {
        throw new InputError(`${name}: changed while promwire was reading it (size ${stats.size} → ${now.size}): write the page to a file first, then send that file`);
      }
      if (stats.size === 0) return;
      // Read exactly the bytes checked before, even if the file grows meanwhile.
      yield* createReadStream(path, { highWaterMark: PIECE, end: stats.size - 1 }) as AsyncIterable<Buffer>;
    },
    tail(n) {
      if (bytes !== undefined) return new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - n)));
      const fd = openSync(path, "r");
      try {
        const len = Math.min(n, stats.size);
        const buf = Buffer.alloc(len);
        readSync(fd, buf, 0, len, stats.size - len);
        return new TextDecoder().decode(buf);
      } finally {
        closeSync(fd);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      onClose?.();
    },
  };
}

/**
 * Open a page: a path, or standard input for `-`/undefined. Pages up to `inMemory` bytes are read
 * at once (`bytes` set); larger ones are streamed from the file (standard input: from a copy).
 * @example const page = await openPage(file, 1 << 20); try { … } finally { page.close(); }
 */
export async function openPage(path: string | undefined, inMemory: number): Promise<PageSource> {
  if (path !== undefined && path !== "-") {
    let stats: Stats;
    try {
      stats = statSync(path);
      if (stats.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
      if (!stats.isFile()) {
        // A FIFO or /dev/stdin: readable once, like standard input.
        return await streamSource(path, createReadStream(path, { highWaterMark: PIECE }) as AsyncIterable<Buffer>, inMemory);
      }
      if (stats.size <= inMemory) {
        const fd = openSync(path, "r");
        try {
          const buf = new Uint8Array(stats.size);
          let off = 0;
          while (off < buf.length) {
            const n = readSync(fd, buf, off, buf.length - off, off);
            if (n === 0) break;
            off += n;
          }
          return fileSource(path, path, stats, buf.subarray(0, off));
        } finally {
          closeSync(fd);
        }
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw readError(path, err);
    }
    return fileSource(path, path, stats, undefined);
  }
  if (process.stdin.isTTY) throw new InputError("no input: give a file, or pipe data into standard input");
  return streamSource(STDIN_NAME, process.stdin as AsyncIterable<Buffer>, inMemory);
}

/** A stream readable once: kept in memory when small, else copied to a temporary file. */
async function streamSource(name: string, input: AsyncIterable<Buffer>, inMemory: number): Promise<PageSource> {
  const it = input[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    let r: IteratorResult<Buffer>;
    try {
      r = await it.next();
    } catch (err) {
      throw readError(name, err);
    }
    if (r.done) {
      const bytes = new Uint8Array(Buffer.concat(head, size));
      return { name, bytes, size, stream: async function* () { yield bytes; }, tail: (n) => new TextDecoder().decode(bytes.subarray(Math.max(0, size - n))), close() {} };
    }
    head.push(r.value);
    size += r.value.length;
    if (size > inMemory) break;
  }
  const dir = mkdtempSync(join(tmpdir(), "promwire-"));
  spoolFiles.add(dir);
  const file = join(dir, "page");
  async function* all(): AsyncGenerator<Buffer> {
    yield* head.splice(0);
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  try {
    await pipeline(all(), createWriteStream(file));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    spoolFiles.delete(dir);
    throw readError(name, err);
  }
  return fileSource(name, file, statSync(file), undefined, () => {
    rmSync(dir, { recursive: true, force: true });
    spoolFiles.delete(dir);
  });
}

/**
 * Decode a page's bytes to text pieces, checking as they come that they are UTF-8 text.
 * @example for await (const text of decodePage(page)) chunker.push(text);
 */
export async function* decodePage(page: PageSource): AsyncGenerator<string> {
  const check = new Utf8Check();
  const decoder = new TextDecoder("utf-8");
  let head: Uint8Array | undefined;
  const pieces = page.stream()[Symbol.asyncIterator]();
  for (;;) {
    let r: IteratorResult<Uint8Array>;
    try {
      r = await pieces.next();
    } catch (err) {
      throw err instanceof InputError ? err : readError(page.name, err);
    }
    if (r.done) break;
    const piece = r.value;
    head ??= piece.subarray(0, 4);
    const problem = check.push(piece);
    if (problem !== undefined) throw new InputError(notTextMessage(page.name, problem, head));
    yield decoder.decode(piece, { stream: true });
  }
  const problem = check.end();
  if (problem !== undefined) throw new InputError(notTextMessage(page.name, problem, head ?? new Uint8Array()));
  const rest = decoder.decode();
  if (rest !== "") yield rest;
}

/**
 * The whole input as checked text (for the commands that need it at once: push, add, encode).
 * @example const text = await readPageText(args.positionals[0]);
 */
export async function readPageText(path: string | undefined): Promise<string> {
  const page = await openPage(path, Number.POSITIVE_INFINITY);
  try {
    let text = "";
    for await (const piece of decodePage(page)) text += piece;
    return text;
  } finally {
    page.close();
  }
}
