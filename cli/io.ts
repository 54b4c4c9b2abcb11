/** Reading inputs for the CLI: a file path, or `-`/nothing for standard input. */
import { readFileSync } from "node:fs";

export async function readInput(path: string | undefined): Promise<Uint8Array> {
  if (path !== undefined && path !== "-") return new Uint8Array(readFileSync(path));
  if (process.stdin.isTTY) throw new Error("no input: give a file, or pipe data into standard input");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

export async function readTextInput(path: string | undefined): Promise<string> {
  return new TextDecoder("utf-8", { fatal: true }).decode(await readInput(path));
}
