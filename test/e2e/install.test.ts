// The package as a newcomer meets it: README's install steps (test/support/packed.ts: `npm pack`
// in a copy of the checkout, `npm install <tarball>` in a fresh project), then every runnable
// README example as written, in that project, on its runtime — `node job.mjs`, `deno run
// --allow-net job.ts`, `bun job.ts`, the CLI as installed — with the README's server URLs pointed
// at a local receiver; the examples' types checked by tsc with `skipLibCheck: false` against the
// installed declarations (the Worker with the Workers types only); and what the consumer gets:
// no dependencies, no install script, a small node_modules.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { initEmbeddedSnappy } from "../../core/wire/snappy-embedded.ts";
import { packedProject, readmeWorkerFiles, ROOT, type PackedProject } from "../support/packed.ts";

interface Block {
  readonly runtime: string;
  readonly code: string;
  readonly line: number;
}

const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** README's fenced blocks marked `readme-test=<runtime>`. */
function readmeBlocks(): Block[] {
  const out: Block[] = [];
  for (const m of README.matchAll(/^```(\w+) readme-test=(\w+)\n([\s\S]*?)^```$/gm)) {
    out.push({ runtime: m[2], code: m[3], line: README.slice(0, m.index).split("\n").length });
  }
  return out;
}

const blocks = readmeBlocks();
const bin = (name: string): string => join(ROOT, "node_modules/.bin", name);
let p: PackedProject;
let rx: Receiver;

