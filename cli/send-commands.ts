/**
 * The CLI commands that send: `write` (exposition page → remote write) and `push`/`add`/`delete`
 * (Pushgateway PUT/POST/DELETE). Each resolves only when the receiver accepted everything, and
 * throws a {@link CommandError} with one line otherwise.
 */
import type { Connect } from "../core/client/http/connection.ts";
import { lazyTransport, runtimeConnect } from "../core/client/http/runtime-connect.ts";
import { pushgateway } from "../core/client/pushgateway/client.ts";
import type { WriterStats } from "../core/client/remote-write/options.ts";
import type { RemoteWriter } from "../core/client/remote-write/remote-writer.ts";
import { makeRemoteWriterInternals } from "../core/client/remote-write/writer.ts";
import type { PromwireError } from "../core/errors.ts";
import { ParseError, RejectedError } from "../core/errors.ts";
import type { MetricFamily } from "../core/exposition/model.ts";
import { parseExposition } from "../core/exposition/parse.ts";
import type { MetricMetadata, ProtocolVersion, Series } from "../core/wire/types.ts";
import { checkFlags, flag, flagList, keyValues, UsageError, type ParsedArgs } from "./args.ts";
import { changedPage, checkPage, pageSeries, type PageCheck, type PageOptions } from "./chunked-page.ts";
import { parseOptionsOf, protocolOf } from "./commands.ts";
import { checkUrl, CommandError, CONNECTION_FLAGS, connectionOf, describeFailure, type Connection } from "./connection.ts";
import { clearInterruptReport, interruptReport } from "./interrupt.ts";
import { DEFAULT_CHUNK_CHARS } from "./page-chunks.ts";
import { InputError, openPage, readPageText, type PageSource } from "./page-source.ts";

/**
 * How the CLI connects: the Node transport for proxies and TLS (loaded only when one is used),
 * SigV4's AWS_* credentials from the environment.
 */
const cliConnect: Connect = runtimeConnect({
  getEnv: (name) => process.env[name],
  readsProxyEnv: true,
  transport: lazyTransport(() => import("../adapters/node-fetch.ts").then((m) => m.nodeFetch)),
});

/** Where one-line notices go (stderr); tests replace it. */
export interface Output {
  readonly info: (line: string) => void;
  /** A progress line, rewritten in place; undefined when stderr is not a terminal. */
  readonly progress?: (line: string) => void;
}

