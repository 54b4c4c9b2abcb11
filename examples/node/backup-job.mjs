// A nightly backup job on Node.js that reports how it went and exits: no scrape target needed.
//
//   PROMWIRE_REMOTE_WRITE_URL=http://localhost:9090/api/v1/write \
//   PROMWIRE_USERNAME=app PROMWIRE_PASSWORD=secret \
//   node examples/node/backup-job.mjs
//
// The writer reads its URL and credentials from the environment (no options given); the samples
// are queued, and the adapter delivers them when the job's event loop runs dry (`beforeExit`),
// or on SIGTERM/SIGINT before the signal takes effect. Set PROMWIRE_PUSHGATEWAY_URL to also push
// the same metrics to a Pushgateway.
import { hostname } from "node:os";
import { Counter, Gauge, Histogram, Registry, pushgateway, remoteWrite } from "promwire/node";

const registry = new Registry();
const rows = new Counter({ name: "backup_rows_copied_total", help: "Rows copied.", labelNames: ["table"], registry });
const duration = new Histogram({ name: "backup_table_duration_seconds", help: "Time per table.", buckets: [0.1, 1, 10, 60], registry });
const lastSuccess = new Gauge({ name: "backup_last_success_timestamp_seconds", help: "Last successful backup.", registry });

for (const [table, count] of [["users", 1200], ["orders", 8800]]) {
  const t0 = performance.now();
  rows.labels({ table }).inc(count); // … copy the table here
  duration.observe((performance.now() - t0) / 1000);
}
lastSuccess.setToCurrentTime();

const rw = remoteWrite({ externalLabels: { job: "db_backup", instance: hostname() } });
rw.collect(registry);

if (process.env.PROMWIRE_PUSHGATEWAY_URL) {
  await pushgateway({ job: "db_backup", grouping: { instance: hostname() } }).push(registry);
}
// Nothing else to do: the adapter flushes `rw` before the process exits.
