// JSR: `deno publish --dry-run` accepts the package as deno.json describes it (every export type-
// checked, no slow types in the public API, license and files included). Run from the repository,
// as a maintainer publishes it; a warning or a missing file fails the test.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");

describe("JSR package", () => {
  it("deno publish --dry-run: every export checked, no slow types, no warning; LICENSE, README and the sources included", () => {
    const r = spawnSync(resolve(ROOT, "node_modules/.bin/deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Checking for slow types in the public API/);
    expect(out).toMatch(/Dry run complete/);
    expect(out).not.toMatch(/warning/i);
    for (const file of ["LICENSE", "README.md", "core/index.ts", "adapters/deno.ts", "core/wire/snappy-wasm-base64.ts"]) {
      expect(out, file).toContain(`file://${ROOT}/${file}`);
    }
    // Workers-only code is npm-only (JSR has no Workers entry).
    expect(out).not.toContain(`file://${ROOT}/adapters/workers.ts`);
  }, 120_000);
});