beforeAll(async () => {
  initEmbeddedSnappy();
  rx = await startReceiver({ port: 0 });
  p = await packedProject();
  // Type definitions a consumer would install (from this checkout's node_modules: no network).
  mkdirSync(join(p.project, "node_modules/@types"), { recursive: true });
  mkdirSync(join(p.project, "node_modules/@cloudflare"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules/@types/node"), join(p.project, "node_modules/@types/node"));
  symlinkSync(join(ROOT, "node_modules/@cloudflare/workers-types"), join(p.project, "node_modules/@cloudflare/workers-types"));
}, 240_000);

afterAll(async () => {
  await rx?.close();
});

/** README's example servers → the receiver. */
function pointAtReceiver(code: string): string {
  return code.replaceAll("http://localhost:9090", rx.url).replaceAll("http://localhost:9091", rx.url).replaceAll("https://prometheus.example.com", rx.url);
}

function run(cmd: string, args: readonly string[], env: Record<string, string> = {}, input?: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PROMWIRE_")) base[k] = v;
    const child = spawn(cmd, args, { cwd: p.project, stdio: ["pipe", "pipe", "pipe"], env: { ...base, NO_COLOR: "1", ...env } });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

function tsc(config: object, name: string): string {
  writeFileSync(join(p.project, name), JSON.stringify(config));
  const r = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", name], { cwd: p.project, encoding: "utf8" });
  return `${r.stdout}${r.stderr}`.trim();
}

function sizeOf(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, f) => n + sizeOf(join(path, f)), 0);
}

describe("README install steps → a fresh project", () => {
  it("the tarball holds the built entries and nothing of the repository's own; no install script, no dependency", () => {
    const listing = spawnSync("tar", ["-tzf", p.tarball], { encoding: "utf8" }).stdout.split("\n").map((f) => f.replace(/^package\//, ""));
    for (const f of ["dist/node.js", "dist/workers.js", "dist/snappy.wasm", "dist/cli.js", "dist/effect.js", "dist/types/adapters/node.d.ts", "LICENSE", "README.md"]) expect(listing).toContain(f);
    expect(listing.filter((f) => /^(test|bench|scripts|node_modules|core|adapters|cli)\//.test(f))).toEqual([]);
    const installed = JSON.parse(readFileSync(join(p.project, "node_modules/promwire/package.json"), "utf8")) as Record<string, Record<string, unknown> | undefined>;
    expect(installed.dependencies ?? {}).toEqual({});
    expect(Object.keys(installed.scripts ?? {}).filter((s) => /^(pre|post)?install$|^prepare$/.test(s))).toEqual([]);
  });

  it("the project's node_modules holds promwire alone, at most 5 MB", () => {
    const modules = join(p.project, "node_modules");
    expect(readdirSync(modules).filter((f) => !f.startsWith(".") && f !== "@types" && f !== "@cloudflare")).toEqual(["promwire"]);
    const bytes = sizeOf(join(modules, "promwire"));
    console.log(`[install] node_modules/promwire: ${(bytes / 1024 / 1024).toFixed(2)} MB (tarball ${(statSync(p.tarball).size / 1024).toFixed(0)} KB)`);
    expect(bytes).toBeLessThanOrEqual(5 * 1024 * 1024);
  });

  it("README has runnable examples for Node, Deno, Bun and the CLI", () => {
    expect(new Set(blocks.map((b) => b.runtime))).toEqual(new Set(["node", "deno", "bun", "sh"]));
  });

  for (const [i, block] of blocks.entries()) {
    it(`README.md line ${block.line} (${block.runtime}) runs as written and sends what it says`, async () => {
      const n = rx.requests.length;
      const code = pointAtReceiver(block.code);
      let r: { code: number | null; out: string; err: string };
      if (block.runtime === "sh") {
        const script = `set -euo pipefail\npromwire() { ${JSON.stringify(join(p.project, "node_modules/.bin/promwire"))} "$@"; }\n${code}`;
        r = await run("bash", ["-c", script]);
      } else {
        const file = block.runtime === "node" ? `readme-${i}.mjs` : `readme-${i}.ts`;
        writeFileSync(join(p.project, file), code);
        const cmd = block.runtime === "node" ? [process.execPath, file] : block.runtime === "deno" ? [bin("deno"), "run", "--allow-net", file] : [bin("bun"), file];
        r = await run(cmd[0], cmd.slice(1));
      }
      expect(`${r.out}${r.err}`).not.toMatch(/promwire: .*(failed|not delivered)/);
      expect(r.code, `${r.out}\n${r.err}`).toBe(0);
      const got = rx.requests.slice(n);
      expect(got.length, "the example sent nothing").toBeGreaterThan(0);
      const writes = got.filter((x) => x.kind === "remote-write").length;
      const pushes = got.filter((x) => x.kind === "pushgateway").length;
      if (/remoteWrite\(|promwire write|fetch\(/.test(block.code)) expect(writes).toBeGreaterThan(0);
      if (/pushgateway\(|promwire (push|delete)/.test(block.code)) expect(pushes).toBeGreaterThan(0);
      if (/auth: \{ username/.test(block.code)) expect(got.every((x) => x.headers.authorization === "Basic ***")).toBe(true);
    }, 90_000);
  }

  it("README's TypeScript examples type-check against the installed declarations (skipLibCheck off)", () => {
    const files = blocks.filter((b) => b.runtime === "deno" || b.runtime === "bun").map((b, i) => {
      writeFileSync(join(p.project, `typed-${i}.ts`), `${b.code}\nexport {};\n`);
      return `typed-${i}.ts`;
    });
    expect(files.length).toBeGreaterThan(1);
    const options = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, lib: ["ES2023", "DOM"], types: ["node"] };
    expect(tsc({ compilerOptions: options, files }, "tsconfig.readme.json")).toBe("");
  }, 180_000);

  it("README's Worker type-checks with the Workers types alone (no DOM, no Node), skipLibCheck off", () => {
    const worker = readmeWorkerFiles();
    expect(Object.keys(worker).sort()).toEqual(["src/index.ts", "wrangler.toml"]);
    mkdirSync(join(p.project, "typed-worker"), { recursive: true });
    writeFileSync(join(p.project, "typed-worker/index.ts"), worker["src/index.ts"]);
    const options = { target: "ES2022", module: "ESNext", moduleResolution: "Bundler", strict: true, noEmit: true, skipLibCheck: false, lib: ["ES2023"], types: ["@cloudflare/workers-types"] };
    expect(tsc({ compilerOptions: options, files: ["typed-worker/index.ts"] }, "tsconfig.worker.json")).toBe("");
  }, 180_000);

  it("Bun's own installer takes the tarball too (README: bun add …tgz)", () => {
    const other = join(p.dir, "bun-project");
    mkdirSync(other);
    writeFileSync(join(other, "package.json"), JSON.stringify({ name: "bun-consumer", private: true, type: "module" }));
    const add = spawnSync(bin("bun"), ["add", p.tarball], { cwd: other, encoding: "utf8" });
    expect(add.status, add.stderr).toBe(0);
    writeFileSync(join(other, "job.ts"), 'import { Registry } from "promwire/bun";\nconsole.log(typeof new Registry().collect);\n');
    const r = spawnSync(bin("bun"), ["job.ts"], { cwd: other, encoding: "utf8" });
    expect(r.stdout.trim(), r.stderr).toBe("function");
  });
});

describe("the installed package on every runtime", () => {
  const PROGRAM = `import { Counter, Registry } from "promwire";
import { remoteWrite, type RemoteWriter, type WriterStats } from "promwire/node";
import { familiesToSeries } from "promwire/exposition";
import { decodeWriteRequest, encodeWriteRequest, snappy } from "promwire/wire";

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
  const untyped = PROGRAM.replace(", type RemoteWriter, type WriterStats", "").replace(": number", "").replace("samples![0]", "samples[0]").replace(": RemoteWriter", "").replace(": WriterStats", "");

  /** The remote write the program made under `runtime` arrived with its value. */
  const arrived = (runtime: string): number | undefined => {
    for (const r of rx.requests) {
      if (r.kind !== "remote-write") continue;
      for (const s of r.request.series) if (s.labels[s.labels.indexOf("runtime") + 1] === runtime && s.labels.includes("runtime")) return s.samples?.[0]?.value;
    }
    return undefined;
  };
  const env = (runtime: string): Record<string, string> => ({ PROMWIRE_REMOTE_WRITE_URL: `${rx.url}/api/v1/write`, PROMWIRE_EXTERNAL_LABELS: `runtime=${runtime}` });

  it("Node: promwire, promwire/node, promwire/wire and promwire/exposition (ESM); encode and remote write", async () => {
    writeFileSync(join(p.project, "main.mjs"), untyped);
    const r = await run(process.execPath, ["main.mjs"], env("node"));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ value: 3, sent: 1, failed: 0 });
    expect(arrived("node")).toBe(3);
  });

  it("TypeScript: the program type-checks against the installed declarations (skipLibCheck off)", () => {
    writeFileSync(join(p.project, "main.ts"), PROGRAM);
    const options = { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, lib: ["ES2023", "DOM"], types: [] };
    expect(tsc({ compilerOptions: options, files: ["main.ts"] }, "tsconfig.main.json")).toBe("");
  }, 180_000);

  it("Deno: the same program, bare and npm: specifiers, --allow-net --allow-env only", async () => {
    writeFileSync(join(p.project, "main.ts"), PROGRAM);
    writeFileSync(join(p.project, "npm-specifiers.ts"), PROGRAM.replace(/from "promwire/g, 'from "npm:promwire'));
    for (const [file, tag] of [["main.ts", "deno"], ["npm-specifiers.ts", "deno-npm"]]) {
      const r = await run(bin("deno"), ["run", "--allow-net", "--allow-env", file], env(tag));
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toEqual({ value: 3, sent: 1, failed: 0 });
      expect(arrived(tag)).toBe(3);
    }
  });

  it("Bun: the same program", async () => {
    writeFileSync(join(p.project, "main.ts"), PROGRAM);
    const r = await run(bin("bun"), ["main.ts"], env("bun"));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual({ value: 3, sent: 1, failed: 0 });
    expect(arrived("bun")).toBe(3);
  });

  it("the installed promwire command on Node, Deno and Bun: --help, and encode | decode through a pipe", async () => {
    const cli = join(p.project, "node_modules/promwire/dist/cli.js");
    const help = await run(join(p.project, "node_modules/.bin/promwire"), ["--help"]);
    expect(help.out).toContain("usage: promwire <command>");
    for (const prefix of [[process.execPath, cli], [bin("deno"), "run", "-A", cli], [bin("bun"), cli]]) {
      const enc = spawnSync(prefix[0], [...prefix.slice(1), "encode"], { cwd: p.project, input: "# TYPE up gauge\nup 1 1700000000000\n" });
      expect(enc.status, `${prefix[0]} encode: ${enc.stderr}`).toBe(0);
      const dec = spawnSync(prefix[0], [...prefix.slice(1), "decode"], { cwd: p.project, input: enc.stdout, encoding: "utf8" });
      expect(dec.status, `${prefix[0]} decode: ${dec.stderr}`).toBe(0);
      expect(dec.stdout).toContain("\nup 1 1700000000000");
    }
  });
});
