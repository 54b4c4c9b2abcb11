// Test data lives in test/fixtures/, inside the repository: a fresh clone has everything a test
// reads (self-containment.test.ts checks that nothing reads a path outside the repository).
import { readFileSync } from "node:fs";

/** A fixture file's text, by its path below test/fixtures/ (e.g. `corpus/prometheus-2.42.prom`). */
export function fixture(path: string): string {
  return readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8");
}

/** The real pages in test/fixtures/corpus/: node_exporter 1.5 and Prometheus 2.42 `/metrics`. */
export const CORPUS_PAGES = ["node-exporter-1.5.prom", "prometheus-2.42.prom"] as const;

/** A corpus page's text. */
export const corpus = (file: string): string => fixture(`corpus/${file}`);
