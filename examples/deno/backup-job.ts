// The backup job on Deno. With the URL given on the command line it needs only network access:
//
//   deno run --allow-net examples/deno/backup-job.ts http://localhost:9090/api/v1/write
//
// Without an argument it reads PROMWIRE_REMOTE_WRITE_URL (and PROMWIRE_USERNAME /
// PROMWIRE_PASSWORD or PROMWIRE_BEARER_TOKEN, …) from the environment, which Deno must allow:
//
//   deno run --allow-net --allow-env=PROMWIRE_REMOTE_WRITE_URL,PROMWIRE_USERNAME,PROMWIRE_PASSWORD,PROMWIRE_BEARER_TOKEN,PROMWIRE_PROTOCOL,PROMWIRE_EXTERNAL_LABELS,PROMWIRE_TIMEOUT_MS,PROMWIRE_SPOOL_DIR examples/deno/backup-job.ts
//
// (without that permission, remoteWrite() throws an EnvPermissionError naming the flag). The
// queued samples are delivered on `beforeunload`, or on SIGTERM/SIGINT before the process exits.
// Published, the import is "jsr:@promwire/promwire/deno"; here it is the checkout's adapter.
import { Counter, Gauge, Registry, remoteWrite } from "../../adapters/deno.ts";

declare const Deno: { args: string[] };

const registry = new Registry();
const rows = new Counter({ name: "backup_rows_copied_total", help: "Rows copied.", labelNames: ["table"] as const, registry });
const lastSuccess = new Gauge({ name: "backup_last_success_timestamp_seconds", help: "Last successful backup.", registry });

rows.labels({ table: "users" }).inc(1200);
rows.labels({ table: "orders" }).inc(8800);
lastSuccess.setToCurrentTime();

const url = Deno.args[0];
remoteWrite({ ...(url === undefined ? {} : { url }), externalLabels: { job: "db_backup", instance: "deno-example" } }).collect(registry);
