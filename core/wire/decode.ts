/**
 * Remote-write request decoding (both versions), for the CLI's `decode`, the debug receiver and
 * tests. It rebuilds promwire's series representation; stale markers come back as
 * `{ stale: true }` because their NaN payload cannot be trusted to survive a JavaScript number.
 */

import { DecodeError } from "../errors.ts";
import { METRIC_TYPE_BY_NUMBER } from "./metadata.ts";
import { ProtoReader } from "./proto-reader.ts";
import type {
  BucketSpan,
  DecodedWriteRequest,
  Exemplar,
  MetricMetadata,
  MetricType,
  NativeHistogram,
  ProtocolVersion,
  ResetHint,
  Sample,
  Series,
  SeriesMetadata,
} from "./types.ts";

const RESET_HINTS: readonly ResetHint[] = ["unknown", "yes", "no", "gauge"];

/** Options of {@link decodeWriteRequest}. */
export interface DecodeOptions {
  /** The protocol, e.g. from the request's Content-Type; sniffed from the field numbers when absent. */
  readonly version?: ProtocolVersion;
}

/** Which protocol a Content-Type names (`proto=io.prometheus.write.v2.Request` → v2), or undefined. */
export function versionFromContentType(contentType: string | null | undefined): ProtocolVersion | undefined {
  if (!contentType) return undefined;
  const [mediaType, ...params] = contentType.split(";").map((p) => p.trim());
  if (mediaType.toLowerCase() !== "application/x-protobuf") return undefined;
  for (const p of params) {
    const [k, v] = p.split("=").map((x) => x.trim());
    if (k.toLowerCase() === "proto") {
      if (v === "io.prometheus.write.v2.Request") return "v2";
      if (v === "prometheus.WriteRequest") return "v1";
      return undefined;
    }
  }
  return "v1";
}

/** v1 uses top-level fields 1 and 3; v2 reserves 1–3 and uses 4 and 5. */
function sniffVersion(bytes: Uint8Array): ProtocolVersion {
  const r = new ProtoReader(bytes);
  let v1 = false;
  let v2 = false;
  while (!r.done) {
    const [field, wt] = r.tag();
    if (field === 1 || field === 3) v1 = true;
    else if (field === 4 || field === 5) v2 = true;
    r.skip(wt);
  }
  if (v1 && v2) throw new DecodeError("request mixes remote write 1.0 and 2.0 fields");
  return v2 ? "v2" : "v1";
}

/**
 * Decode an uncompressed remote-write request (decompress with `snappy.decompress` first).
 * @example
 * const { version, series } = decodeWriteRequest(snappy.decompress(body), { version: versionFromContentType(ct) });
 */
export function decodeWriteRequest(bytes: Uint8Array, options: DecodeOptions = {}): DecodedWriteRequest {
  const version = options.version ?? sniffVersion(bytes);
  return version === "v2" ? decodeV2(bytes) : decodeV1(bytes);
}

function readSample(r: ProtoReader, end: number, v2: boolean): Sample {
  let value = 0;
  let timestamp = 0;
  let stale = false;
  let startTimestamp = 0;
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) {
      r.expect(wt, 1, "Sample.value");
      stale = r.peekStaleNaN();
      value = r.double();
    } else if (f === 2) {
      r.expect(wt, 0, "Sample.timestamp");
      timestamp = r.int64();
    } else if (f === 3 && v2) {
      r.expect(wt, 0, "Sample.start_timestamp");
      startTimestamp = r.int64();
    } else r.skip(wt);
  }
  const s: { value: number; timestamp: number; stale?: boolean; startTimestamp?: number } = { value, timestamp };
  if (stale) s.stale = true;
  if (startTimestamp !== 0) s.startTimestamp = startTimestamp;
  return s;
}

function readSpan(r: ProtoReader, end: number): BucketSpan {
  let offset = 0;
  let length = 0;
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) offset = r.sint32();
    else if (f === 2) length = r.uint32();
    else r.skip(wt);
  }
  return { offset, length };
}

