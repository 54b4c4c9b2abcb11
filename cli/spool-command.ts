/**
 * The CLI's spool: `--spool DIR` for `write` (what is not delivered is kept, exit status 3), and
 * `promwire spool send <url> --spool DIR` / `promwire spool ls --spool DIR`. The directory is the
 * library's (core/client/remote-write/spool), on node:fs (which Deno and Bun provide too).
 */
import { openNodeSpool, nodeSpoolStorage } from "../adapters/spool-node.ts";
import type { OpenSpool } from "../core/client/remote-write/effect-writer.ts";
import { inspectSpool, spoolTarget, type SpoolListingEntry } from "../core/client/remote-write/spool/spool.ts";
import { SpoolLock } from "../core/client/remote-write/spool/lock.ts";
import { DEFAULT_LOCK_STALE_MS } from "../core/client/remote-write/spool/spool.ts";
import { makeRemoteWriterInternals } from "../core/client/remote-write/writer.ts";
import { RejectedError, type PromwireError } from "../core/errors.ts";
import { checkFlags, flag, UsageError, type ParsedArgs } from "./args.ts";
import { checkUrl, CommandError, CONNECTION_FLAGS, connectionOf, describeFailure, parseDuration } from "./connection.ts";
import { delayText } from "./send-commands.ts";

/** Exit status when data was not delivered but is kept in the spool. */
export const EXIT_SPOOLED = 3;

/** Not delivered, but kept in the spool: exit status 3. */
export class SpooledError extends CommandError {
  readonly exitCode = EXIT_SPOOLED;
}

/** `--spool DIR`, else `PROMWIRE_SPOOL_DIR`; undefined when neither is given. */
export function spoolDirOf(args: ParsedArgs, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = flag(args, "spool") ?? env.PROMWIRE_SPOOL_DIR;
  if (dir === undefined || dir.trim() === "") return undefined;
  return dir;
}

/** How the CLI opens spool directories. */
export const cliOpenSpool: OpenSpool = openNodeSpool;

/** Errors about files an earlier run left: said, but not this command's failure. */
export function isEarlierRunsFile(e: PromwireError): boolean {
  return e instanceof RejectedError && (e.reason === "spool-rejected" || e.reason === "spool-invalid");
}

