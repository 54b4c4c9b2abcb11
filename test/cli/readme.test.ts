// README.md's examples, run: every code block whose info string carries `readme-test=<runtime>`
// runs as written (and `readme-typecheck` blocks, a Worker, are type-checked) — TypeScript under Node, Deno or Bun (bundled from this checkout's sources),
// shell with `promwire` being the CLI — with the README's server URLs pointed at the local
// debug receiver. Each must exit 0 and make the receiver see the requests it claims to send.
import "../support/snappy-node.ts";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { bundleExample } from "../../examples/db-backup-source.mjs";
import { bundleCli, ROOT } from "./run-cli.ts";

interface Block {
  readonly runtime: string;
  readonly code: string;
  readonly line: number;
}

/** The README's fenced blocks marked `readme-test=<runtime>`. */
function readmeBlocks(): Block[] {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  const out: Block[] = [];
  const re = /^```(\w+) readme-test=(\w+)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({ runtime: m[2], code: m[3], line: text.slice(0, m.index).split("\n").length });
  }
  return out;
}

/** Blocks marked `readme-typecheck`: not runnable here (a Worker), type-checked only. */
function typecheckOnlyBlocks(): string[] {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  return [...text.matchAll(/^```ts readme-typecheck\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

const blocks = readmeBlocks();
let rx: Receiver;
let cli: string;
let dir: string;
beforeAll(async () => {
  rx = await startReceiver({ port: 0 });
  cli = await bundleCli("readme");
  dir = mkdtempSync(join(tmpdir(), "promwire-readme-"));
});
afterAll(async () => {
  await rx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The README's example servers → the receiver. */
function pointAtReceiver(code: string): string {
  return code.replaceAll("http://localhost:9090", rx.url).replaceAll("http://localhost:9091", rx.url).replaceAll("https://prometheus.example.com", rx.url);
}

function run(cmd: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PROMWIRE_")) base[k] = v;
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...base, NO_COLOR: "1", ...env } });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe("README.md examples", () => {
  it("has runnable examples for Node, Deno, Bun and the CLI", () => {
    expect(new Set(blocks.map((b) => b.runtime))).toEqual(new Set(["node", "deno", "bun", "sh"]));
  });

  it("its TypeScript examples (and the demo's job, examples/db-backup.ts) type-check against the public entry points", () => {
    const typesDir = join(ROOT, ".cache/readme-types");
    rmSync(typesDir, { recursive: true, force: true });
    mkdirSync(typesDir, { recursive: true });
    const files: string[] = [];
    const typed = [...blocks.filter((b) => b.runtime !== "sh").map((b) => b.code), ...typecheckOnlyBlocks()];
    for (const [i, code] of typed.entries()) {
      files.push(`block-${i}.ts`);
      writeFileSync(join(typesDir, `block-${i}.ts`), `${code}\nexport {};\n`);
    }
    expect(typed.some((code) => code.includes('"promwire/workers"'))).toBe(true);
    const paths: Record<string, string[]> = { promwire: ["../../core/index.ts"] };
    for (const rt of ["node", "deno", "bun", "workers"]) paths[`promwire/${rt}`] = [`../../adapters/${rt}.ts`];
    writeFileSync(
      join(typesDir, "tsconfig.json"),
      JSON.stringify({ extends: "../../tsconfig.json", compilerOptions: { noEmit: true, paths, types: ["node"] }, files: [...files, "../../examples/db-backup.ts", "../../types/wasm.d.ts"] }),
    );
    const r = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", typesDir], { cwd: ROOT, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  for (const [i, block] of blocks.entries()) {
    it(`README.md line ${block.line} (${block.runtime}) runs against the receiver`, async () => {
      const n = rx.requests.length;
      let result: { code: number | null; out: string };
      if (block.runtime === "sh") {
        const script = `set -euo pipefail\npromwire() { ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@"; }\n${pointAtReceiver(block.code)}`;
        result = await run("bash", ["-c", script], dir);
      } else {
        const file = await bundleExample({ contents: pointAtReceiver(block.code), name: `readme-${i}.ts` }, `readme-${i}`);
        const cmd =
          block.runtime === "node"
            ? [process.execPath, file]
            : block.runtime === "deno"
              ? [join(ROOT, "node_modules/.bin/deno"), "run", "--allow-net", file]
              : [join(ROOT, "node_modules/.bin/bun"), file];
        result = await run(cmd[0], cmd.slice(1), ROOT);
      }
      expect(result.out).not.toMatch(/promwire: .*(failed|not delivered)/);
      expect(result.code, result.out).toBe(0);
      const got = rx.requests.slice(n);
      expect(got.length, "the example sent nothing").toBeGreaterThan(0);
      // What the block's code says it sends is what arrived.
      const writes = got.filter((r) => r.kind === "remote-write").length;
      const pushes = got.filter((r) => r.kind === "pushgateway").length;
      if (/remoteWrite\(|promwire write|fetch\(/.test(block.code)) expect(writes).toBeGreaterThan(0);
      if (/pushgateway\(|promwire (push|delete)/.test(block.code)) expect(pushes).toBeGreaterThan(0);
      if (/auth: \{ username/.test(block.code)) expect(got.every((r) => r.headers.authorization === "Basic ***")).toBe(true);
    }, 90_000);
  }
});
