/** Reading inputs for the CLI: a file path, or `-`/nothing for standard input. */
import { readFileSync } from "node:fs";
import { InputError, readPageText, STDIN_NAME } from "./page-source.ts";

/** The whole input as bytes (binary inputs: `decode`). */
export async function readInput(path: string | undefined): Promise<Uint8Array> {
  if (path !== undefined && path !== "-") {
    try {
      return new Uint8Array(readFileSync(path));
    } catch (err) {
      throw new InputError(`${path}: cannot read: ${(err as Error).message}`);
    }
  }
  if (process.stdin.isTTY) throw new InputError(`no input: give a file, or pipe data into ${STDIN_NAME}`);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * The whole input as text; bytes that are not UTF-8 text are refused naming the input and the
 * byte (`data.bin: not UTF-8 text at byte 12`).
 */
export const readTextInput: (path: string | undefined) => Promise<string> = readPageText;
