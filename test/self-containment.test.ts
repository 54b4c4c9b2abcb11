// A fresh clone must be green: nothing in the repository may read a file outside it (a sibling
// folder, a path on the machine that wrote the test). Every string literal that looks like a
// relative path is resolved against its file and must stay inside the repository; absolute paths
// into a home or work folder are refused outright.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const DIRS = ["test", "bench", "examples", "scripts", "core", "adapters", "cli", ".ci"];
const SKIP = new Set(["node_modules", ".git", "dist", ".cache", "gen"]);

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP.has(e.name)) yield* sources(path);
    } else if (/\.(m?[jt]s|json|sh|toml)$/.test(e.name) || e.name === "run") {
      yield path;
    }
  }
}

/** Paths named in a file that leave the repository. */
export function pathsOutside(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/["'`]((?:\.\.\/)+[^"'`$\s]*)/g)) {
    const target = resolve(dirname(file), m[1]);
    if (target !== ROOT && !target.startsWith(ROOT + sep)) out.push(m[1]);
  }
  for (const m of text.matchAll(/["'`](\/(?:work|home|root|Users)\/[^"'`\s]*)/g)) out.push(m[1]);
  return out;
}

describe("the repository is self-contained", () => {
  it("no source, test, bench, example or script names a path outside the repository", () => {
    const found: string[] = [];
    let files = 0;
    for (const dir of DIRS) {
      for (const file of sources(join(ROOT, dir))) {
        files++;
        for (const p of pathsOutside(file, readFileSync(file, "utf8"))) found.push(`${relative(ROOT, file)}: ${p}`);
      }
    }
    expect(files).toBeGreaterThan(100);
    expect(found).toEqual([]);
  });

  it("the check itself catches a sibling folder and an absolute machine path", () => {
    const file = join(ROOT, "test/exposition/example.test.ts");
    // Built from parts, so that this file does not name such a path itself.
    const sibling = `${"../".repeat(3)}shared/corpus/a.prom`;
    const absolute = `/${"work"}/shared/corpus/a.prom`;
    expect(pathsOutside(file, `readFileSync(new URL("${sibling}", import.meta.url))`)).toEqual([sibling]);
    expect(pathsOutside(file, `readFileSync("${absolute}")`)).toEqual([absolute]);
    expect(pathsOutside(file, 'readFileSync(new URL("../fixtures/corpus/a.prom", import.meta.url))')).toEqual([]);
  });
});
