/**
 * `npm run bench`: every benchmark, promwire against its peers in the same run, ratios printed.
 * BENCH_BUDGET_MS sets the time spent per measurement (default 1500 ms); BENCH_ROUNDS the rounds
 * of the sender-path table (default 9); PROMWIRE_BENCH_GO a built go-w1 binary, the compiled
 * reference that table compares with (see bench/go-reference.ts); BENCH_ONLY a regular expression
 * selecting rows of that table.
 */
import { printEncodeTable, runEncodeBench } from "./encode.ts";
import { printParseTable, runParseBench } from "./parse.ts";
import { printRegistryTable, runRegistryBench } from "./registry.ts";
import { printSenderPathTable, runSenderPathBench } from "./sender-path.ts";

const budget = Number(process.env.BENCH_BUDGET_MS ?? 1500);
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
console.log(`promwire benchmarks — node ${process.version}, ${budget} ms per measurement\n`);
console.log(printSenderPathTable(runSenderPathBench(rounds)));
console.log(printEncodeTable(runEncodeBench(budget)));
console.log(printParseTable(runParseBench(budget)));
console.log(printRegistryTable(await runRegistryBench(budget)));
