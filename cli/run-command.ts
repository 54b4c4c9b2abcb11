/**
 * `promwire run --job J (--pushgateway URL | --remote-write URL) [--every 30s] -- command args…`:
 * run any command — a shell script, `pg_dump`, a Python task started by cron — and push what a
 * batch job's dashboard and alerts need when it ends, in one request:
 *   J_last_run_timestamp_seconds, J_last_success_timestamp_seconds (after exit 0 only),
 *   J_duration_seconds, J_exit_code, and whatever the command wrote to the exposition file named
 *   in $PROMWIRE_METRICS_FILE (node_exporter's textfile collector, for one run).
 * The command's stdio is its own, SIGINT/SIGTERM/SIGHUP/SIGQUIT reach it, and `promwire run`
 * ends as the command did: the same exit status, or the same signal. Pushing never changes that
 * (a failed push is said on stderr) unless --fail-on-push-error.
 *
 * On a Pushgateway, the last success must survive a failed run, while everything else describes
 * the last run: a run that exited 0 replaces the group (PUT, stale metrics of earlier runs gone);
 * a run that failed adds (POST), which replaces only the metrics it sends and so keeps
 * J_last_success_timestamp_seconds from the last good run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { hostname, tmpdir, constants as osConstants } from "node:os";
import { join } from "node:path";
import { pushgateway } from "../core/client/pushgateway/client.ts";
import { validateFamilies } from "../core/client/pushgateway/effect-client.ts";
import { MIN_INTERVAL_MS, type PeriodicHandle } from "../core/client/periodic.ts";
import type { RemoteWriteOptions } from "../core/client/remote-write/options.ts";
import { remoteWrite } from "../core/client/remote-write/writer.ts";
import { PromwireError } from "../core/errors.ts";
import type { MetricFamily } from "../core/exposition/model.ts";
import { parseExposition } from "../core/exposition/parse.ts";
import { familiesToSeries } from "../core/exposition/to-series.ts";
import type { Collectable } from "../core/metrics/collectable.ts";
import { WriteRequestEncoder } from "../core/wire/encode.ts";
import { isValidLabelName } from "../core/wire/label-rules.ts";
import type { ProtocolVersion } from "../core/wire/types.ts";
import { checkFlags, flag, flagList, keyValues, parseArgs, UsageError, type ParsedArgs } from "./args.ts";
import { protocolOf } from "./commands.ts";
import { checkUrl, CONNECTION_FLAGS, connectionOf, describeFailure, parseDuration, type Connection } from "./connection.ts";
import { readPageText } from "./page-source.ts";

/** Flags of `run` that take no value. */
export const RUN_BOOLEANS = ["fail-on-push-error", "verbose", "help"] as const;

/** Largest metrics file read, bytes: a remote-write receiver's limit (Prometheus: 32 MiB). */
const MAX_METRICS_FILE_BYTES = 32 * 1024 * 1024;

/** Signals passed on to the command while it runs. */
const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;
/**
 * Signals a terminal sends to its whole foreground process group (Ctrl-C, Ctrl-\, hang-up): when
 * standard input is a terminal the command got them already, and a second copy would turn one
 * Ctrl-C into two (many programs take the second as "quit now, skip the cleanup").
 */
const FROM_TERMINAL = new Set<string>(["SIGINT", "SIGQUIT", "SIGHUP"]);
/** Signals `promwire run` can die of the way the command did (re-raised at itself). */
const REraisable = new Set<string>(["SIGINT", "SIGTERM", "SIGHUP", "SIGKILL", "SIGALRM", "SIGUSR2", "SIGVTALRM", "SIGPROF"]);

/** Where `run`'s own lines go (stderr); tests replace it. */
export interface RunOutput {
  readonly info: (line: string) => void;
}

/** How the command ended. */
interface Ending {
  /** The exit status, or 128+n for a signal (as a shell reports it); 127/126 when it could not start. */
  readonly code: number;
  readonly signal: NodeJS.Signals | undefined;
}

interface Target {
  readonly kind: "pushgateway" | "remote-write";
  readonly url: string;
  readonly shown: string;
}

/**
 * A job name as a metric-name prefix: Prometheus' metric names allow `[a-zA-Z_:][a-zA-Z0-9_:]*`,
 * so any other character becomes `_` (`db-backup` → `db_backup`), and a leading digit gets one.
 * @example metricPrefix("db-backup.nightly") // "db_backup_nightly"
 */
