/**
 * `npm run bench`: every benchmark, promwire against its peers in the same run, ratios printed.
 * BENCH_BUDGET_MS sets the time spent per measurement (default 1500 ms).
 */
import { printEncodeTable, runEncodeBench } from "./encode.ts";
import { printParseTable, runParseBench } from "./parse.ts";
import { printRegistryTable, runRegistryBench } from "./registry.ts";

const budget = Number(process.env.BENCH_BUDGET_MS ?? 1500);
console.log(`promwire benchmarks — node ${process.version}, ${budget} ms per measurement\n`);
console.log(printEncodeTable(runEncodeBench(budget)));
console.log(printParseTable(runParseBench(budget)));
console.log(printRegistryTable(await runRegistryBench(budget)));
