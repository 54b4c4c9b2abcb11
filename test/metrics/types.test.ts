import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// vitest strips types without checking them, so the typed-label API is checked here by the
// TypeScript compiler itself, with the project's tsconfig options: each `@ts-expect-error` line
// in the fixture must be an error (an unused directive is itself an error), nothing else may be.
describe("typed label names (compile-time)", () => {
  it("the fixture type-checks with exactly the expected errors", () => {
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const configPath = ts.findConfigFile(root, ts.sys.fileExists, "tsconfig.json");
    expect(configPath).toBeDefined();
    const config = ts.readConfigFile(configPath as string, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const fixture = fileURLToPath(new URL("./fixtures/typed-labels.fixture.ts", import.meta.url));
    const program = ts.createProgram([fixture], { ...parsed.options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || !d.file.fileName.includes("node_modules"));
    const text = diagnostics.map((d) => {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return `${d.file?.fileName ?? ""}:${(where?.line ?? 0) + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
    expect(text).toEqual([]);
    // And the fixture really contains the negative cases.
    const src = ts.sys.readFile(fixture) ?? "";
    expect(src.match(/@ts-expect-error/g)?.length).toBeGreaterThanOrEqual(9);
  });
});
