#!/usr/bin/env node
// `node scripts/with-test-servers.mjs <command…>`: run a command with the shared test servers
// (test/support/test-servers.ts: the remote-write receiver and a real Pushgateway on 127.0.0.1)
// and their URLs in PROMWIRE_TEST_RECEIVER / PROMWIRE_TEST_PUSHGATEWAY. When both variables are
// already set (`npm test` started the servers once for every runtime), it just runs the command.
// Exits with the command's status.
import { spawn } from "node:child_process";
import { startServers } from "./test-servers-loader.mjs";

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error("usage: with-test-servers.mjs <command> [args…]");
  process.exit(2);
}
let servers;
const env = { ...process.env };
if (!env.PROMWIRE_TEST_RECEIVER || !env.PROMWIRE_TEST_PUSHGATEWAY) {
  servers = await startServers();
  env.PROMWIRE_TEST_RECEIVER = servers.receiverUrl;
  env.PROMWIRE_TEST_PUSHGATEWAY = servers.pushgatewayUrl;
}
const child = spawn(cmd, args, { stdio: "inherit", env });
const code = await new Promise((resolve) => child.on("exit", (c, s) => resolve(c ?? (s ? 1 : 0))));
await servers?.stop();
process.exit(code);