function readHistogram(r: ProtoReader, end: number, v2: boolean): NativeHistogram {
  let float = false;
  let count = 0;
  let sum = 0;
  let schema = 0;
  let zeroThreshold = 0;
  let zeroCount = 0;
  const negativeSpans: BucketSpan[] = [];
  const positiveSpans: BucketSpan[] = [];
  const negativeDeltas: number[] = [];
  const positiveDeltas: number[] = [];
  const negativeCounts: number[] = [];
  const positiveCounts: number[] = [];
  const customValues: number[] = [];
  let resetHint: ResetHint = "unknown";
  let timestamp = 0;
  let startTimestamp = 0;
  const dbl = (): number => r.double();
  const s64 = (): number => r.sint64();
  while (r.pos < end) {
    const [f, wt] = r.tag();
    switch (f) {
      case 1: count = r.uint64(); float = false; break;
      case 2: count = r.double(); float = true; break;
      case 3: sum = r.double(); break;
      case 4: schema = r.sint32(); break;
      case 5: zeroThreshold = r.double(); break;
      case 6: zeroCount = r.uint64(); break;
      case 7: zeroCount = r.double(); break;
      case 8: negativeSpans.push(readSpan(r, r.lengthEnd())); break;
      case 9: r.repeated(wt, 0, s64, negativeDeltas); break;
      case 10: r.repeated(wt, 1, dbl, negativeCounts); break;
      case 11: positiveSpans.push(readSpan(r, r.lengthEnd())); break;
      case 12: r.repeated(wt, 0, s64, positiveDeltas); break;
      case 13: r.repeated(wt, 1, dbl, positiveCounts); break;
      case 14: resetHint = RESET_HINTS[r.uint32()] ?? r.fail("unknown reset hint"); break;
      case 15: timestamp = r.int64(); break;
      case 16: r.repeated(wt, 1, dbl, customValues); break;
      case 17:
        if (v2) startTimestamp = r.int64();
        else r.skip(wt);
        break;
      default: r.skip(wt);
    }
  }
  const h: { -readonly [K in keyof NativeHistogram]: NativeHistogram[K] } = { timestamp, count, sum, schema, zeroThreshold, zeroCount };
  if (float) h.float = true;
  if (negativeSpans.length) h.negativeSpans = negativeSpans;
  if (negativeDeltas.length) h.negativeDeltas = negativeDeltas;
  if (negativeCounts.length) h.negativeCounts = negativeCounts;
  if (positiveSpans.length) h.positiveSpans = positiveSpans;
  if (positiveDeltas.length) h.positiveDeltas = positiveDeltas;
  if (positiveCounts.length) h.positiveCounts = positiveCounts;
  if (resetHint !== "unknown") h.resetHint = resetHint;
  if (customValues.length) h.customValues = customValues;
  if (startTimestamp !== 0) h.startTimestamp = startTimestamp;
  return h;
}

function metricType(n: number, r: ProtoReader): MetricType {
  return METRIC_TYPE_BY_NUMBER[n] ?? r.fail(`unknown metric type ${n}`);
}

// ---- v1 -------------------------------------------------------------------------------------

function readLabelV1(r: ProtoReader, end: number, out: string[]): void {
  let name = "";
  let value = "";
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) name = r.string();
    else if (f === 2) value = r.string();
    else r.skip(wt);
  }
  out.push(name, value);
}

function readExemplarV1(r: ProtoReader, end: number): Exemplar {
  const labels: string[] = [];
  let value = 0;
  let timestamp = 0;
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) readLabelV1(r, r.lengthEnd(), labels);
    else if (f === 2) value = r.double();
    else if (f === 3) timestamp = r.int64();
    else r.skip(wt);
  }
  return timestamp !== 0 ? { labels, value, timestamp } : { labels, value };
}

function decodeV1(bytes: Uint8Array): DecodedWriteRequest {
  const r = new ProtoReader(bytes);
  const series: Series[] = [];
  const metadata: MetricMetadata[] = [];
  while (!r.done) {
    const [f, wt] = r.tag();
    if (f === 1) {
      r.expect(wt, 2, "WriteRequest.timeseries");
      const end = r.lengthEnd();
      const labels: string[] = [];
      const samples: Sample[] = [];
      const exemplars: Exemplar[] = [];
      const histograms: NativeHistogram[] = [];
      while (r.pos < end) {
        const [g, gwt] = r.tag();
        if (g === 1) readLabelV1(r, r.lengthEnd(), labels);
        else if (g === 2) samples.push(readSample(r, r.lengthEnd(), false));
        else if (g === 3) exemplars.push(readExemplarV1(r, r.lengthEnd()));
        else if (g === 4) histograms.push(readHistogram(r, r.lengthEnd(), false));
        else r.skip(gwt);
      }
      series.push(assemble(labels, samples, histograms, exemplars, undefined));
    } else if (f === 3) {
      r.expect(wt, 2, "WriteRequest.metadata");
      const end = r.lengthEnd();
      let type: MetricType = "unknown";
      let metricFamilyName = "";
      let help = "";
      let unit = "";
      while (r.pos < end) {
        const [g, gwt] = r.tag();
        if (g === 1) type = metricType(r.uint32(), r);
        else if (g === 2) metricFamilyName = r.string();
        else if (g === 4) help = r.string();
        else if (g === 5) unit = r.string();
        else r.skip(gwt);
      }
      metadata.push(withOptional({ type, metricFamilyName }, help, unit));
    } else r.skip(wt);
  }
  return { version: "v1", series, metadata };
}

