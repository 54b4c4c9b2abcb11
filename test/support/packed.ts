// The package as a user gets it, made once per test run and shared by the files that need it:
// README's install steps, run as written — in a copy of the checkout (only the files git knows,
// so nothing a developer left lying around), `npm pack` (which builds dist/ in `prepack`), then
// in a fresh project `npm install <tarball>`. The copy reuses this checkout's node_modules in
// place of `npm ci` (the same lockfile, already installed). Nothing is read from the npm cache:
// the package has no dependencies to fetch.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { inject } from "vitest";

export const ROOT = resolve(import.meta.dirname, "../..");

/** A README code block marked `readme-install=<name>`. */
export function readmeInstallBlock(name: string): string {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  const m = new RegExp(`^\`\`\`sh readme-install=${name}\\n([\\s\\S]*?)^\`\`\`$`, "m").exec(text);
  if (m === null) throw new Error(`README.md has no \`sh readme-install=${name}\` block`);
  return m[1];
}

/** README's Worker files, marked `readme-worker=<path>`. */
export function readmeWorkerFiles(): Record<string, string> {
  const text = readFileSync(join(ROOT, "README.md"), "utf8");
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^```\w+ readme-worker=(\S+)\n([\s\S]*?)^```$/gm)) out[m[1]] = m[2];
  return out;
}

export interface PackedProject {
  /** The packed tarball. */
  readonly tarball: string;
  /** A fresh project with the tarball installed (package.json, node_modules/promwire). */
  readonly project: string;
  /** The folder holding both (.cache/packed/<run>, removed when the test run ends). */
  readonly dir: string;
}

function sh(script: string, cwd: string): string {
  const r = spawnSync("bash", ["-euo", "pipefail", "-c", script], { cwd, encoding: "utf8", env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" } });
  if (r.status !== 0) throw new Error(`in ${cwd}:\n${script}\nexit ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function make(dir: string): PackedProject {
  const checkout = join(dir, "promwire");
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter((f) => f !== "" && existsSync(join(ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(checkout, f)), { recursive: true });
    cpSync(join(ROOT, f), join(checkout, f));
  }
  symlinkSync(join(ROOT, "node_modules"), join(checkout, "node_modules"));
  // README: `npm ci && npm pack` — node_modules is already in place (above).
  sh(readmeInstallBlock("pack").replace(/npm ci && /, ""), checkout);
  const tarball = join(checkout, `promwire-${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version}.tgz`);
  if (!existsSync(tarball)) throw new Error(`npm pack made no ${tarball}`);
  const project = join(dir, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module", private: true }));
  // README: `npm install ../promwire/promwire-<version>.tgz`, from a project next to the checkout.
  sh(readmeInstallBlock("project"), project);
  return { tarball, project, dir };
}

/**
 * The packed and installed package of this test run (made by the first file that asks; the
 * others wait for it).
 * @example const { project } = await packedProject();
 */
export async function packedProject(): Promise<PackedProject> {
  const base = join(ROOT, ".cache/packed", inject("runId"));
  const done = join(base, "done.json");
  mkdirSync(join(ROOT, ".cache/packed"), { recursive: true });
  let mine = false;
  try {
    mkdirSync(base);
    mine = true;
  } catch {
    // Another file of this run is making it.
  }
  if (mine) {
    try {
      writeFileSync(done, JSON.stringify(make(base)));
    } catch (e) {
      writeFileSync(done, JSON.stringify({ error: e instanceof Error ? e.message : String(e) }));
    }
  }
  for (let i = 0; !existsSync(done); i++) {
    if (i > 1500) throw new Error("timed out waiting for another test file to pack the package");
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = JSON.parse(readFileSync(done, "utf8")) as PackedProject & { error?: string };
  if (result.error !== undefined) throw new Error(`packing failed: ${result.error}`);
  return result;
}
