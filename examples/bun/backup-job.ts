// The backup job on Bun: the same code as on Node, importing `promwire/bun`.
//
//   PROMWIRE_REMOTE_WRITE_URL=http://localhost:9090/api/v1/write bun examples/bun/backup-job.ts
//
// Without options, remoteWrite() reads PROMWIRE_REMOTE_WRITE_URL, PROMWIRE_USERNAME /
// PROMWIRE_PASSWORD or PROMWIRE_BEARER_TOKEN, PROMWIRE_PROTOCOL and PROMWIRE_EXTERNAL_LABELS. The
// queued samples are delivered on `beforeExit`, or on SIGTERM/SIGINT before the signal acts.
import { hostname } from "node:os";
import { Counter, Gauge, Registry, remoteWrite } from "promwire/bun";

const registry = new Registry();
const rows = new Counter({ name: "backup_rows_copied_total", help: "Rows copied.", labelNames: ["table"] as const, registry });
const lastSuccess = new Gauge({ name: "backup_last_success_timestamp_seconds", help: "Last successful backup.", registry });

rows.labels({ table: "users" }).inc(1200);
rows.labels({ table: "orders" }).inc(8800);
lastSuccess.setToCurrentTime();

remoteWrite({ externalLabels: { job: "db_backup", instance: hostname() } }).collect(registry);