export function metricPrefix(job: string): string {
  const p = job.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[0-9]/.test(p) ? `_${p}` : p;
}

function gauge(name: string, help: string, value: number): MetricFamily {
  return { name, type: "gauge", help, samples: [{ name, labels: [], value }] };
}

/** The run's own metrics. `success` decides whether the last-success time is among them. */
export function runFamilies(prefix: string, r: { readonly endedAtMs: number; readonly durationS: number; readonly code: number; readonly heartbeat: boolean }): MetricFamily[] {
  const out = [
    gauge(`${prefix}_last_run_timestamp_seconds`, "When the last run of the command ended, Unix time.", r.endedAtMs / 1000),
    gauge(`${prefix}_duration_seconds`, "How long the last run of the command took.", r.durationS),
    gauge(`${prefix}_exit_code`, "Exit status of the last run: 128+n when killed by signal n, 127 when not found, 126 when not executable.", r.code),
  ];
  if (r.code === 0) out.push(gauge(`${prefix}_last_success_timestamp_seconds`, "When the last run that exited 0 ended, Unix time.", r.endedAtMs / 1000));
  if (r.heartbeat) {
    out.push(gauge(`${prefix}_running`, "1 while the command runs, 0 once it ended.", 0));
    out.push(gauge(`${prefix}_elapsed_seconds`, "Seconds since the command started (the last run's duration once it ended).", r.durationS));
  }
  return out;
}

function heartbeatFamilies(prefix: string, elapsedS: number): MetricFamily[] {
  return [
    gauge(`${prefix}_running`, "1 while the command runs, 0 once it ended.", 1),
    gauge(`${prefix}_elapsed_seconds`, "Seconds since the command started (the last run's duration once it ended).", elapsedS),
  ];
}

/** The run's settings from the command line. */
interface RunSettings {
  readonly command: readonly string[];
  readonly job: string;
  readonly prefix: string;
  /** Grouping labels (Pushgateway) or external labels besides `job` (remote write); `instance` included. */
  readonly grouping: Record<string, string>;
  readonly target: Target;
  readonly everyMs: number | undefined;
  readonly failOnPushError: boolean;
  readonly verbose: boolean;
  readonly protocol: ProtocolVersion;
  readonly bodyFormat: "protobuf" | "text";
  readonly conn: Connection;
}

