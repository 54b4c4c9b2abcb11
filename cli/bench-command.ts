/** `promwire bench [file]`: parse, encode and compress throughput on the user's own page. */
import { parseExposition } from "../core/exposition/parse.ts";
import { familiesToSeries } from "../core/exposition/to-series.ts";
import { WriteRequestEncoder } from "../core/wire/encode.ts";
import { compress } from "../core/wire/snappy.ts";
import type { Series } from "../core/wire/types.ts";
import { checkFlags, type ParsedArgs } from "./args.ts";
import { readTextInput } from "./io.ts";

function time(fn: () => unknown, budgetMs = 700): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  while (performance.now() < end || times.length < 5) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

/** The built-in page when no file is given: 2,000 series of a typical service. */
function builtinPage(): string {
  const lines = ["# HELP http_requests_total Requests served.", "# TYPE http_requests_total counter"];
  for (let i = 0; i < 2000; i++) {
    lines.push(`http_requests_total{method="${["GET", "POST"][i % 2]}",route="/api/v1/item/${i}",status="${200 + (i % 5)}"} ${i * 17}`);
  }
  return `${lines.join("\n")}\n`;
}

export async function benchCommand(args: ParsedArgs): Promise<void> {
  checkFlags(args, []);
  const text = args.positionals[0] ? await readTextInput(args.positionals[0]) : builtinPage();
  const bytes = new TextEncoder().encode(text).length;
  const families = parseExposition(text);
  const { series, metadata } = familiesToSeries(families, { timestamp: 1_700_000_000_000 });
  const samples = series.reduce((n: number, s: Series) => n + (s.samples?.length ?? 0), 0);
  const enc = new WriteRequestEncoder();
  const rows: [string, number, string][] = [];
  const parseMs = time(() => parseExposition(text));
  rows.push(["parse", parseMs, `${(bytes / 1e6 / (parseMs / 1000)).toFixed(1)} MB/s`]);
  for (const version of ["v1", "v2"] as const) {
    const raw = enc.encode(series, { version, metadata });
    const encMs = time(() => enc.encodeView(series, { version, metadata }));
    rows.push([`encode ${version}`, encMs, `${raw.length} bytes`]);
    const cMs = time(() => compress(raw));
    rows.push([`snappy ${version}`, cMs, `${compress(raw).length} bytes`]);
  }
  console.log(`${families.length} families, ${series.length} series, ${samples} samples, ${bytes} bytes of text`);
  console.log(`${"step".padEnd(10)} ${"ms".padStart(8)} ${"samples/s".padStart(12)}  output`);
  for (const [step, ms, out] of rows) {
    console.log(`${step.padEnd(10)} ${ms.toFixed(3).padStart(8)} ${Math.round(samples / (ms / 1000)).toLocaleString("en").padStart(12)}  ${out}`);
  }
}