export const SPOOL_HELP = `promwire spool send <url> --spool DIR [--wait 30s] [connection options]
promwire spool ls --spool DIR [--json]
  A spool directory keeps what promwire write --spool DIR (or a program's remoteWrite with
  spool: { dir }) could not deliver, one file per request. The next write to the same URL with
  the same directory sends it first; spool send sends it now (the files for <url>, oldest first,
  each deleted once the receiver accepted it; a final 4xx moves a file to DIR/rejected/ with the
  answer beside it). spool ls shows what is there, the rejected files with their reasons.
  --wait D     spool send: how long to wait while another process is sending the same spool
  Exit status of spool send: 0 when nothing is left for <url>, 1 when a file was refused or
  unreadable (moved to rejected/), 3 when files are left (the receiver did not accept them).
  PROMWIRE_SPOOL_DIR is read when --spool is not given.`;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function time(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

function describeEntry(e: SpoolListingEntry): string {
  const h = e.header;
  if (h === undefined) return `${e.name}  ${e.size} bytes  UNREADABLE: ${e.problem}`;
  const samples = h.samples + h.histograms;
  const range = h.oldestSample === h.newestSample ? time(h.oldestSample) : `${time(h.oldestSample)} … ${time(h.newestSample)}`;
  return `${e.name}  ${h.target}  ${h.protocol}  ${plural(samples, "sample")} of ${h.series} series  ${range}  spooled ${time(h.spooledAt)} (${h.reason}${h.attempts > 0 ? `, ${plural(h.attempts, "attempt")}` : ""})`;
}

/** `promwire spool ls --spool DIR [--json]`. */
export function spoolLsCommand(args: ParsedArgs, print: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): void {
  checkFlags(args, ["spool", "json"]);
  if (args.positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const dir = spoolDirOf(args);
  if (dir === undefined) throw new UsageError("spool ls needs --spool DIR");
  const { files, rejected } = inspectSpool(nodeSpoolStorage(dir));
  if (flag(args, "json") === "true") {
    print(JSON.stringify({ dir, files, rejected }, null, 2));
    return;
  }
  const bytes = files.reduce((n, f) => n + f.size, 0);
  const samples = files.reduce((n, f) => n + (f.header ? f.header.samples + f.header.histograms : 0), 0);
  const targets = new Set(files.flatMap((f) => (f.header ? [f.header.target] : [])));
  print(`spool ${dir}: ${plural(files.length, "file")}, ${bytes} bytes, ${plural(samples, "sample")}${targets.size > 0 ? ` for ${[...targets].join(", ")}` : ""}`);
  for (const f of files) print(`  ${describeEntry(f)}`);
  if (rejected.length > 0) {
    print(`rejected (${plural(rejected.length, "file")}, kept in ${dir}/rejected/ until you delete them):`);
    for (const f of rejected) {
      const r = f.rejection;
      const why = r === undefined ? "no reason recorded" : `${r.status === undefined ? "" : `HTTP ${r.status}: `}${(r.body ?? r.reason).replace(/\s+/g, " ").slice(0, 200)}`;
      print(`  ${f.name}  ${f.header ? plural(f.header.samples + f.header.histograms, "sample") : `${f.size} bytes`}  ${why}`);
    }
  }
}

/** `promwire spool send <url> --spool DIR`: send this URL's files now. */
export async function spoolSendCommand(args: ParsedArgs, info: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<void> {
  checkFlags(args, ["spool", "wait", "quiet", ...CONNECTION_FLAGS]);
  const [url, extra] = args.positionals;
  const shown = checkUrl(url, "spool send");
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  const dir = spoolDirOf(args);
  if (dir === undefined) throw new UsageError("spool send needs --spool DIR");
  const waitMs = parseDuration(flag(args, "wait") ?? "30s", "--wait");
  const conn = connectionOf(args, 9);
  const storage = nodeSpoolStorage(dir);
  const target = spoolTarget(new URL(url!));
  const mine = (): SpoolListingEntry[] => inspectSpool(storage).files.filter((f) => f.header?.target === target || f.header === undefined);
  const before = mine();
  if (before.length === 0) {
    info(`spool ${dir}: nothing for ${shown}`);
    return;
  }
  // Another process sending this spool: wait for it (it may send our files too).
  const lock = new SpoolLock(storage, Date.now, DEFAULT_LOCK_STALE_MS);
  const deadline = Date.now() + waitMs;
  let said = false;
  const waitForHolder = async (): Promise<void> => {
    for (let h = lock.holder(); h !== undefined && !h.stale && Date.now() < deadline; h = lock.holder()) {
      if (!said) info(`spool ${dir} is being sent by process ${h.info?.pid ?? "?"}${h.info?.host ? ` on ${h.info.host}` : ""}: waiting up to ${waitMs / 1000} s`);
      said = true;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await waitForHolder();
  const errors: PromwireError[] = [];
  let resent = 0;
  let left: SpoolListingEntry[];
  for (;;) {
    const { writer } = makeRemoteWriterInternals(
      {
        url: url!,
        auth: conn.auth,
        headers: conn.headers,
        timeoutMs: conn.timeoutMs,
        retry: { maxAttempts: conn.maxAttempts },
        spool: { dir },
        onError: (e) => errors.push(e),
        onRetry: flag(args, "quiet") === "true" ? undefined : (r) => info(`promwire spool send: attempt ${r.attempt} failed (${describeFailure(r.error)}), retrying in ${delayText(r.delayMs)}`),
        log: () => {},
      },
      { openSpool: cliOpenSpool },
    );
    resent += (await writer.close()).resent;
    left = mine();
    // Two processes started together both found the spool free, and the other one took the lock
    // first: wait for it to end (it may send these files too), then look again.
    const h = lock.holder();
    if (left.length === 0 || h === undefined || h.stale || Date.now() >= deadline) break;
    await waitForHolder();
  }
  const refused = errors.filter(isEarlierRunsFile);
  const sentFiles = before.length - left.length - refused.length;
  if (flag(args, "quiet") !== "true" && sentFiles > 0) info(`sent ${plural(resent, "sample")} (${plural(sentFiles, "file")}) from the spool ${dir} to ${shown}`);
  for (const e of refused) info(`promwire spool send: ${describeFailure(e)}; moved to ${dir}/rejected/`);
  if (left.length > 0) {
    const lockNow = lock.holder();
    const why = lockNow !== undefined && !lockNow.stale ? `another process (${lockNow.info?.pid ?? "?"}) is sending the spool` : "the receiver did not accept them";
    throw new SpooledError(`spool send to ${shown}: ${plural(left.length, "file")} left in the spool ${dir} (${why})`);
  }
  if (refused.length > 0) throw new CommandError(`spool send to ${shown}: ${plural(refused.length, "file")} refused or unreadable, moved to ${dir}/rejected/ (promwire spool ls --spool ${dir} shows why)`);
}