function settingsOf(argv: readonly string[], env: NodeJS.ProcessEnv): RunSettings {
  const cut = argv.indexOf("--");
  if (cut < 0) throw new UsageError("run needs the command after --, e.g. promwire run --job backup --pushgateway http://localhost:9091 -- pg_dump mydb");
  const command = argv.slice(cut + 1);
  if (command.length === 0 || command[0] === "") throw new UsageError("run needs a command after --");
  const args: ParsedArgs = parseArgs(argv.slice(0, cut), RUN_BOOLEANS);
  checkFlags(args, ["job", "grouping", "pushgateway", "remote-write", "every", "fail-on-push-error", "verbose", "protocol", "body-format", ...CONNECTION_FLAGS]);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])} before -- (the command goes after --)`);
  const job = flag(args, "job");
  if (job === undefined || job === "") throw new UsageError("run needs --job NAME");
  const grouping = keyValues(flagList(args, "grouping"), "--grouping");
  for (const name of Object.keys(grouping)) {
    if (name === "job") throw new UsageError("--grouping job=… is --job");
    if (!isValidLabelName(name, "legacy")) throw new UsageError(`--grouping ${JSON.stringify(name)} is not a valid label name`);
  }
  if (grouping.instance === "") throw new UsageError("--grouping instance= must not be empty (leave it out: it defaults to the host name)");
  // Without `instance`, the same job on two hosts overwrites one group (Pushgateway) or writes
  // one series from two places (remote write). The host name is what cron jobs differ by.
  grouping.instance ??= hostname();
  const pg = flag(args, "pushgateway") ?? (flag(args, "remote-write") === undefined ? nonEmpty(env.PROMWIRE_PUSHGATEWAY_URL) : undefined);
  const rw = flag(args, "remote-write") ?? (flag(args, "pushgateway") === undefined ? nonEmpty(env.PROMWIRE_REMOTE_WRITE_URL) : undefined);
  if (pg !== undefined && rw !== undefined) {
    throw new UsageError(
      flag(args, "pushgateway") !== undefined && flag(args, "remote-write") !== undefined
        ? "give --pushgateway or --remote-write, not both"
        : "both PROMWIRE_PUSHGATEWAY_URL and PROMWIRE_REMOTE_WRITE_URL are set: choose with --pushgateway or --remote-write",
    );
  }
  if (pg === undefined && rw === undefined) throw new UsageError("run needs --pushgateway URL or --remote-write URL (or PROMWIRE_PUSHGATEWAY_URL / PROMWIRE_REMOTE_WRITE_URL)");
  const target: Target = pg !== undefined ? { kind: "pushgateway", url: pg, shown: checkUrl(pg, "run") } : { kind: "remote-write", url: rw!, shown: checkUrl(rw, "run") };
  const every = flag(args, "every");
  const bodyFormat = flag(args, "body-format") ?? "protobuf";
  if (bodyFormat !== "protobuf" && bodyFormat !== "text") throw new UsageError(`--body-format must be protobuf or text (got ${JSON.stringify(bodyFormat)})`);
  if (target.kind === "remote-write" && flag(args, "body-format") !== undefined) throw new UsageError("--body-format is for --pushgateway");
  if (target.kind === "pushgateway" && flag(args, "protocol") !== undefined) throw new UsageError("--protocol is for --remote-write");
  return {
    command,
    job,
    prefix: metricPrefix(job),
    grouping,
    target,
    everyMs: every === undefined ? undefined : atLeast(parseDuration(every, "--every"), MIN_INTERVAL_MS, "--every"),
    failOnPushError: flag(args, "fail-on-push-error") === "true",
    verbose: flag(args, "verbose") === "true",
    protocol: protocolOf(args),
    bodyFormat,
    conn: connectionOf(args, target.kind === "pushgateway" ? 2 : 9, env),
  };
}

function atLeast(ms: number, min: number, what: string): number {
  if (ms < min) throw new UsageError(`${what} must be at least ${min} ms`);
  return ms;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

/** Start the command; resolves when it ended, however it ended. */
function runChild(command: readonly string[], env: NodeJS.ProcessEnv, out: RunOutput): { child: ChildProcess | undefined; ended: Promise<Ending> } {
  let child: ChildProcess;
  try {
    child = spawn(command[0], command.slice(1), { stdio: "inherit", env });
  } catch (err) {
    out.info(`promwire run: cannot run ${JSON.stringify(command[0])}: ${(err as Error).message}`);
    return { child: undefined, ended: Promise.resolve({ code: 126, signal: undefined }) };
  }
  const ended = new Promise<Ending>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      // The command could not start: the shell's statuses for "not found" and "not executable".
      const code = err.code === "ENOENT" ? 127 : 126;
      out.info(`promwire run: cannot run ${JSON.stringify(command[0])}: ${err.code === "ENOENT" ? "command not found" : err.message}`);
      resolve({ code, signal: undefined });
    });
    child.once("exit", (code, signal) => {
      if (signal !== null) resolve({ code: 128 + (osConstants.signals[signal] ?? 0), signal });
      else resolve({ code: code ?? 1, signal: undefined });
    });
  });
  return { child, ended };
}

/** The child's metrics file: families to send, or the reason they are not sent. */
export async function readMetricsFile(
  path: string,
  check: (families: MetricFamily[]) => void,
): Promise<{ readonly families: MetricFamily[] } | { readonly problem: string } | undefined> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return undefined; // the command wrote none
  }
  if (size > MAX_METRICS_FILE_BYTES) return { problem: `it is ${size} bytes, more than the ${MAX_METRICS_FILE_BYTES} read` };
  try {
    // One value per series and time, as `write` and `push` check pages.
    const families = parseExposition(await readPageText(path), { uniqueSeries: true });
    check(families);
    return { families };
  } catch (err) {
    return { problem: err instanceof PromwireError ? `${err.message}` : (err as Error).message };
  }
}

/** Refuse a metrics file whose families would collide with the run's own. */
function checkOwnNames(families: readonly MetricFamily[], prefix: string): void {
  const own = new Set(runFamilies(prefix, { endedAtMs: 0, durationS: 0, code: 0, heartbeat: true }).map((f) => f.name));
  for (const f of families) if (own.has(f.name)) throw new Error(`it defines ${f.name}, one of the metrics promwire run sends itself`);
}

/** The remote-write options of `run` (the one place a spool directory would be added). */
function remoteWriteOptionsOf(s: RunSettings, onError: RemoteWriteOptions["onError"], log: (line: string) => void): RemoteWriteOptions {
  return {
    url: s.target.url,
    protocol: s.protocol,
    auth: s.conn.auth,
    headers: s.conn.headers,
    timeoutMs: s.conn.timeoutMs,
    retry: { maxAttempts: s.conn.maxAttempts },
    externalLabels: { ...s.grouping, job: s.job },
    // The end of a run goes in one request, unless it is larger than the request size limit
    // (4 MiB uncompressed): a metrics file of up to this many samples rides along.
    maxSamplesPerRequest: 50_000,
    maxPendingSamples: 2_000_000,
    trackSeries: false,
    onError,
    log,
  };
}

/**
 * `promwire run …`: returns the exit status to end with; a command killed by a signal makes the
 * process die of the same signal instead (or exit 128+n where that cannot be re-raised).
 */
export async function runCommand(argv: readonly string[], out: RunOutput = { info: (l) => process.stderr.write(`${l}\n`) }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const s = settingsOf(argv, env);
  const dir = mkdtempSync(join(tmpdir(), "promwire-run-"));
  const cleanUp = (): void => rmSync(dir, { recursive: true, force: true });
  let result: { ending: Ending; code: number };
  try {
    result = await runIn(s, join(dir, "metrics.prom"), out, env, cleanUp);
  } finally {
    cleanUp();
  }
  finish(result.ending);
  return result.code;
}

async function runIn(s: RunSettings, metricsFile: string, out: RunOutput, env: NodeJS.ProcessEnv, cleanUp: () => void): Promise<{ ending: Ending; code: number }> {
  const startedAtMs = Date.now();
  const t0 = performance.now();
  const errors: string[] = [];
  const noteError = (line: string): void => {
    errors.push(line);
    out.info(`promwire run: ${line}`);
  };
  const log = (line: string): void => out.info(line);
  const pg =
    s.target.kind === "pushgateway"
      ? pushgateway({
          url: s.target.url,
          job: s.job,
          grouping: s.grouping,
          auth: s.conn.auth,
          headers: s.conn.headers,
          timeoutMs: s.conn.timeoutMs,
          format: s.bodyFormat,
          retry: { maxAttempts: s.conn.maxAttempts, minBackoffMs: 200 },
          log,
        })
      : undefined;
  let rwFailure: string | undefined;
  const rw = s.target.kind === "remote-write" ? remoteWrite(remoteWriteOptionsOf(s, (e) => (rwFailure ??= describeFailure(e)), log)) : undefined;

  // What the heartbeat (--every) sends while the command runs, then — on remote write, as the
  // handle's final run, so that its timestamp is after every heartbeat's — the run's results.
  let results: MetricFamily[] | undefined;
  const heartbeat: Collectable = { collect: () => results ?? heartbeatFamilies(s.prefix, (performance.now() - t0) / 1000) };
  let beat: PeriodicHandle | undefined;
  if (s.everyMs !== undefined) {
    // Uses the library's periodic pushes: POST on a Pushgateway, so that a heartbeat never
    // removes the group's last success. Failures are said once per streak, never fatal.
    const onError = (e: unknown): void => out.info(`promwire run: heartbeat to ${s.target.shown} failed: ${describeFailure(e)}`);
    beat = pg !== undefined ? pg.pushEvery(heartbeat, s.everyMs, { method: "add", onError }) : rw!.collectEvery(heartbeat, s.everyMs, { onError });
  }

  const terminal = process.stdin.isTTY === true;
  // Forwarding is in place before the command starts: a signal that comes while it is being
  // started (the command may already have printed its first line) is delivered once it runs,
  // instead of ending promwire run with the command orphaned.
  let child: ChildProcess | undefined;
  let early: NodeJS.Signals | undefined;
  const forward = (signal: NodeJS.Signals): void => {
    if (terminal && FROM_TERMINAL.has(signal)) return;
    if (child === undefined) {
      early ??= signal;
      return;
    }
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  const started = runChild(s.command, { ...env, PROMWIRE_METRICS_FILE: metricsFile }, out);
  child = started.child;
  const ended = started.ended;
  if (early !== undefined) forward(early);
  let ending: Ending;
  try {
    ending = await ended;
  } finally {
    for (const sig of FORWARDED) process.removeListener(sig, forward);
  }
  const durationS = (performance.now() - t0) / 1000;
  const endedAtMs = startedAtMs + durationS * 1000;

  // While the results are sent, a signal gives up on them: the command's ending is what counts.
  const giveUp = (signal: NodeJS.Signals): void => {
    out.info(`promwire run: ${signal} while sending the run's metrics to ${s.target.shown}: not sent`);
    cleanUp();
    finish(ending);
    process.exit(ending.code);
  };
  for (const sig of FORWARDED) process.once(sig, giveUp);
  try {
    const check =
      pg !== undefined
        ? (families: MetricFamily[]) => {
            checkOwnNames(families, s.prefix);
            validateFamilies(families, s.grouping);
          }
        : (families: MetricFamily[]) => {
            checkOwnNames(families, s.prefix);
            const { series, duplicates } = familiesToSeries(families, { externalLabels: { ...s.grouping, job: s.job }, version: s.protocol });
            if (duplicates > 0) throw new Error(`${duplicates} of its samples would land on the same series as another once the job and grouping labels are added`);
            new WriteRequestEncoder().encode(series, { version: s.protocol });
          };
    const file = await readMetricsFile(metricsFile, check);
    if (file !== undefined && "problem" in file) noteError(`the metrics file the command wrote ($PROMWIRE_METRICS_FILE) was not sent: ${file.problem}`);
    const fromFile = file !== undefined && "families" in file ? file.families : [];
    const families = [...runFamilies(s.prefix, { endedAtMs, durationS, code: ending.code, heartbeat: beat !== undefined }), ...fromFile];
    const source: Collectable = { collect: () => families };
    let sent: string | undefined;
    if (pg !== undefined) {
      await beat?.stop({ final: false });
      try {
        // Success replaces the group; a failure adds, keeping the last success of earlier runs.
        if (ending.code === 0) await pg.push(source);
        else await pg.add(source);
        sent = `${ending.code === 0 ? "pushed (PUT)" : "added (POST)"} to ${pg.url}`;
      } catch (err) {
        noteError(`push to ${s.target.shown} failed: ${describeFailure(err)}`);
      }
    } else {
      results = families;
      if (beat !== undefined) await beat.stop();
      else rw!.collect(source);
      const stats = await rw!.close();
      if (rwFailure !== undefined || stats.failed > 0 || stats.dropped > 0) noteError(`remote write to ${s.target.shown} failed: ${rwFailure ?? `${stats.failed + stats.dropped} samples not delivered`}`);
      else sent = `written to ${s.target.shown}`;
    }
    if (s.verbose && sent !== undefined) {
      const samples = families.reduce((n, f) => n + f.samples.length, 0);
      out.info(
        `promwire run: ${JSON.stringify(s.command[0])} ${ending.signal !== undefined ? `killed by ${ending.signal}` : `exited ${ending.code}`} after ${durationS.toFixed(1)} s; ${samples} samples (${fromFile.length} families from the metrics file) ${sent}`,
      );
    }
  } finally {
    for (const sig of FORWARDED) process.removeListener(sig, giveUp);
    await beat?.stop({ final: false });
    await rw?.close();
  }
  return { ending, code: s.failOnPushError && errors.length > 0 && ending.code === 0 ? 1 : ending.code };
}

/**
 * End as the command ended, when a signal ended it: die of the same signal (a parent such as a
 * shell script then stops too, as it would have for the command itself) — except for signals
 * that dump core or that the runtime keeps for itself, which end with status 128+n instead.
 */
function finish(ending: Ending): void {
  if (ending.signal === undefined || !REraisable.has(ending.signal)) return;
  for (const sig of FORWARDED) process.removeAllListeners(sig);
  process.kill(process.pid, ending.signal);
  // Where re-raising does not end the process at once: exit with the shell's number for it.
  setTimeout(() => process.exit(ending.code), 200).unref();
}
