/**
 * Reading Pushgateway's protobuf body: delimited `io.prometheus.client.MetricFamily` messages
 * (the message types, and why they look as they do, are in metric-family.ts). Unknown fields are
 * skipped, packed and unpacked repeated scalars both accepted, as protobuf readers do; what
 * `fromBinary` of the generated messages reads is what this returns (test/wire/metric-family.property.test.ts).
 */

import { ProtoReader } from "./proto-reader.ts";
import type { WireType } from "./proto-writer.ts";
import type {
  BucketMessage,
  BucketSpanMessage,
  CounterMessage,
  DecodedMetricFamily,
  ExemplarMessage,
  HistogramMessage,
  MetricFamilyMessage,
  MetricMessage,
  QuantileMessage,
  SummaryMessage,
  TimestampMessage,
  ValueMessage,
} from "./metric-family.ts";

const VARINT: WireType.Varint = 0;
const BIT64: WireType.Bit64 = 1;
const LEN: WireType.LengthDelimited = 2;

function readTimestamp(r: ProtoReader, end: number): TimestampMessage {
  let seconds = 0;
  let nanos = 0;
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1 && wt === VARINT) seconds = r.int64();
    else if (f === 2 && wt === VARINT) nanos = r.int32();
    else r.skip(wt);
  }
  return { seconds, nanos };
}

/** Read a nested message (wire type LengthDelimited) with `body`; the reader is left after it. */
function nested<T>(r: ProtoReader, wt: number, what: string, body: (r: ProtoReader, end: number) => T): T {
  r.expect(wt, LEN, what);
  const end = r.lengthEnd();
  const m = body(r, end);
  if (r.pos !== end) r.fail(`${what} overruns its length`);
  return m;
}

function readLabelPair(r: ProtoReader, end: number, out: string[]): void {
  let name = "";
  let value = "";
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) {
      r.expect(wt, LEN, "LabelPair.name");
      name = r.string();
    } else if (f === 2) {
      r.expect(wt, LEN, "LabelPair.value");
      value = r.string();
    } else r.skip(wt);
  }
  out.push(name, value);
}

function double(r: ProtoReader, wt: number, what: string): number {
  r.expect(wt, BIT64, what);
  return r.double();
}

function varint(r: ProtoReader, wt: number, what: string, read: () => number): number {
  r.expect(wt, VARINT, what);
  return read();
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function readExemplar(r: ProtoReader, end: number): ExemplarMessage {
  const e: Mutable<ExemplarMessage> = {};
  const label: string[] = [];
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) nested(r, wt, "Exemplar.label", (rr, e2) => readLabelPair(rr, e2, label));
    else if (f === 2) e.value = double(r, wt, "Exemplar.value");
    else if (f === 3) e.timestamp = nested(r, wt, "Exemplar.timestamp", readTimestamp);
    else r.skip(wt);
  }
  e.label = label;
  return e;
}

function readBucket(r: ProtoReader, end: number): BucketMessage {
  const b: Mutable<BucketMessage> = {};
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) b.cumulativeCount = varint(r, wt, "Bucket.cumulative_count", () => r.uint64());
    else if (f === 2) b.upperBound = double(r, wt, "Bucket.upper_bound");
    else if (f === 3) b.exemplar = nested(r, wt, "Bucket.exemplar", readExemplar);
    else if (f === 4) b.cumulativeCountFloat = double(r, wt, "Bucket.cumulative_count_float");
    else r.skip(wt);
  }
  return b;
}

function readSpan(r: ProtoReader, end: number): BucketSpanMessage {
  const s: Mutable<BucketSpanMessage> = {};
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) s.offset = varint(r, wt, "BucketSpan.offset", () => r.sint32());
    else if (f === 2) s.length = varint(r, wt, "BucketSpan.length", () => r.uint32());
    else r.skip(wt);
  }
  return s;
}

function readHistogram(r: ProtoReader, end: number): HistogramMessage {
  const h: Mutable<HistogramMessage> = {};
  const bucket: BucketMessage[] = [];
  const negativeSpan: BucketSpanMessage[] = [];
  const negativeDelta: number[] = [];
  const negativeCount: number[] = [];
  const positiveSpan: BucketSpanMessage[] = [];
  const positiveDelta: number[] = [];
  const positiveCount: number[] = [];
  const exemplars: ExemplarMessage[] = [];
  while (r.pos < end) {
    const [f, wt] = r.tag();
    switch (f) {
      case 1:
        h.sampleCount = varint(r, wt, "Histogram.sample_count", () => r.uint64());
        break;
      case 2:
        h.sampleSum = double(r, wt, "Histogram.sample_sum");
        break;
      case 3:
        bucket.push(nested(r, wt, "Histogram.bucket", readBucket));
        break;
      case 4:
        h.sampleCountFloat = double(r, wt, "Histogram.sample_count_float");
        break;
      case 5:
        h.schema = varint(r, wt, "Histogram.schema", () => r.sint32());
        break;
      case 6:
        h.zeroThreshold = double(r, wt, "Histogram.zero_threshold");
        break;
      case 7:
        h.zeroCount = varint(r, wt, "Histogram.zero_count", () => r.uint64());
        break;
      case 8:
        h.zeroCountFloat = double(r, wt, "Histogram.zero_count_float");
        break;
      case 9:
        negativeSpan.push(nested(r, wt, "Histogram.negative_span", readSpan));
        break;
      case 10:
        r.repeated(wt, VARINT, () => r.sint64(), negativeDelta);
        break;
      case 11:
        r.repeated(wt, BIT64, () => r.double(), negativeCount);
        break;
      case 12:
        positiveSpan.push(nested(r, wt, "Histogram.positive_span", readSpan));
        break;
      case 13:
        r.repeated(wt, VARINT, () => r.sint64(), positiveDelta);
        break;
      case 14:
        r.repeated(wt, BIT64, () => r.double(), positiveCount);
        break;
      case 15:
        h.createdTimestamp = nested(r, wt, "Histogram.created_timestamp", readTimestamp);
        break;
      case 16:
        exemplars.push(nested(r, wt, "Histogram.exemplars", readExemplar));
        break;
      default:
        r.skip(wt);
    }
  }
  Object.assign(h, { bucket, negativeSpan, negativeDelta, negativeCount, positiveSpan, positiveDelta, positiveCount, exemplars });
  return h;
}

