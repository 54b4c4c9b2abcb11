/** `promwire receive`: the local debug receiver (cli/receiver.ts) as a command. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkFlags, flag, UsageError, type ParsedArgs } from "./args.ts";
import { formatReceived } from "./format-series.ts";
import { startReceiver } from "./receiver.ts";

export async function receiveCommand(args: ParsedArgs): Promise<void> {
  checkFlags(args, ["port", "host", "max-bytes", "quiet", "save"]);
  const saveDir = flag(args, "save");
  if (saveDir !== undefined) mkdirSync(saveDir, { recursive: true });
  let saved = 0;
  const port = Number(flag(args, "port") ?? 9201);
  const host = flag(args, "host") ?? "127.0.0.1";
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError("--port must be 0..65535");
  const quiet = flag(args, "quiet") === "true";
  const rx = await startReceiver({
    port,
    host,
    maxBodyBytes: flag(args, "max-bytes") ? Number(flag(args, "max-bytes")) : undefined,
    onRequest: (r) => {
      if (!quiet) process.stdout.write(`${formatReceived(r)}\n`);
      if (saveDir !== undefined && r.kind === "remote-write") {
        // Raw bodies, for `promwire decode <file>` later.
        const file = join(saveDir, `write-${String(++saved).padStart(4, "0")}-${r.request.version}.snappy`);
        writeFileSync(file, r.body);
        process.stderr.write(`saved ${file}\n`);
      }
    },
    onReject: (path, status, reason) => process.stderr.write(`rejected ${path}: ${status} ${reason}\n`),
  });
  process.stderr.write(`promwire receive: listening on ${rx.url} (remote write: ${rx.url}/api/v1/write, Pushgateway: ${rx.url})\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      void rx.close().then(resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
