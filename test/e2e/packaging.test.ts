// The package as a user gets it: `npm pack`, install the tarball into a fresh project (the
// npm cache may be empty: CI runs with an empty one), then import `promwire` and `promwire/node` there — ESM on Node, types with
// `tsc`, and the same program under Deno (bare and `npm:` specifiers, `--allow-net --allow-env`
// only) and Bun — each doing a real remote write to the local receiver. The installed `promwire`
// binary runs too.
import "../support/snappy-node.ts";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { ROOT } from "../cli/run-cli.ts";

let dir: string;
let project: string;
let rx: Receiver;
let tarball: string;

const PROGRAM = `import { Counter, Registry, decodeWriteRequest, encodeWriteRequest, familiesToSeries } from "promwire";
import { remoteWrite, snappy, type RemoteWriter, type WriterStats } from "promwire/node";

const registry = new Registry();
new Counter({ name: "pkg_jobs_total", help: "Jobs.", registry }).inc(3);
const { series, metadata } = familiesToSeries(registry.collect(), { timestamp: 1_700_000_000_000 });
const back = decodeWriteRequest(snappy.decompress(snappy.compress(encodeWriteRequest(series, { metadata }))));
const value: number = back.series[0].samples![0].value;
// URL from PROMWIRE_REMOTE_WRITE_URL, external labels from PROMWIRE_EXTERNAL_LABELS.
const rw: RemoteWriter = remoteWrite({ onError: (e) => console.error(e.message) });
rw.collect(registry);
const stats: WriterStats = await rw.close();
console.log(JSON.stringify({ value, sent: stats.sent, failed: stats.failed }));
`;

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist/adapters/node.js")) || !existsSync(join(ROOT, "dist/cli/main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
  }
  rx = await startReceiver({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), "promwire-pack-"));
  // The build is what `npm test` just made; --ignore-scripts keeps `npm pack` from rebuilding it
  // under the other suites' feet.
  const packed = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" })) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  expect(files).toContain("dist/adapters/node.js");
  expect(files).toContain("dist/adapters/snappy.wasm");
  expect(files).toContain("dist/cli/main.js");
  expect(files.some((f) => f.startsWith("test/") || f.startsWith("node_modules/"))).toBe(false);
  project = join(dir, "consumer");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module", private: true }));
  const install = spawnSync("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund"], { cwd: project, encoding: "utf8" });
  if (install.status !== 0) throw new Error(`npm install of the tarball failed:\n${install.stderr}`);
  writeFileSync(join(project, "main.ts"), PROGRAM);
  // The same program without types, for Node.
  writeFileSync(
    join(project, "main.mjs"),
    PROGRAM.replace(", type RemoteWriter, type WriterStats", "")
      .replace("const value: number", "const value")
      .replace("samples![0]", "samples[0]")
      .replace("const rw: RemoteWriter", "const rw")
      .replace("const stats: WriterStats", "const stats"),
  );
  writeFileSync(join(project, "npm-specifiers.ts"), PROGRAM.replace('from "promwire"', 'from "npm:promwire"').replace('from "promwire/node"', 'from "npm:promwire/node"'));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, lib: ["ES2023", "DOM"], types: [] },
      files: ["main.ts"],
    }),
  );
}, 120_000);

afterAll(async () => {
  await rx?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Run a program in the consumer project (asynchronously: the receiver lives in this process). */
async function run(cmd: string, args: readonly string[], tag: string): Promise<{ out: string; err: string }> {
  const child = spawn(cmd, args, {
    cwd: project,
    stdio: ["ignore", "pipe", "pipe"],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PROMWIRE_REMOTE_WRITE_URL: `${rx.url}/api/v1/write`, PROMWIRE_EXTERNAL_LABELS: `runtime=${tag}`, NO_COLOR: "1" },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out}\n${err}`);
  return { out, err };
}

/** The remote write the program made under `runtime` arrived with its value. */
function arrived(runtime: string): number | undefined {
  for (const r of rx.requests) {
    if (r.kind !== "remote-write") continue;
    for (const s of r.request.series) {
      if (s.labels.includes("runtime") && s.labels[s.labels.indexOf("runtime") + 1] === runtime) return s.samples?.[0]?.value;
    }
  }
  return undefined;
}

describe("npm pack → install into a fresh project", () => {
  it("Node: import promwire and promwire/node (ESM), encode and remote write", async () => {
    const { out } = await run(process.execPath, ["main.mjs"], "node");
    expect(JSON.parse(out)).toEqual({ value: 3, sent: 1, failed: 0 });
    expect(arrived("node")).toBe(3);
  });

  it("TypeScript: the types of promwire and promwire/node resolve (tsc, skipLibCheck off)", () => {
    const r = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "."], { cwd: project, encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("Deno: the same program from node_modules and with npm: specifiers, only --allow-net --allow-env", async () => {
    const deno = join(ROOT, "node_modules/.bin/deno");
    const a = await run(deno, ["run", "--allow-net", "--allow-env", "main.ts"], "deno");
    expect(JSON.parse(a.out)).toEqual({ value: 3, sent: 1, failed: 0 });
    expect(arrived("deno")).toBe(3);
    const b = await run(deno, ["run", "--allow-net", "--allow-env", "npm-specifiers.ts"], "deno-npm");
    expect(JSON.parse(b.out)).toEqual({ value: 3, sent: 1, failed: 0 });
    expect(arrived("deno-npm")).toBe(3);
  });

  it("Bun: the same program", async () => {
    const { out } = await run(join(ROOT, "node_modules/.bin/bun"), ["run", "main.ts"], "bun");
    expect(JSON.parse(out)).toEqual({ value: 3, sent: 1, failed: 0 });
    expect(arrived("bun")).toBe(3);
  });

  it("the installed promwire binary: --help, and encode | decode through a pipe", async () => {
    const help = await run(join(project, "node_modules/.bin/promwire"), ["--help"], "cli");
    expect(help.out).toContain("usage: promwire <command>");
    const enc = spawnSync(join(project, "node_modules/.bin/promwire"), ["encode"], { cwd: project, input: "# TYPE up gauge\nup 1 1700000000000\n" });
    expect(enc.status).toBe(0);
    const dec = spawnSync(join(project, "node_modules/.bin/promwire"), ["decode"], { cwd: project, input: enc.stdout, encoding: "utf8" });
    expect(dec.status).toBe(0);
    expect(dec.stdout).toContain("\nup 1 1700000000000");
  });

  it("the installed CLI under Deno and Bun: encode | decode", async () => {
    const main = join(project, "node_modules/promwire/dist/cli/main.js");
    for (const [runtime, prefix] of [
      ["deno", [join(ROOT, "node_modules/.bin/deno"), "run", "-A", main]],
      ["bun", [join(ROOT, "node_modules/.bin/bun"), main]],
    ] as const) {
      const enc = spawnSync(prefix[0], [...prefix.slice(1), "encode"], { cwd: project, input: "# TYPE up gauge\nup 1 1700000000000\n" });
      expect(enc.status, `${runtime} encode: ${enc.stderr}`).toBe(0);
      const dec = spawnSync(prefix[0], [...prefix.slice(1), "decode"], { cwd: project, input: enc.stdout, encoding: "utf8" });
      expect(dec.status, `${runtime} decode: ${dec.stderr}`).toBe(0);
      expect(dec.stdout).toContain("\nup 1 1700000000000");
    }
  });
});
