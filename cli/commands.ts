/** The CLI commands that turn pages into request bodies and back: encode, decode; and what the sending commands share. */
import { familiesToSeries } from "../core/exposition/to-series.ts";
import { detectFormat, parseWithHooks, type ExpositionFormat, type ParseOptions } from "../core/exposition/parse.ts";
import { decodeWriteRequest } from "../core/wire/decode.ts";
import { WriteRequestEncoder } from "../core/wire/encode.ts";
import { compress, decompress } from "../core/wire/snappy.ts";
import type { ProtocolVersion } from "../core/wire/types.ts";
import { checkFlags, flag, flagList, keyValues, UsageError, type ParsedArgs } from "./args.ts";
import { formatWriteRequest } from "./format-series.ts";
import { readInput, readTextInput } from "./io.ts";
import { PageSeriesCheck } from "./page-series-index.ts";

export function protocolOf(args: ParsedArgs): ProtocolVersion {
  const p = flag(args, "protocol") ?? "v1";
  if (p !== "v1" && p !== "v2") throw new UsageError(`--protocol must be v1 or v2 (got ${JSON.stringify(p)})`);
  return p;
}

export function formatOf(args: ParsedArgs): ExpositionFormat | undefined {
  const f = flag(args, "format");
  if (f === undefined) return undefined;
  if (f !== "text" && f !== "openmetrics") throw new UsageError(`--format must be text or openmetrics (got ${JSON.stringify(f)})`);
  return f;
}

/**
 * How the CLI parses a page: the format from --format, the spec's full rules with --strict, and
 * always one value per series and time (a page giving a series twice is refused, naming both
 * lines: a receiver would keep one of them without a word, Prometheus the first, a Pushgateway
 * the last).
 */
export function parseOptionsOf(args: ParsedArgs): ParseOptions & { readonly lenient?: false } {
  return { format: formatOf(args), strict: flag(args, "strict") === "true", uniqueSeries: true };
}

/**
 * Page text → series + metadata, with --label external labels. A series given twice is refused
 * as `write` refuses it: on the series as sent (`x{job="a"}` and `x` with --label job=a are one).
 */
export function pageToSeries(text: string, args: ParsedArgs, version: ProtocolVersion) {
  const options = parseOptionsOf(args);
  const externalLabels = keyValues(flagList(args, "label"), "--label");
  const format = options.format ?? detectFormat(undefined, text);
  const check = new PageSeriesCheck({ strict: options.strict === true, om: format === "openmetrics", externalLabels });
  const families = parseWithHooks(text, { ...options, format, uniqueSeries: false }, { onSample: check.hookFor(text) });
  return familiesToSeries(families, { version, externalLabels });
}


export async function encodeCommand(args: ParsedArgs): Promise<void> {
  checkFlags(args, ["protocol", "format", "label", "raw", "strict"]);
  const version = protocolOf(args);
  const { series, metadata } = pageToSeries(await readTextInput(args.positionals[0]), args, version);
  const bytes = new WriteRequestEncoder().encode(series, { version, metadata });
  const out = flag(args, "raw") === "true" ? bytes : compress(bytes);
  if (process.stdout.isTTY) throw new UsageError("refusing to write binary to a terminal: redirect stdout to a file or a pipe");
  process.stdout.write(out);
  process.stderr.write(`encoded ${series.length} series as remote write ${version}: ${bytes.length} bytes, ${out.length} on the wire\n`);
}

export async function decodeCommand(args: ParsedArgs): Promise<void> {
  checkFlags(args, ["protocol", "json", "raw", "max-bytes"]);
  const input = await readInput(args.positionals[0]);
  const bytes = flag(args, "raw") === "true" ? input : decompress(input, { maxBytes: flag(args, "max-bytes") ? Number(flag(args, "max-bytes")) : undefined });
  const p = flag(args, "protocol");
  const decoded = decodeWriteRequest(bytes, { version: p === "v1" || p === "v2" ? p : undefined });
  if (flag(args, "json") === "true") {
    process.stdout.write(
      `${JSON.stringify(decoded, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2)}\n`,
    );
  } else process.stdout.write(`${formatWriteRequest(decoded)}\n`);
}