// ---- v2 -------------------------------------------------------------------------------------

function decodeV2(bytes: Uint8Array): DecodedWriteRequest {
  const r = new ProtoReader(bytes);
  const symbols: string[] = [];
  const ranges: [number, number][] = [];
  // Symbols may in principle follow the series on the wire: collect series ranges first.
  while (!r.done) {
    const [f, wt] = r.tag();
    if (f === 4) {
      r.expect(wt, 2, "Request.symbols");
      symbols.push(r.string());
    } else if (f === 5) {
      r.expect(wt, 2, "Request.timeseries");
      const end = r.lengthEnd();
      ranges.push([r.pos, end]);
      r.pos = end;
    } else r.skip(wt);
  }
  if (symbols.length > 0 && symbols[0] !== "") throw new DecodeError("v2 symbols must start with the empty string");
  const sym = (ref: number, at: ProtoReader): string => {
    const s = symbols[ref];
    if (s === undefined) at.fail(`symbol reference ${ref} out of range (${symbols.length} symbols)`);
    return s;
  };
  const refsToLabels = (refs: number[], at: ProtoReader): string[] => {
    if (refs.length % 2 !== 0) at.fail("labels_refs has an odd length");
    return refs.map((ref) => sym(ref, at));
  };
  const u32 = (rr: ProtoReader) => (): number => rr.uint32();
  const series: Series[] = [];
  for (const [start, end] of ranges) {
    const t = new ProtoReader(bytes, start, end);
    const refs: number[] = [];
    const samples: Sample[] = [];
    const histograms: NativeHistogram[] = [];
    const exemplars: Exemplar[] = [];
    let meta: SeriesMetadata | undefined;
    while (!t.done) {
      const [g, gwt] = t.tag();
      if (g === 1) t.repeated(gwt, 0, u32(t), refs);
      else if (g === 2) samples.push(readSample(t, t.lengthEnd(), true));
      else if (g === 3) histograms.push(readHistogram(t, t.lengthEnd(), true));
      else if (g === 4) {
        const eend = t.lengthEnd();
        const erefs: number[] = [];
        let value = 0;
        let timestamp = 0;
        while (t.pos < eend) {
          const [h, hwt] = t.tag();
          if (h === 1) t.repeated(hwt, 0, u32(t), erefs);
          else if (h === 2) value = t.double();
          else if (h === 3) timestamp = t.int64();
          else t.skip(hwt);
        }
        const labels = refsToLabels(erefs, t);
        exemplars.push(timestamp !== 0 ? { labels, value, timestamp } : { labels, value });
      } else if (g === 5) {
        const mend = t.lengthEnd();
        let type: MetricType = "unknown";
        let help = "";
        let unit = "";
        while (t.pos < mend) {
          const [h, hwt] = t.tag();
          if (h === 1) type = metricType(t.uint32(), t);
          else if (h === 3) help = sym(t.uint32(), t);
          else if (h === 4) unit = sym(t.uint32(), t);
          else t.skip(hwt);
        }
        meta = withOptional({ type }, help, unit);
      } else t.skip(gwt);
    }
    series.push(assemble(refsToLabels(refs, t), samples, histograms, exemplars, meta));
  }
  return { version: "v2", series, metadata: [], symbols };
}

function withOptional<T extends object>(base: T, help: string, unit: string): T & { help?: string; unit?: string } {
  const out: T & { help?: string; unit?: string } = { ...base };
  if (help !== "") out.help = help;
  if (unit !== "") out.unit = unit;
  return out;
}

function assemble(
  labels: string[],
  samples: Sample[],
  histograms: NativeHistogram[],
  exemplars: Exemplar[],
  metadata: SeriesMetadata | undefined,
): Series {
  const s: { -readonly [K in keyof Series]: Series[K] } = { labels };
  if (samples.length) s.samples = samples;
  if (histograms.length) s.histograms = histograms;
  if (exemplars.length) s.exemplars = exemplars;
  if (metadata !== undefined) s.metadata = metadata;
  return s;
}
