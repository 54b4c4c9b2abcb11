#!/usr/bin/env node
/**
 * The `promwire` command line. Errors print one line (cause, and for HTTP the status and a body
 * excerpt) and exit non-zero; exit 0 only when the data was accepted.
 */
// Only what every command needs is imported here; each command's code is loaded when it runs
// (`--help` and `encode` start without the transport, Effect or an HTTP server).
import { parseArgs, UsageError } from "./args.ts";
import { CONNECTION_HELP } from "./connection.ts";

const HELP: Record<string, string> = {
  "": `promwire — push Prometheus metrics from short-lived jobs

usage: promwire <command> [options]

commands:
  write     exposition page → remote write (Prometheus, VictoriaMetrics, Mimir, managed services)
  push      exposition page → Pushgateway group, replacing it (PUT)
  add       exposition page → Pushgateway group, replacing same-named metrics (POST)
  delete    delete a Pushgateway group (DELETE)
  run       run a command (a cron job, a script, pg_dump…) and push how it went when it ends
  receive   local debug receiver for remote write and Pushgateway pushes
  encode    exposition page → snappy remote-write request (stdout)
  decode    snappy remote-write request → readable series (or --json)
  bench     parse / encode / compress throughput on your page
  spool     send or list what write --spool kept when the receiver was away

Exit status: 0 when the data was accepted, 1 when it was not, 2 for a usage error, 3 when it was
not delivered but kept in the spool (write --spool DIR; sent first by the next write or spool send).
Run promwire <command> --help for the options of a command.`,
  write: `promwire write <url> [file|-] [--label k=v]... [--protocol v1|v2] [--format text|openmetrics] [--strict]
  Parses a Prometheus text or OpenMetrics page (a file, or standard input) and sends it by remote
  write to <url> (e.g. http://localhost:9090/api/v1/write). Samples without a timestamp get the
  current time. A page with the same series twice is refused. Exits 0 only when every sample was
  accepted. The whole page is checked before anything is sent; a large page is then sent in
  chunks, so memory stays flat whatever its size (standard input is copied to a temporary file
  for that).
  --label k=v          add a label to every series that does not already have it (repeatable)
  --protocol v1|v2     remote write 1.0 (default) or 2.0 (falls back to 1.0 if the receiver lacks it)
  --format F           input format; sniffed when not given
  --strict             refuse a page that breaks any rule of its format's spec (README: Strict parsing)
  --max-samples-per-request N   batch size (default 2000)
  --allow-empty        a page without samples is a success (nothing is sent) instead of an error
  --progress           show the progress line even when stderr is not a terminal
  --quiet              no retry notices and no summary line (errors are still printed)
  --spool DIR          keep what cannot be delivered (retries spent, Ctrl-C, SIGTERM) in DIR and
                       exit with status 3; a spool an earlier run left for this URL is sent first
                       (also PROMWIRE_SPOOL_DIR; see promwire spool --help)
  Up to 16 requests are in flight at once; each series' samples still arrive in order.
  Each failed attempt that will be retried prints one line (cause, next retry). Ctrl-C prints how
  many samples were not delivered (with --spool: how many were kept).

${CONNECTION_HELP}`,
  push: pushHelp("push", "PUT: replaces the whole group with the page's metrics."),
  add: pushHelp("add", "POST: replaces only the metrics of the same names in the group."),
  delete: `promwire delete <url> --job J [--grouping k=v]...
  DELETE the Pushgateway group job=J plus the grouping labels (Pushgateway answers 202, even for
  a group that does not exist).

${CONNECTION_HELP}`,
  run: `promwire run --job J (--pushgateway URL | --remote-write URL) [--grouping k=v]... [--every 30s] -- command [args...]
  Runs the command (its stdin, stdout and stderr are its own; SIGINT, SIGTERM, SIGHUP and SIGQUIT
  reach it) and, when it ends, sends in one request:
    J_last_run_timestamp_seconds      when the run ended
    J_last_success_timestamp_seconds  when it ended, only after exit 0 (a Pushgateway keeps the
                                      previous one through failed runs)
    J_duration_seconds, J_exit_code   (128+n when killed by signal n, 127 when not found)
    and every metric the command wrote, in the text format, to the file named in
    $PROMWIRE_METRICS_FILE (a malformed file is reported and left out; the rest is sent).
  J is the job name with characters other than [a-zA-Z0-9_:] replaced by _. Exits with the
  command's status, or dies of the signal that killed it; a failed push is reported on stderr and
  does not change that unless --fail-on-push-error. Silent on success (cron mails any output).
  --pushgateway URL       a Pushgateway (e.g. http://localhost:9091): group job=J, instance=<host>
                          and the --grouping labels; exit 0 replaces the group (PUT), a failed
                          run adds to it (POST), so the last success time survives
  --remote-write URL      a remote-write endpoint; job, instance and --grouping become labels
      Without either: PROMWIRE_PUSHGATEWAY_URL or PROMWIRE_REMOTE_WRITE_URL.
  --grouping k=v          grouping label (repeatable); instance defaults to this host's name, so
                          that the same job on two hosts does not overwrite one group
  --every 30s             while the command runs, push J_running 1 and J_elapsed_seconds this often
                          (at the end: J_running 0)
  --fail-on-push-error    exit 1 instead of 0 when the command succeeded but its metrics were not sent
  --verbose               one line on stderr when done: how it ended, what was sent where
  --protocol v1|v2        remote write 1.0 (default) or 2.0
  --body-format F         Pushgateway body: protobuf (default) or text

${CONNECTION_HELP}`,
  receive: `promwire receive [--port 9201] [--host 127.0.0.1] [--max-bytes N] [--quiet] [--save DIR]
  Prints every remote-write (POST /api/v1/write, v1 and v2) and Pushgateway (PUT/POST/DELETE
  /metrics/job/…) request it gets, decoded, with credentials masked. Binds to loopback unless told.
  Answers like a remote-write 2.0 receiver (X-Prometheus-Remote-Write-*-Written headers) and like
  a Pushgateway (200, DELETE 202); bad input gets 400/413/415 with the reason. Not a storage.
  --save DIR   also write each remote-write body, as received, to DIR (for promwire decode FILE)`,
  encode: `promwire encode [file|-] [--protocol v1|v2] [--format text|openmetrics] [--strict] [--label k=v]... [--raw]
  Parses the page and writes the snappy-compressed WriteRequest to stdout (--raw: uncompressed).`,
  decode: `promwire decode [file|-] [--json] [--raw] [--protocol v1|v2] [--max-bytes N]
  Reads a snappy-compressed (or --raw) WriteRequest, v1 or v2 (sniffed), and prints its series.`,
  spool: "",
  bench: `promwire bench [file]
  Parse, encode (v1 and v2) and compress throughput on your page, or on a built-in one.`,
};

