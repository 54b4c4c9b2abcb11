// Loads test/support/test-servers.ts on Node 20 (no type stripping): bundled with esbuild into
// .cache, npm packages left external. Used by with-test-servers.mjs, test-all.mjs and the
// runtime benchmark.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Start the receiver (with its inspection front) and a real Pushgateway. */
export async function startServers() {
  const outdir = resolve(".cache/test-servers");
  mkdirSync(outdir, { recursive: true });
  const outfile = resolve(outdir, "test-servers.mjs");
  await build({ entryPoints: ["test/support/test-servers.ts"], bundle: true, platform: "node", format: "esm", target: "node20", outfile, packages: "external", logLevel: "error" });
  const { startTestServers } = await import(pathToFileURL(outfile).href);
  return startTestServers();
}

/**
 * The same servers in a child process, for callers that block their own event loop (test-all.mjs
 * runs each runtime with spawnSync). Resolves once the URLs are known; `stop()` ends the child.
 */
export async function startServersProcess() {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, "--serve"], { stdio: ["pipe", "pipe", "inherit"] });
  const urls = await new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.once("exit", (code) => reject(new Error(`test servers exited with ${code}`)));
  });
  return {
    ...urls,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.stdin.end(); // the child stops its servers when its stdin closes
      }),
  };
}

if (process.argv[2] === "--serve") {
  const servers = await startServers();
  process.stdout.write(`${JSON.stringify({ receiverUrl: servers.receiverUrl, pushgatewayUrl: servers.pushgatewayUrl })}\n`);
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await servers.stop();
    process.exit(0);
  });
}