function readQuantile(r: ProtoReader, end: number): QuantileMessage {
  const q: Mutable<QuantileMessage> = {};
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) q.quantile = double(r, wt, "Quantile.quantile");
    else if (f === 2) q.value = double(r, wt, "Quantile.value");
    else r.skip(wt);
  }
  return q;
}

function readSummary(r: ProtoReader, end: number): SummaryMessage {
  const s: Mutable<SummaryMessage> = {};
  const quantile: QuantileMessage[] = [];
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) s.sampleCount = varint(r, wt, "Summary.sample_count", () => r.uint64());
    else if (f === 2) s.sampleSum = double(r, wt, "Summary.sample_sum");
    else if (f === 3) quantile.push(nested(r, wt, "Summary.quantile", readQuantile));
    else if (f === 4) s.createdTimestamp = nested(r, wt, "Summary.created_timestamp", readTimestamp);
    else r.skip(wt);
  }
  s.quantile = quantile;
  return s;
}

function readCounter(r: ProtoReader, end: number): CounterMessage {
  const c: Mutable<CounterMessage> = {};
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) c.value = double(r, wt, "Counter.value");
    else if (f === 2) c.exemplar = nested(r, wt, "Counter.exemplar", readExemplar);
    else if (f === 3) c.createdTimestamp = nested(r, wt, "Counter.created_timestamp", readTimestamp);
    else r.skip(wt);
  }
  return c;
}

function readValue(r: ProtoReader, end: number): ValueMessage {
  const v: Mutable<ValueMessage> = {};
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) v.value = double(r, wt, "value");
    else r.skip(wt);
  }
  return v;
}

function readMetric(r: ProtoReader, end: number): MetricMessage {
  const m: Mutable<MetricMessage> = {};
  const label: string[] = [];
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) nested(r, wt, "Metric.label", (rr, e) => readLabelPair(rr, e, label));
    else if (f === 2) m.gauge = nested(r, wt, "Metric.gauge", readValue);
    else if (f === 3) m.counter = nested(r, wt, "Metric.counter", readCounter);
    else if (f === 4) m.summary = nested(r, wt, "Metric.summary", readSummary);
    else if (f === 5) m.untyped = nested(r, wt, "Metric.untyped", readValue);
    else if (f === 6) m.timestampMs = varint(r, wt, "Metric.timestamp_ms", () => r.int64());
    else if (f === 7) m.histogram = nested(r, wt, "Metric.histogram", readHistogram);
    else r.skip(wt);
  }
  m.label = label;
  return m;
}

/** One `MetricFamily` message from `r.pos` to `end`. */
export function readMetricFamily(r: ProtoReader, end: number): DecodedMetricFamily {
  const family: Mutable<MetricFamilyMessage> = {};
  const metric: MetricMessage[] = [];
  while (r.pos < end) {
    const [f, wt] = r.tag();
    if (f === 1) {
      r.expect(wt, LEN, "MetricFamily.name");
      family.name = r.string();
    } else if (f === 2) {
      r.expect(wt, LEN, "MetricFamily.help");
      family.help = r.string();
    } else if (f === 3) family.type = varint(r, wt, "MetricFamily.type", () => r.int32());
    else if (f === 4) metric.push(nested(r, wt, "MetricFamily.metric", readMetric));
    else if (f === 5) {
      r.expect(wt, LEN, "MetricFamily.unit");
      family.unit = r.string();
    } else r.skip(wt);
  }
  if (r.pos !== end) r.fail("MetricFamily overruns its length");
  return Object.assign(family, { metric });
}

/**
 * Decode a delimited body (each `MetricFamily` preceded by its varint length), as Pushgateway
 * receives it. Truncated or corrupt input throws `DecodeError` with the byte offset.
 *
 * @example
 * const families = decodeMetricFamiliesDelimited(body);
 * families[0].metric[0].gauge?.value;
 */
export function decodeMetricFamiliesDelimited(bytes: Uint8Array): DecodedMetricFamily[] {
  const out: DecodedMetricFamily[] = [];
  const r = new ProtoReader(bytes);
  while (!r.done) {
    const end = r.lengthEnd();
    out.push(readMetricFamily(r, end));
  }
  return out;
}
