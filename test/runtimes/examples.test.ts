// The examples run as documented, each in its own runtime, against the local receiver: the
// Node and Bun jobs configured by environment variables only, the Deno job with --allow-net only
// (URL as an argument) and with --allow-env for configuration from the environment. (The Worker
// example runs in workerd in worker-prometheus.test.ts.) The Node example imports `promwire/node`,
// i.e. the built package (dist/, built by `npm test` and on install).
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initEmbeddedSnappy } from "../../core/wire/snappy-embedded.ts";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { REMOTE_WRITE_ENV_VARS } from "../../core/runtime/env-config.ts";

/** Run a command without blocking this process (the receiver answers from its event loop). */
function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("exit", (status) => {
      clearTimeout(guard);
      done({ status, stderr });
    });
  });
}

// Every variable the entries read for remote write (the example's comment lists the same).
const ENV_FLAG = `--allow-env=${REMOTE_WRITE_ENV_VARS.join(",")}`;

describe("examples", () => {
  let receiver: Receiver;
  beforeAll(async () => {
    initEmbeddedSnappy();
    receiver = await startReceiver({ port: 0 });
  });
  afterAll(() => receiver?.close());

  const names = (path: string): string[] =>
    receiver.requests
      .filter((r) => r.kind === "remote-write" && r.path === path)
      .flatMap((r) => (r.kind === "remote-write" ? r.request.series.map((s) => s.labels[1]) : []))
      .sort();

  const cases: [string, (url: string) => { cmd: string; args: string[]; env: Record<string, string> }][] = [
    ["node examples/node/backup-job.mjs (env config)", (url) => ({ cmd: process.execPath, args: ["examples/node/backup-job.mjs"], env: { PROMWIRE_REMOTE_WRITE_URL: url } })],
    ["bun examples/bun/backup-job.ts (env config)", (url) => ({ cmd: resolve("node_modules/.bin/bun"), args: ["examples/bun/backup-job.ts"], env: { PROMWIRE_REMOTE_WRITE_URL: url } })],
    ["deno run --allow-net examples/deno/backup-job.ts <url>", (url) => ({ cmd: resolve("node_modules/.bin/deno"), args: ["run", "--allow-net", "examples/deno/backup-job.ts", url], env: {} })],
    ["deno run --allow-net --allow-env=… examples/deno/backup-job.ts (env config)", (url) => ({ cmd: resolve("node_modules/.bin/deno"), args: ["run", "--allow-net", ENV_FLAG, "examples/deno/backup-job.ts"], env: { PROMWIRE_REMOTE_WRITE_URL: url } })],
  ];
  cases.forEach(([name, make], i) => {
    it(name, async () => {
      const path = `/api/v1/write/example-${i}`;
      const { cmd, args, env } = make(`${receiver.url}${path}`);
      const r = await run(cmd, args, env);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(names(path)).toEqual(expect.arrayContaining(["backup_last_success_timestamp_seconds", "backup_rows_copied_total"]));
    });
  });

  it("deno without --allow-env: a clear EnvPermissionError naming the flag", async () => {
    const r = await run(resolve("node_modules/.bin/deno"), ["run", "--allow-net", "examples/deno/backup-job.ts"], {});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("EnvPermissionError: cannot read PROMWIRE_REMOTE_WRITE_URL: run with --allow-env");
  });
});
