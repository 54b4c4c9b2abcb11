// core/ must run unchanged on Node, Deno, Bun and workerd: no runtime-specific import or global.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const coreDir = join(import.meta.dirname, "../core");
const FORBIDDEN: [RegExp, string][] = [
  [/from\s+["']node:/, "node: import"],
  [/import\(\s*["']node:/, "node: dynamic import"],
  [/\brequire\(/, "require()"],
  [/\bDeno\./, "Deno global"],
  [/\bBun\./, "Bun global"],
  [/\bprocess\.(env|on|exit|argv|stdout|stderr|nextTick)/, "process global"],
  [/\bBuffer\./, "Node Buffer"],
];

describe("core stays runtime-agnostic", () => {
  const files = readdirSync(coreDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith(".ts"))
    .map((d) => join(d.parentPath, d.name));
  it("has files to check", () => expect(files.length).toBeGreaterThan(5));
  for (const f of files) {
    it(f.slice(coreDir.length + 1), () => {
      const src = readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      for (const [re, what] of FORBIDDEN) expect(re.test(src), `${what} in ${f}`).toBe(false);
    });
  }
});

// One protobuf strategy: the hand-written writer and reader on every runtime path; the generated
// messages (core/gen) are the schema of record and the tests' oracle, published for users only
// through promwire/proto (core/proto). Importing @bufbuild/protobuf anywhere else would boot its
// registry on a job's start-up.
describe("no runtime path imports @bufbuild/protobuf", () => {
  const files = readdirSync(coreDir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith(".ts"))
    .map((d) => join(d.parentPath, d.name).slice(coreDir.length + 1));
  const allowed = (f: string): boolean => f.startsWith("gen/") || f.startsWith("proto/");
  it("only core/gen and core/proto do (type-only imports aside)", () => {
    const offenders = files.filter((f) => {
      if (allowed(f)) return false;
      const src = readFileSync(join(coreDir, f), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      return /^\s*import\s+(?!type\b)[^;]*from\s+["']@bufbuild\//m.test(src) || /^\s*export\s+(?!type\b)[^;]*from\s+["']@bufbuild\//m.test(src) || /import\(\s*["']@bufbuild\//.test(src);
    });
    expect(offenders).toEqual([]);
    // The check sees real imports: the generated code does import it.
    expect(files.filter((f) => f.startsWith("gen/")).some((f) => /from\s+["']@bufbuild\/protobuf/.test(readFileSync(join(coreDir, f), "utf8")))).toBe(true);
  });
  it("promwire/proto re-exports the generated messages and is the only entry that does", () => {
    const entries = ["index.ts", "wire/index.ts", "exposition/index.ts", "edge/index.ts", "client/effect.ts"];
    for (const e of entries) expect(readFileSync(join(coreDir, e), "utf8")).not.toMatch(/gen\//);
    expect(readFileSync(join(coreDir, "proto/index.ts"), "utf8")).toMatch(/gen\/io\/prometheus\/client\/metrics_pb\.ts/);
  });
});
