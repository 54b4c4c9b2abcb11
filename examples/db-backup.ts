/**
 * A short-lived job, after client_golang's `db_backup` example (prometheus/push): it backs up a
 * database, then
 *  - pushes the time of its last successful completion to a Pushgateway, grouped by `instance`
 *    and `db`, so the value outlives the process and an alert can fire when it gets old;
 *  - sends what happened during the run (rows copied per table, time per table) by remote write,
 *    straight into the TSDB with the run's own timestamps.
 *
 * Run it against `promwire receive` with `npm run demo`, or against real servers:
 *   PROMWIRE_PUSHGATEWAY_URL=http://localhost:9091 \
 *   PROMWIRE_REMOTE_WRITE_URL=http://localhost:9090/api/v1/write \
 *   node scripts/run-ts.mjs examples/db-backup.ts
 * Credentials, when the endpoints need them: PROMWIRE_USERNAME / PROMWIRE_PASSWORD (Basic, e.g. a
 * managed Prometheus' APPID and token) or PROMWIRE_BEARER_TOKEN.
 */
import { hostname } from "node:os";
import { Counter, Gauge, Histogram, pushgateway, Registry, remoteWrite } from "promwire/node";

const instance = process.env.BACKUP_INSTANCE ?? hostname();
const db = process.env.BACKUP_DB ?? "customers";

// What the Pushgateway keeps: one gauge, in its own registry (a PUT replaces the whole group).
const lastRun = new Registry();
const completion = new Gauge({
  name: "db_backup_last_completion_timestamp_seconds",
  help: "The timestamp of the last successful completion of a DB backup.",
  registry: lastRun,
});

// What remote write records: the run itself.
const run = new Registry();
const rows = new Counter({ name: "db_backup_rows_copied_total", help: "Rows copied, per table.", labelNames: ["table"] as const, registry: run });
const duration = new Histogram({
  name: "db_backup_table_duration_seconds",
  help: "Time to copy one table.",
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registry: run,
});

// The "backup": fixed numbers so the demo's output is the same on every run.
const tables = [
  { table: "users", rows: 1_200, seconds: 0.12 },
  { table: "orders", rows: 5_400, seconds: 0.48 },
  { table: "invoices", rows: 800, seconds: 0.09 },
];
for (const t of tables) {
  rows.labels({ table: t.table }).inc(t.rows);
  duration.observe(t.seconds);
}
completion.setToCurrentTime();

// URL and credentials from PROMWIRE_REMOTE_WRITE_URL, PROMWIRE_USERNAME/PASSWORD or _BEARER_TOKEN.
const rw = remoteWrite({
  externalLabels: { job: "db_backup", instance, db },
  onError: (err, info) => console.error(`db-backup: ${info.samples} samples lost: ${err.message}`),
});
rw.collect(run);

// URL and credentials from PROMWIRE_PUSHGATEWAY_URL and the same credential variables.
const pg = pushgateway({
  job: "db_backup",
  // Without `instance`, backups of the same db from two hosts would overwrite each other's group.
  grouping: { instance, db },
});
let pushed = true;
try {
  await pg.push(lastRun);
} catch (err) {
  // HttpError (status, body), NetworkError, TimeoutError or ValidationError: one line is enough.
  pushed = false;
  console.error(`db-backup: Pushgateway push failed: ${(err as Error).message}`);
}

// A short-lived job must wait for its data before exiting: close() flushes, then stops.
const stats = await rw.close();
console.log(`db-backup: ${pushed ? "pushed the completion time" : "completion time NOT pushed"}; remote write sent ${stats.sent} samples, ${stats.failed} failed`);
process.exitCode = pushed && stats.failed + stats.dropped === 0 ? 0 : 1;
