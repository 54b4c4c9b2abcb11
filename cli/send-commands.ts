/**
 * The CLI commands that send: `write` (exposition page → remote write) and `push`/`add`/`delete`
 * (Pushgateway PUT/POST/DELETE). Each resolves only when the receiver accepted everything, and
 * throws a {@link CommandError} with one line otherwise.
 */
import type { Connect } from "../core/client/http/connection.ts";
import { lazyTransport, runtimeConnect } from "../core/client/http/runtime-connect.ts";
import { pushgateway } from "../core/client/pushgateway/client.ts";
import { remoteWrite } from "../core/client/remote-write/writer.ts";
import type { PromwireError } from "../core/errors.ts";
import { RejectedError } from "../core/errors.ts";
import type { MetricFamily } from "../core/exposition/model.ts";
import { parseExposition } from "../core/exposition/parse.ts";
import { checkFlags, flag, flagList, keyValues, UsageError, type ParsedArgs } from "./args.ts";
import { formatOf, pageToSeries, protocolOf } from "./commands.ts";
import { checkUrl, CommandError, CONNECTION_FLAGS, connectionOf, describeFailure } from "./connection.ts";
import { readTextInput } from "./io.ts";

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

/** `promwire write <url> [file|-]`: parse, then remote-write everything and wait for the answer. */
export async function writeCommand(args: ParsedArgs, out: Output = stderrOutput(flag(args, "progress") === "true")): Promise<void> {
  checkFlags(args, ["label", "protocol", "format", "quiet", "progress", "max-samples-per-request", ...CONNECTION_FLAGS]);
  const [url, file, extra] = args.positionals;
  const shown = checkUrl(url, "write");
  if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  const protocol = protocolOf(args);
  const conn = connectionOf(args, 9);
  const perRequest = Number(flag(args, "max-samples-per-request") ?? 2000);
  if (!Number.isInteger(perRequest) || perRequest <= 0) throw new UsageError("--max-samples-per-request must be a positive integer");
  const { series, metadata } = pageToSeries(await readTextInput(file), args, protocol);
  let total = 0;
  for (const s of series) total += (s.samples?.length ?? 0) + (s.histograms?.length ?? 0);
  if (total === 0) throw new CommandError("the input holds no samples: nothing was sent");

  const errors: PromwireError[] = [];
  const notices: string[] = [];
  const rw = remoteWrite(
    {
      url: url!,
      protocol,
      auth: conn.auth,
      proxy: conn.proxy,
      tls: conn.tls,
      headers: conn.headers,
      timeoutMs: conn.timeoutMs,
      retry: { maxAttempts: conn.maxAttempts },
      maxSamplesPerRequest: perRequest,
      // The whole page is queued at once: never drop any of it.
      maxPendingSamples: Math.max(100_000, total + perRequest),
      onError: (e) => errors.push(e),
      log: (m) => notices.push(m),
    },
    cliConnect,
  );
  const showProgress = out.progress !== undefined && total >= PROGRESS_THRESHOLD;
  const timer = showProgress
    ? setInterval(() => {
        const s = rw.stats();
        out.progress!(`promwire write: ${s.sent.toLocaleString("en")}/${total.toLocaleString("en")} samples sent, ${s.requests} requests${s.retries ? `, ${s.retries} retried` : ""}`);
      }, 250)
    : undefined;
  let stats;
  try {
    rw.write(series, metadata);
    stats = await rw.close();
  } finally {
    if (timer !== undefined) {
      clearInterval(timer);
      out.progress!("");
    }
  }
  for (const n of notices) out.info(n);
  if (errors.length > 0 || stats.failed > 0 || stats.dropped > 0 || stats.sent !== total) {
    const lost = total - stats.sent;
    const first = errors[0];
    const cause = first === undefined ? "" : first instanceof RejectedError && first.lastError !== undefined ? ` after ${first.attempts} attempt${first.attempts === 1 ? "" : "s"}: ${describeFailure(first.lastError)}` : `: ${describeFailure(first)}`;
    throw new CommandError(`write to ${shown} failed: ${lost} of ${total} sample${total === 1 ? "" : "s"} not delivered${cause}`);
  }
  if (flag(args, "quiet") !== "true") {
    out.info(
      `wrote ${total} samples of ${series.length} series to ${shown} in ${stats.requests} request${stats.requests === 1 ? "" : "s"} (remote write ${rw.protocol}${rw.protocol !== protocol ? ", after falling back from v2" : ""})`,
    );
  }
}

/** First backoff ceiling of a Pushgateway retry, ms: a person is waiting at the terminal. */
const PUSH_MIN_BACKOFF_MS = 200;

/** `promwire push|add|delete <url> --job J [--grouping k=v]… [file|-]`. */
export async function pushgatewayCommand(method: "push" | "add" | "delete", args: ParsedArgs, out: Output = stderrOutput(false)): Promise<void> {
  checkFlags(args, ["job", "grouping", "format", "body-format", "quiet", ...CONNECTION_FLAGS]);
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
      onRetry: ({ attempt, error, delayMs }) =>
        out.info(`promwire ${method}: attempt ${attempt} failed (${describeFailure(error)}), retrying in ${(delayMs / 1000).toFixed(1)} s`),
      log: (m) => out.info(m),
    },
    cliConnect,
  );
  const group = `{${Object.entries({ job, ...grouping })
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",")}}`;
  try {
    if (method === "delete") {
      await pg.delete();
      if (flag(args, "quiet") !== "true") out.info(`deleted group ${group} at ${shown}`);
      return;
    }
    const families: MetricFamily[] = parseExposition(await readTextInput(file), { format: formatOf(args) });
    const source = { collect: () => families };
    await (method === "push" ? pg.push(source) : pg.add(source));
    if (flag(args, "quiet") !== "true") {
      const samples = families.reduce((n, f) => n + f.samples.length + (f.nativeHistograms?.length ?? 0), 0);
      out.info(`${method === "push" ? "pushed (PUT, group replaced)" : "added (POST)"} ${families.length} families, ${samples} samples to group ${group} at ${shown}`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new CommandError(`${method} to ${shown} failed: ${describeFailure(err)}`);
  }
}
