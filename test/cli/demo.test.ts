// `npm run demo` (examples/db-backup-demo.mjs): the receiver in-process, the example job as a
// separate process, and what arrived printed. No external server.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "./run-cli.ts";

describe("npm run demo", () => {
  it("shows the Pushgateway push and the remote-write request of the db-backup job, exit 0", () => {
    const r = spawnSync(process.execPath, ["examples/db-backup-demo.mjs"], { cwd: ROOT, encoding: "utf8", timeout: 60_000, env: { ...process.env, BACKUP_INSTANCE: "demo-test" } });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/PUT \/metrics\/job\/db_backup\/db\/customers\/instance\/demo-test → Pushgateway group \{job="db_backup",db="customers",instance="demo-test"\}/);
    expect(out).toMatch(/^ {2}db_backup_last_completion_timestamp_seconds \d{10}\.?\d*$/m);
    expect(out).toContain("remote write v1: 12 series");
    for (const [table, rows] of [["invoices", 800], ["orders", 5400], ["users", 1200]]) {
      expect(out).toMatch(new RegExp(`^db_backup_rows_copied_total\\{db="customers",instance="demo-test",job="db_backup",table="${table}"\\} ${rows} \\d+$`, "m"));
    }
    expect(out).toMatch(/^db_backup_table_duration_seconds_bucket\{db="customers",instance="demo-test",job="db_backup",le="0.25"\} 2 \d+$/m);
    expect(out).toMatch(/^db_backup_table_duration_seconds_count\{db="customers",instance="demo-test",job="db_backup"\} 3 \d+$/m);
    expect(out).toContain("arrived: 1 Pushgateway push, 1 remote-write request with 12 samples");
  });
});
