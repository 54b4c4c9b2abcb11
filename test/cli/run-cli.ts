// Runs the `promwire` CLI as users do (a separate process), built from this checkout's sources
// with esbuild into .cache (not dist/, which a concurrent `npm run build` may be rewriting).
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/** Bundle cli/main.ts to `.cache/cli-<name>/main.mjs`; returns the file. */
export async function bundleCli(name: string): Promise<string> {
  const outdir = resolve(ROOT, `.cache/cli-${name}`);
  mkdirSync(outdir, { recursive: true });
  const outfile = resolve(outdir, "main.mjs");
  await build({ entryPoints: [resolve(ROOT, "cli/main.ts")], bundle: true, platform: "node", format: "esm", target: "node20", outfile, packages: "external", logLevel: "error" });
  return outfile;
}

export interface RunOptions {
  readonly input?: string | Uint8Array;
  /** Environment added to a clean one (PROMWIRE_* of the caller are not inherited). */
  readonly env?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Run `node <cli> ...args`, feeding `input` on stdin. */
export function runCli(cli: string, args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PROMWIRE_")) env[k] = v;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env: { ...env, ...opts.env }, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 20_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code, stdout: stdoutBytes.toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), stdoutBytes });
    });
    child.stdin.on("error", () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
