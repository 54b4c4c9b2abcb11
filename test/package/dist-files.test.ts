// The built files as a runtime reads them: each starts with Bun's `// @bun` line (scripts/build.mjs:
// Bun then loads it without running its transpiler), and their source maps still point at the
// right lines of promwire's sources after that added line.
import { readdirSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const DIST = resolve(import.meta.dirname, "../../dist");
const ROOT = resolve(import.meta.dirname, "../..");
const files = [
  ...readdirSync(DIST).filter((f) => f.endsWith(".js")),
  ...readdirSync(resolve(DIST, "chunks"))
    .filter((f) => f.endsWith(".js"))
    .map((f) => `chunks/${f}`),
];

describe("dist/ files", () => {
  it("every one starts with `// @bun` (after the CLI's hashbang)", () => {
    expect(files.length).toBeGreaterThan(20);
    const without = files.filter((f) => !/^(#![^\n]*\n)?\/\/ @bun\n/.test(readFileSync(resolve(DIST, f), "utf8")));
    expect(without).toEqual([]);
  });

  it("the CLI keeps its hashbang first", () => {
    expect(readFileSync(resolve(DIST, "cli.js"), "utf8").startsWith("#!/usr/bin/env node\n// @bun\n")).toBe(true);
  });

  // A string that occurs once in a source and once in its chunk: where the map sends its position.
  const probes: Array<{ source: string; text: string }> = [
    { source: "core/errors.ts", text: '"EncodeError"' },
    { source: "core/metrics/registry.ts", text: "another metric with this name is already registered" },
    { source: "core/client/remote-write/writer.ts", text: "the remote-write sender could not be loaded" },
  ];
  for (const { source, text } of probes) {
    it(`the source map of the chunk holding ${source} sends "${text}" back to its line there`, () => {
      const chunk = files.find((f) => {
        const map = JSON.parse(readFileSync(resolve(DIST, `${f}.map`), "utf8")) as { sources: string[] };
        return map.sources.some((s) => s.endsWith(source));
      });
      expect(chunk, `no chunk holds ${source}`).toBeDefined();
      const code = readFileSync(resolve(DIST, chunk!), "utf8");
      const payload = JSON.parse(readFileSync(resolve(DIST, `${chunk}.map`), "utf8")) as ConstructorParameters<typeof SourceMap>[0];
      const map = new SourceMap(payload);
      const original = readFileSync(resolve(ROOT, source), "utf8").split("\n");
      // Every occurrence in the chunk that maps into `source` must land on a line holding the text.
      let checked = 0;
      for (let at = code.indexOf(text); at >= 0; at = code.indexOf(text, at + 1)) {
        const before = code.slice(0, at);
        const line = before.split("\n").length - 1;
        const column = at - (before.lastIndexOf("\n") + 1);
        const entry = map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
        if (!entry.originalSource?.endsWith(source)) continue;
        expect(original[entry.originalLine!], `${chunk} ${line}:${column} → ${source}:${entry.originalLine! + 1}`).toContain(text.replaceAll('"', ""));
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
