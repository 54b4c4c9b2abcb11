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
