// What the declarations of each entry pull in: a Promise-API user's type-check must not need
// `effect` (not installed for them, and its declarations do not check under the Workers types),
// nor `@bufbuild/protobuf` outside `promwire/proto`, nor Node's types outside `promwire/node`
// and `promwire/bun`. Walks the import graph of the emitted .d.ts files from each entry.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, { types: string } | string> };

/** Every .d.ts reachable from `entry`, and the bare specifiers (packages, `node:`) they import. */
function reach(entry: string): { files: string[]; bare: Set<string>; nodeGlobals: string[] } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const nodeGlobals: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    // Comments (JSDoc examples name entries too) are not imports.
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/(?!\/ <reference).*$/gm, "");
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
      const spec = m[1];
      if (!spec.startsWith(".")) {
        bare.add(spec.startsWith("node:") ? "node:" : spec.split("/").slice(0, spec.startsWith("@") ? 2 : 1).join("/"));
        continue;
      }
      const target = join(dirname(file), spec.replace(/\.[jt]s$/, ".d.ts"));
      if (existsSync(target)) visit(target);
    }
    if (/\bNodeJS\.|\bBuffer\b|\/\/\/ <reference types="node"/.test(text)) nodeGlobals.push(relative(ROOT, file));
  };
  visit(join(ROOT, entry));
  return { files: [...seen], bare, nodeGlobals };
}

const entries = Object.entries(pkg.exports).filter(([k]) => k !== "./package.json") as [string, { types: string }][];

describe("declarations of each entry", () => {
  for (const [entry, { types }] of entries) {
    it(`${entry}: imports only what a user of that entry has`, () => {
      const { files, bare, nodeGlobals } = reach(types);
      expect(files.length).toBeGreaterThan(0);
      const allowed = new Set<string>(entry === "./effect" ? ["effect"] : entry === "./proto" ? ["@bufbuild/protobuf"] : []);
      expect([...bare].filter((b) => !allowed.has(b)).sort()).toEqual([]);
      // The walk sees real imports: the two entries built on a peer dependency do import it.
      for (const a of allowed) expect(bare.has(a)).toBe(true);
      expect(nodeGlobals).toEqual([]);
    });
  }
});
