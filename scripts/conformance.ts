/**
 * `npm run conformance -- <suite dir>`: the OpenMetrics project's parser suite
 * (`tests/testdata/parsers/` of OpenObservability/OpenMetrics: one folder per case, a page in
 * `metrics` and `test.json` with `shouldParse`) against promwire, in three runs:
 *
 * 1. strict mode (`parseOpenMetrics(bytes, { strict: true })`): every case as the suite expects;
 * 2. default mode: every valid case parses (the default stays what Prometheus's scrape accepts,
 *    so invalid cases it accepts are only counted);
 * 3. round trip: every valid case parsed, written back with `serializeOpenMetrics` and read by
 *    the reference parser gives what the reference parser reads from the original.
 *
 * Prints the tally (and each case that is not as expected); exits 1 unless all three are full.
 * Not part of `npm test`: the suite is not in the repository (test/fixtures/openmetrics-strict
 * holds promwire's own pages, which `npm test` runs).
 */

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ParseError, type ParseRule } from "../core/errors.ts";
import { parseOpenMetrics } from "../core/exposition/parse.ts";
import { referenceParserProblem, referenceParserVersion, roundTrip } from "./reference-parser.ts";

const dir = process.argv[2];
if (dir === undefined || !existsSync(dir) || !statSync(dir).isDirectory()) {
  console.error("usage: npm run conformance -- <suite dir>   (the OpenMetrics repository's tests/testdata/parsers)");
  process.exit(2);
}

interface Case {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly shouldParse: boolean;
}

const cases: Case[] = readdirSync(dir)
  .filter((d) => existsSync(join(dir, d, "test.json")))
  .sort()
  .map((d) => {
    const spec = JSON.parse(readFileSync(join(dir, d, "test.json"), "utf8")) as { file?: string; shouldParse: boolean };
    return { name: d, bytes: new Uint8Array(readFileSync(join(dir, d, spec.file ?? "metrics"))), shouldParse: spec.shouldParse };
  });
const valid = cases.filter((c) => c.shouldParse);

function attempt(c: Case, strict: boolean): ParseError | undefined {
  try {
    parseOpenMetrics(c.bytes, { strict });
    return undefined;
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw new Error(`${c.name}: ${strict ? "strict" : "default"} mode threw something other than a ParseError: ${String(e)}`);
  }
}

// 1. Strict mode.
const wrong: string[] = [];
const byRule = new Map<ParseRule, number>();
for (const c of cases) {
  const e = attempt(c, true);
  if (e !== undefined) byRule.set(e.rule, (byRule.get(e.rule) ?? 0) + 1);
  if (c.shouldParse && e !== undefined) wrong.push(`  ${c.name}: refused, should parse: ${e.message}`);
  if (!c.shouldParse && e === undefined) wrong.push(`  ${c.name}: accepted, should be refused`);
}

// 2. Default mode.
const defaultWrong: string[] = [];
let invalidAccepted = 0;
for (const c of cases) {
  const e = attempt(c, false);
  if (c.shouldParse && e !== undefined) defaultWrong.push(`  ${c.name}: refused: ${e.message}`);
  if (!c.shouldParse && e === undefined) invalidAccepted++;
}

// 3. Round trip through the reference parser (which must be installed: say what to install).
const problem = referenceParserProblem();
const trips = problem !== undefined ? [] : roundTrip(valid.map((c) => ({ name: c.name, text: new TextDecoder().decode(c.bytes) })));
const tripWrong = problem !== undefined ? [`  cannot run: ${problem}`] : trips.filter((t) => !t.ok).map((t) => `  ${t.name}: ${t.detail}`);

const pad = (s: string): string => s.padEnd(22);
console.log(`OpenMetrics parser suite: ${resolve(dir)} (${cases.length} cases, ${valid.length} valid)`);
console.log(`${pad("strict mode")}${cases.length - wrong.length}/${cases.length} as the suite expects`);
for (const w of wrong) console.log(w);
console.log(`${pad("default mode")}${valid.length - defaultWrong.length}/${valid.length} valid cases parse (it also accepts ${invalidAccepted} of the ${cases.length - valid.length} invalid ones, as Prometheus's scrape accepts many)`);
for (const w of defaultWrong) console.log(w);
console.log(`${pad("round trip")}${valid.length - tripWrong.length}/${valid.length} valid cases written back and read by prometheus_client ${referenceParserVersion()} as the original (timestamps at 1 ms)`);
for (const w of tripWrong) console.log(w);
console.log("\nstrict refusals by rule:");
for (const [rule, n] of [...byRule].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) console.log(`  ${rule.padEnd(26)}${n}`);
const ok = wrong.length === 0 && defaultWrong.length === 0 && tripWrong.length === 0;
console.log(ok ? "\nconformance: all as expected" : "\nconformance: FAILED");
process.exit(ok ? 0 : 1);
