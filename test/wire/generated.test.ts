// core/gen/ is generated from proto/ and checked in: regenerating must change nothing.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)))
    .sort();
}

describe("generated protobuf code", () => {
  it("matches a fresh `buf generate` of proto/ byte for byte", () => {
    const work = mkdtempSync(join(tmpdir(), "promwire-gen-"));
    try {
      cpSync(join(root, "proto"), join(work, "proto"), { recursive: true });
      cpSync(join(root, "buf.yaml"), join(work, "buf.yaml"));
      writeFileSync(join(work, "buf.gen.yaml"), readFileSync(join(root, "buf.gen.yaml")));
      execFileSync(join(root, "node_modules/.bin/buf"), ["generate"], {
        cwd: work,
        env: { ...process.env, PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH}` },
        stdio: "pipe",
      });
      const fresh = join(work, "core/gen");
      const checkedIn = join(root, "core/gen");
      expect(files(fresh)).toEqual(files(checkedIn));
      for (const f of files(fresh)) expect(readFileSync(join(checkedIn, f), "utf8"), f).toBe(readFileSync(join(fresh, f), "utf8"));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
