// Once per vitest run: an id the test files share, so that work several files need (packing the
// package, test/support/packed.ts) is done once per run, not once per file.
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";

export default function setup(project: TestProject): () => void {
  const runId = `${process.pid}-${Date.now()}`;
  project.provide("runId", runId);
  // Files made for this run only (test/support/packed.ts): gone when the run ends.
  return () => rmSync(resolve(import.meta.dirname, "../../.cache/packed", runId), { recursive: true, force: true });
}

declare module "vitest" {
  export interface ProvidedContext {
    runId: string;
  }
}
