/**
 * The OpenMetrics reference parser (Python prometheus_client, Debian's python3-prometheus-client
 * 0.16, run with /usr/bin/python3) as an oracle: `npm run conformance` and the round-trip test
 * read pages with it and compare what it finds (scripts/openmetrics_reference.py normalizes).
 * When the tool is missing, the caller fails with the message of {@link referenceParserProblem},
 * which says what to install: a test never skips for want of it.
 */

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseOpenMetrics } from "../core/exposition/parse.ts";
import { serializeOpenMetrics } from "../core/exposition/serialize.ts";

export const PYTHON = "/usr/bin/python3";
const SCRIPT = join(process.cwd(), "scripts", "openmetrics_reference.py");
const INSTALL = "install Debian's python3-prometheus-client (apt-get install python3-prometheus-client), run by /usr/bin/python3";

/** What the reference parser made of one page (families normalized as the script describes). */
export type ReferenceReading = { readonly ok: true; readonly families: unknown[] } | { readonly ok: false; readonly error: string };

/** Why the reference parser cannot run here, or undefined when it can; and its version. */
export function referenceParserProblem(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import prometheus_client"], { encoding: "utf8" });
  if (r.error !== undefined) return `${PYTHON} does not run (${r.error.message}): ${INSTALL}`;
  if (r.status !== 0) return `${PYTHON} cannot import prometheus_client: ${INSTALL}`;
  return undefined;
}

export function referenceParserVersion(): string {
  const r = spawnSync(PYTHON, ["-c", "import importlib.metadata as m; print(m.version('prometheus_client'))"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unknown";
}

/** Read every page with the reference parser, in one process. Throws when it cannot run. */
export function readWithReference(pages: readonly string[]): ReferenceReading[] {
  const problem = referenceParserProblem();
  if (problem !== undefined) throw new Error(problem);
  const r = spawnSync(PYTHON, [SCRIPT], { input: JSON.stringify(pages), encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${SCRIPT} failed (exit ${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ReferenceReading[];
}

/** One page's round trip: promwire parses and serializes it, the reference parser reads both. */
export interface RoundTrip {
  readonly name: string;
  readonly ok: boolean;
  /** Why not, when not ok. */
  readonly detail?: string;
  /** What promwire wrote. */
  readonly written?: string;
}

/** The first place two JSON values differ, as a path and both sides. */
function firstDifference(a: unknown, b: unknown, path = ""): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`);
      if (d !== undefined) return d;
    }
  }
  return `${path || "/"}: ${JSON.stringify(a)?.slice(0, 300)} vs ${JSON.stringify(b)?.slice(0, 300)}`;
}

/**
 * Parse each page with promwire (default mode), write it back with `serializeOpenMetrics`, and
 * read the original and the written page with the reference parser: ok when both readings are
 * equal (timestamps at Prometheus' millisecond resolution).
 */
export function roundTrip(pages: readonly { readonly name: string; readonly text: string }[]): RoundTrip[] {
  const written: (string | undefined)[] = [];
  const failures: (string | undefined)[] = [];
  for (const p of pages) {
    try {
      written.push(serializeOpenMetrics(parseOpenMetrics(p.text)));
      failures.push(undefined);
    } catch (e) {
      written.push(undefined);
      failures.push(`promwire: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const readings = readWithReference([...pages.map((p) => p.text), ...written.map((w) => w ?? "")]);
  return pages.map((p, i) => {
    if (failures[i] !== undefined) return { name: p.name, ok: false, detail: failures[i] };
    const original = readings[i];
    const back = readings[pages.length + i];
    if (!original.ok) return { name: p.name, ok: false, detail: `the reference parser refuses the original page: ${original.error}`, written: written[i] };
    if (!back.ok) return { name: p.name, ok: false, detail: `the reference parser refuses what promwire wrote: ${back.error}`, written: written[i] };
    const d = firstDifference(original.families, back.families);
    return d === undefined ? { name: p.name, ok: true, written: written[i] } : { name: p.name, ok: false, detail: `original vs written differ at ${d}`, written: written[i] };
  });
}