function pushHelp(command: string, what: string): string {
  return `promwire ${command} <url> --job J [--grouping k=v]... [file|-] [--format text|openmetrics] [--strict] [--body-format protobuf|text]
  Sends a page to the Pushgateway at <url> (e.g. http://localhost:9091), group job=J plus the
  grouping labels. ${what} A page with the same series twice is refused.
  --grouping k=v       grouping label (repeatable); set instance=<host> when several machines push
                       the same job, or they overwrite each other's group
  --format F           input format; sniffed when not given
  --strict             refuse a page that breaks any rule of its format's spec (README: Strict parsing)
  --body-format F      what is sent: protobuf (default, as client_golang) or text 0.0.4
  --allow-empty        send a page without samples (a push then empties the group); refused otherwise
  --quiet              no retry notices and no summary line (errors are still printed)

${CONNECTION_HELP}`;
}

/** `spool`'s help lives with its code (loaded only when asked for). */
async function helpOf(command: string): Promise<string | undefined> {
  if (command === "spool") return (await import("./spool-command.ts")).SPOOL_HELP;
  return HELP[command];
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command = "", ...rest] = argv;
  const args = parseArgs(rest, ["json", "raw", "quiet", "help", "progress", "strict", "allow-empty", "fail-on-push-error", "verbose"]);
  if (command === "" || command === "help" || command === "--help" || command === "-h") {
    console.log(HELP[""]);
    return command === "" ? 2 : 0;
  }
  // (For `run`, a --help after `--` is the command's: parseArgs leaves it a positional.)
  if (args.flags.has("help")) {
    const help = await helpOf(command);
    console.log(help ?? HELP[""]);
    return help ? 0 : 2;
  }
  if (!(command in HELP)) throw new UsageError(`unknown command ${JSON.stringify(command)} (try promwire --help)`);
  // Snappy's WASM: registered now, compiled on the first compress or decompress.
  (await import("../core/wire/snappy-embedded.ts")).useEmbeddedSnappy();
  switch (command) {
    case "write":
      await (await import("./send-commands.ts")).writeCommand(args);
      return 0;
    case "push":
    case "add":
    case "delete":
      await (await import("./send-commands.ts")).pushgatewayCommand(command, args);
      return 0;
    case "receive":
      await (await import("./receive-command.ts")).receiveCommand(args);
      return 0;
    case "run":
      return (await import("./run-command.ts")).runCommand(rest);
    case "encode":
      await (await import("./commands.ts")).encodeCommand(args);
      return 0;
    case "decode":
      await (await import("./commands.ts")).decodeCommand(args);
      return 0;
    case "bench":
      await (await import("./bench-command.ts")).benchCommand(args);
      return 0;
    case "spool": {
      const spool = await import("./spool-command.ts");
      const [sub, ...rest] = args.positionals;
      const subArgs = { positionals: rest, flags: args.flags };
      if (sub === "send") await spool.spoolSendCommand(subArgs);
      else if (sub === "ls") spool.spoolLsCommand(subArgs);
      else throw new UsageError(`spool needs send or ls (got ${JSON.stringify(sub ?? "")}; try promwire spool --help)`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (try promwire --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as { name?: string; message?: string };
    process.stderr.write(`promwire: ${e?.name && e.name !== "Error" ? `${e.name}: ` : ""}${e?.message ?? String(err)}\n`);
    // PROMWIRE_DEBUG=1: the stack too, for bug reports (messages never carry credentials).
    if (process.env.PROMWIRE_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    // A command's own status (3: kept in the spool), else 1.
    const own = (err as { exitCode?: unknown } | null)?.exitCode;
    process.exitCode = err instanceof UsageError ? 2 : typeof own === "number" ? own : 1;
  },
);
