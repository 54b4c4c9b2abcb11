#!/usr/bin/env node
// `npm run demo`: start `promwire receive` in this process on a free loopback port, run the
// db-backup job (examples/db-backup.ts) as a separate short-lived process pointed at it, and print
// every request that arrived, decoded. No external server is needed.
import { spawn } from "node:child_process";
import { bundleExample, ROOT } from "./db-backup-source.mjs";

const receiverModule = await bundleExample(
  {
    name: "receiver.ts",
    contents: `export { startReceiver } from "./cli/receiver.ts";
export { formatReceived } from "./cli/format-series.ts";
export { initEmbeddedSnappy } from "./core/wire/snappy-embedded.ts";`,
  },
  "demo-receiver",
);
const job = await bundleExample("examples/db-backup.ts");
const { startReceiver, formatReceived, initEmbeddedSnappy } = await import(receiverModule);
initEmbeddedSnappy();

const rx = await startReceiver({
  port: 0,
  onRequest: (r) => console.log(formatReceived(r)),
  onReject: (path, status, reason) => console.log(`rejected ${path}: ${status} ${reason}`),
});
console.log(`promwire receive: listening on ${rx.url}`);
console.log(`running examples/db-backup.ts with PROMWIRE_PUSHGATEWAY_URL=${rx.url} PROMWIRE_REMOTE_WRITE_URL=${rx.url}/api/v1/write\n`);

const { PROMWIRE_USERNAME, PROMWIRE_PASSWORD, PROMWIRE_BEARER_TOKEN, ...env } = process.env;
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, [job], {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...env, BACKUP_INSTANCE: process.env.BACKUP_INSTANCE ?? "demo-host", PROMWIRE_PUSHGATEWAY_URL: rx.url, PROMWIRE_REMOTE_WRITE_URL: `${rx.url}/api/v1/write` },
  });
  child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
});
await rx.close();

const pushes = rx.requests.filter((r) => r.kind === "pushgateway");
const writes = rx.requests.filter((r) => r.kind === "remote-write");
const samples = writes.reduce((n, r) => n + r.request.series.reduce((m, s) => m + (s.samples?.length ?? 0) + (s.histograms?.length ?? 0), 0), 0);
console.log(`\narrived: ${pushes.length} Pushgateway push${pushes.length === 1 ? "" : "es"}, ${writes.length} remote-write request${writes.length === 1 ? "" : "s"} with ${samples} samples`);
const ok = code === 0 && pushes.length === 1 && writes.length >= 1 && samples > 0;
if (!ok) console.error(`demo failed: job exit code ${code}`);
console.log(ok ? "\nNext: point the same job at your own servers (see README.md, \"Quick start\")." : "");
process.exitCode = ok ? 0 : 1;