export function stderrOutput(force: boolean): Output {
  const tty = process.stderr.isTTY === true;
  return {
    info: (line) => process.stderr.write(`${line}\n`),
    progress: tty || force ? (line) => process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`) : undefined,
  };
}

/** Inputs at least this large (samples) get a progress line. */
export const PROGRESS_THRESHOLD = 10_000;

/** Wait before a retry, for people: "250 ms", "4.2 s". */
export function delayText(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const mb = (n: number): string => (n / 1e6).toFixed(1);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * `promwire write <url> [file|-]`: check the page, then remote-write it and wait for the answer.
 * A page larger than one chunk is read twice (checked fully, then sent chunk by chunk), so that
 * nothing is sent when any line is bad and memory stays flat whatever its size.
 */
export async function writeCommand(args: ParsedArgs, out: Output = stderrOutput(flag(args, "progress") === "true")): Promise<void> {
  checkFlags(args, ["label", "protocol", "format", "strict", "quiet", "progress", "max-samples-per-request", "allow-empty", "spool", ...CONNECTION_FLAGS]);
  const [url, file, extra] = args.positionals;
  const shown = checkUrl(url, "write");
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  const protocol = protocolOf(args);
  const conn = connectionOf(args, 9);
  const quiet = flag(args, "quiet") === "true";
  const perRequest = Number(flag(args, "max-samples-per-request") ?? 2000);
  if (!Number.isInteger(perRequest) || perRequest <= 0) throw new UsageError("--max-samples-per-request must be a positive integer");
  // The spool's code is loaded only when there is one.
  const spoolDir = flag(args, "spool") ?? (process.env.PROMWIRE_SPOOL_DIR || undefined);
  const spool = spoolDir === undefined ? undefined : { dir: spoolDir, cli: await import("./spool-command.ts") };
  const options: PageOptions = {
    parse: parseOptionsOf(args),
    version: protocol,
    externalLabels: keyValues(flagList(args, "label"), "--label"),
    // One time for every sample without a timestamp, however many chunks the page takes.
    timestamp: Date.now(),
  };
  interruptReport((signal) => `write interrupted (${signal}) while reading the input: nothing was sent`);
  let page: PageSource;
  try {
    page = await openPage(file, DEFAULT_CHUNK_CHARS);
  } catch (err) {
    clearInterruptReport();
    throw err;
  }
  try {
    const checking =
      out.progress !== undefined && page.bytes === undefined ? (chars: number) => out.progress!(`promwire write: checking the page, ${mb(chars)} of ${mb(page.size)} MB`) : undefined;
    const check = await checkPage(page, options, checking);
    if (checking !== undefined) out.progress!("");
    const total = check.samples;
    if (total === 0) {
      if (flag(args, "allow-empty") !== "true") throw new CommandError("the input holds no samples: nothing was sent (--allow-empty makes that a success)");
      if (!quiet) out.info("the input holds no samples: nothing to send");
      return;
    }
    await sendPage(page, check, options, { url: url!, shown, protocol, conn, perRequest, quiet, out, spool });
  } finally {
    page.close();
    clearInterruptReport();
  }
}

interface SendSettings {
  readonly url: string;
  readonly shown: string;
  readonly protocol: ProtocolVersion;
  readonly conn: Connection;
  readonly perRequest: number;
  readonly quiet: boolean;
  readonly out: Output;
  /** `--spool DIR`: what is not delivered is kept there (exit status 3). */
  readonly spool: { readonly dir: string; readonly cli: typeof import("./spool-command.ts") } | undefined;
}

/** Second pass: convert and enqueue chunk by chunk, at most two chunks' series held at once. */
async function sendPage(page: PageSource, check: PageCheck, options: PageOptions, s: SendSettings): Promise<void> {
  const total = check.samples;
  const errors: PromwireError[] = [];
  const notices: string[] = [];
  const spool = s.spool;
  const { writer: rw, spoolNow } = makeRemoteWriterInternals({
    url: s.url,
    protocol: s.protocol,
    auth: s.conn.auth,
    proxy: s.conn.proxy,
    tls: s.conn.tls,
    headers: s.conn.headers,
    timeoutMs: s.conn.timeoutMs,
    retry: { maxAttempts: s.conn.maxAttempts },
    maxSamplesPerRequest: s.perRequest,
    // Never drop any of the page: the chunk loop below bounds what is queued.
    maxPendingSamples: Math.max(100_000, total + s.perRequest),
    // One-off: no stale markers at close, so no need to remember every series (memory).
    trackSeries: false,
    // Files an earlier run left in the spool: said, not this write's failure.
    onError: (e) => (spool?.cli.isEarlierRunsFile(e) ? notices.push(`promwire write: ${describeFailure(e)} (left by an earlier run; moved to ${spool.dir}/rejected/)`) : errors.push(e)),
    onRetry: s.quiet ? undefined : (r) => s.out.info(`promwire write: attempt ${r.attempt} failed (${describeFailure(r.error)}), retrying in ${delayText(r.delayMs)}`),
    log: (m) => notices.push(m),
    ...(spool === undefined ? {} : { spool: { dir: spool.dir } }),
  }, { openSpool: spool?.cli.cliOpenSpool, connect: cliConnect });
  let enqueued = 0;
  interruptReport((signal) => {
    // With a spool, what is queued or in flight goes to it now (synchronously: the process ends next).
    spoolNow();
    const st = rw.stats();
    const lost = total - st.sent;
    if (spool !== undefined) {
      const kept = enqueued - st.sent - st.failed - st.dropped;
      const unread = total - enqueued;
      return `write interrupted (${signal}): ${lost} of ${plural(total, "sample")} not delivered to ${s.shown} (${st.sent} delivered); ${kept} kept in the spool ${spool.dir}${unread > 0 ? `, ${unread} not yet read from the input` : ""}`;
    }
    const inFlight = enqueued - st.sent - st.failed - st.pending;
    return `write interrupted (${signal}): ${lost} of ${plural(total, "sample")} not delivered to ${s.shown} (${st.sent} delivered${inFlight > 0 ? `; ${inFlight} more were in flight and may have arrived` : ""})`;
  });
  const showProgress = s.out.progress !== undefined && total >= PROGRESS_THRESHOLD;
  const timer = showProgress
    ? setInterval(() => {
        const st = rw.stats();
        s.out.progress!(`promwire write: ${st.sent.toLocaleString("en")}/${total.toLocaleString("en")} samples sent, ${st.requests} requests${st.retries ? `, ${st.retries} retried` : ""}`);
      }, 250)
    : undefined;
  let stats: WriterStats;
  let stopped: unknown;
  try {
    if (check.whole !== undefined) {
      rw.write(check.whole.series, check.whole.metadata);
      enqueued = total;
    } else {
      try {
        enqueued = await sendChunks(rw, page, check, options, s.perRequest, (n) => (enqueued = n), () => errors.length > 0);
      } catch (err) {
        stopped = err; // the page read differently: deliver what is queued, then say so
      }
    }
    stats = await rw.close();
  } finally {
    if (timer !== undefined) {
      clearInterval(timer);
      s.out.progress!("");
    }
  }
  for (const n of notices) s.out.info(n);
  if (stopped !== undefined) {
    throw new CommandError(`${stopped instanceof Error ? stopped.message : String(stopped)}; ${stats.sent} of ${plural(total, "sample")} were delivered to ${s.shown}`);
  }
  if (stats.resent > 0 && !s.quiet) s.out.info(`sent ${plural(stats.resent, "sample")} left in the spool ${spool?.dir} by an earlier run first`);
  if (errors.length > 0 || stats.failed > 0 || stats.dropped > 0 || stats.sent !== total) {
    const lost = total - stats.sent;
    const first = errors[0];
    const cause = first === undefined ? "" : first instanceof RejectedError && first.lastError !== undefined ? ` after ${plural(first.attempts, "attempt")}: ${describeFailure(first.lastError)}` : `: ${describeFailure(first)}`;
    if (spool !== undefined && errors.length === 0 && stats.failed === 0 && stats.dropped === 0 && stats.evicted === 0) {
      throw new spool.cli.SpooledError(
        `write to ${s.shown}: ${lost} of ${plural(total, "sample")} not delivered, kept in the spool ${spool.dir} (promwire spool send ${s.shown} --spool ${spool.dir} sends them; so does the next write with --spool ${spool.dir})`,
      );
    }
    const still = lost - stats.failed - stats.dropped - stats.evicted;
    const kept = spool !== undefined && still > 0 ? `; ${still} of them kept in the spool ${spool.dir}` : "";
    throw new CommandError(`write to ${s.shown} failed: ${lost} of ${plural(total, "sample")} not delivered${cause}${kept}`);
  }
  if (!s.quiet) {
    s.out.info(
      `wrote ${total} samples of ${check.series} series to ${s.shown} in ${plural(stats.requests, "request")} (remote write ${rw.protocol}${rw.protocol !== s.protocol ? ", after falling back from v2" : ""})`,
    );
  }
}

/**
 * Enqueue the page chunk by chunk. Backpressure: after enqueuing chunk k, wait until chunk k-1 is
 * delivered before parsing chunk k+1, so at most two chunks' series are alive. The tail of each
 * chunk that would make a short request is held back and sent with the next chunk, so requests
 * come out as full as when the page is sent whole. Stops early once a batch was given up on.
 * Returns the samples enqueued.
 */
async function sendChunks(
  rw: RemoteWriter,
  page: PageSource,
  check: PageCheck,
  options: PageOptions,
  perRequest: number,
  progress: (enqueued: number) => void,
  failed: () => boolean,
): Promise<number> {
  let enqueued = 0;
  let index = 0;
  let held: { series: Series[]; metadata: MetricMetadata[]; samples: number } | undefined;
  let previous: Promise<WriterStats> | undefined;
  for await (const c of pageSeries(page, options)) {
    if (c.samples !== check.perChunk[index]) throw changedPage(page, index);
    index++;
    if (held !== undefined) {
      rw.write(held.series, held.metadata);
      enqueued += held.samples;
      held = undefined;
    }
    let cut = c.series.length;
    let tail = 0;
    if (!c.chunk.last) {
      const short = (enqueued + c.samples) % perRequest;
      while (cut > 0 && tail < short) {
        cut--;
        const x = c.series[cut];
        tail += (x.samples?.length ?? 0) + (x.histograms?.length ?? 0);
      }
    }
    rw.write(cut === c.series.length ? c.series : c.series.slice(0, cut), c.metadata);
    enqueued += c.samples - tail;
    progress(enqueued);
    if (tail > 0) held = { series: c.series.slice(cut), metadata: c.metadata, samples: tail };
    const flushed = rw.flush();
    if (previous !== undefined) await previous;
    previous = flushed;
    if (failed()) return enqueued;
  }
  if (held !== undefined) {
    rw.write(held.series, held.metadata);
    enqueued += held.samples;
  }
  if (index !== check.perChunk.length) throw changedPage(page, index);
  return enqueued;
}

/** First backoff ceiling of a Pushgateway retry, ms: a person is waiting at the terminal. */
const PUSH_MIN_BACKOFF_MS = 200;

/** `promwire push|add|delete <url> --job J [--grouping k=v]… [file|-]`. */
export async function pushgatewayCommand(method: "push" | "add" | "delete", args: ParsedArgs, out: Output = stderrOutput(false)): Promise<void> {
  checkFlags(args, ["job", "grouping", "format", "strict", "body-format", "quiet", ...(method === "delete" ? [] : ["allow-empty"]), ...CONNECTION_FLAGS]);
  const [url, file, extra] = args.positionals;
  const shown = checkUrl(url, method);
  if (extra !== undefined || (method === "delete" && file !== undefined)) {
    throw new UsageError(`unexpected argument ${JSON.stringify(extra ?? file)}${method === "delete" ? " (delete sends no body)" : ""}`);
  }
  const job = flag(args, "job");
  if (job === undefined || job === "") throw new UsageError(`${method} needs --job NAME`);
  const grouping = keyValues(flagList(args, "grouping"), "--grouping");
  const bodyFormat = flag(args, "body-format") ?? "protobuf";
  if (bodyFormat !== "protobuf" && bodyFormat !== "text") throw new UsageError(`--body-format must be protobuf or text (got ${JSON.stringify(bodyFormat)})`);
  const conn = connectionOf(args, 2);
  const quiet = flag(args, "quiet") === "true";
  const pg = pushgateway(
    {
    url: url!,
    job,
    grouping,
    auth: conn.auth,
    proxy: conn.proxy,
    tls: conn.tls,
    headers: conn.headers,
    timeoutMs: conn.timeoutMs,
    format: bodyFormat,
    retry: { maxAttempts: conn.maxAttempts, minBackoffMs: PUSH_MIN_BACKOFF_MS },
    onRetry: quiet ? undefined : ({ attempt, error, delayMs }) => out.info(`promwire ${method}: attempt ${attempt} failed (${describeFailure(error)}), retrying in ${delayText(delayMs)}`),
    log: (m) => out.info(m),
  },
    cliConnect,
  );
  const group = `{${Object.entries({ job, ...grouping })
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;
  try {
    if (method === "delete") {
      interruptReport((signal) => `delete interrupted (${signal}): the DELETE of group ${group} at ${shown} was not confirmed (it may or may not have been applied)`);
      await pg.delete();
      if (!quiet) out.info(`deleted group ${group} at ${shown}`);
      return;
    }
    interruptReport((signal) => `${method} interrupted (${signal}) while reading the input: nothing was sent`);
    // A bad page is refused before any request, with the same ParseError `write` prints.
    const families: MetricFamily[] = parseExposition(await readPageText(file), parseOptionsOf(args));
    const samples = families.reduce((n, f) => n + f.samples.length + (f.nativeHistograms?.length ?? 0), 0);
    if (samples === 0 && flag(args, "allow-empty") !== "true") {
      // A PUT of nothing empties the group: never by accident (an empty file, a failed producer).
      throw new CommandError(
        `the input holds no samples: nothing was sent (${method === "push" ? `pushing it would empty group ${group}; give --allow-empty to do that, or use promwire delete to remove the group` : "give --allow-empty to send it anyway"})`,
      );
    }
    const verb = method === "push" ? "PUT" : "POST";
    interruptReport(
      (signal) =>
        `${method} interrupted (${signal}): ${plural(samples, "sample")} not confirmed delivered to group ${group} at ${shown} (the ${verb} was sent: the group may or may not have been ${method === "push" ? "replaced" : "updated"})`,
    );
    const source = { collect: () => families };
    await (method === "push" ? pg.push(source) : pg.add(source));
    if (!quiet) {
      out.info(`${method === "push" ? "pushed (PUT, group replaced)" : "added (POST)"} ${families.length} families, ${samples} samples to group ${group} at ${shown}`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof CommandError || err instanceof InputError || err instanceof ParseError) throw err;
    throw new CommandError(`${method} to ${shown} failed: ${describeFailure(err)}`);
  } finally {
    clearInterruptReport();
  }
}
