/**
 * Pushgateway's protobuf body: `io.prometheus.client.MetricFamily` messages (client_model's
 * metrics.proto, proto2), each preceded by its varint length ("delimited", as client_golang's
 * `expfmt` writes them). Written here with the same {@link ProtoWriter} as remote write, read in
 * metric-family-decode.ts with `ProtoReader`; both are proven byte-for-byte against
 * `toBinary`/`fromBinary` of the generated `core/gen/io/prometheus/client/metrics_pb.ts` in
 * test/wire/metric-family.property.test.ts, so no run-time path needs `@bufbuild/protobuf`.
 *
 * The message types below mirror the schema field for field. proto2 fields have presence: an
 * optional field is written when it is defined (zero included) and left out when undefined, as
 * protobuf-es does for a field that was set; repeated fields are optional on input and always
 * arrays on output. Label pairs are promwire's flat `[name, value, …]` lists (both fields always
 * written). 64-bit integers are safe-integer numbers; the reader refuses larger ones.
 */

import { EncodeError } from "../errors.ts";
import { ProtoWriter, tag, type WireType } from "./proto-writer.ts";
import type { Labels } from "./types.ts";

/** `io.prometheus.client.MetricType` (an enum: bundlers inline its members). */
export enum ClientMetricType {
  COUNTER = 0,
  GAUGE = 1,
  SUMMARY = 2,
  UNTYPED = 3,
  HISTOGRAM = 4,
  GAUGE_HISTOGRAM = 5,
}

/** `google.protobuf.Timestamp`. */
export interface TimestampMessage {
  readonly seconds: number;
  readonly nanos: number;
}

/** `Exemplar`. */
export interface ExemplarMessage {
  readonly label?: Labels;
  readonly value?: number;
  readonly timestamp?: TimestampMessage;
}

/** `Bucket` of a classic histogram. */
export interface BucketMessage {
  readonly cumulativeCount?: number;
  readonly cumulativeCountFloat?: number;
  readonly upperBound?: number;
  readonly exemplar?: ExemplarMessage;
}

/** `BucketSpan` of a native histogram. */
export interface BucketSpanMessage {
  readonly offset?: number;
  readonly length?: number;
}

/** `Histogram`: classic buckets, native (sparse) buckets, or both. */
export interface HistogramMessage {
  readonly sampleCount?: number;
  readonly sampleCountFloat?: number;
  readonly sampleSum?: number;
  readonly bucket?: readonly BucketMessage[];
  readonly createdTimestamp?: TimestampMessage;
  readonly schema?: number;
  readonly zeroThreshold?: number;
  readonly zeroCount?: number;
  readonly zeroCountFloat?: number;
  readonly negativeSpan?: readonly BucketSpanMessage[];
  readonly negativeDelta?: readonly number[];
  readonly negativeCount?: readonly number[];
  readonly positiveSpan?: readonly BucketSpanMessage[];
  readonly positiveDelta?: readonly number[];
  readonly positiveCount?: readonly number[];
  readonly exemplars?: readonly ExemplarMessage[];
}

/** `Quantile` of a summary. */
export interface QuantileMessage {
  readonly quantile?: number;
  readonly value?: number;
}

/** `Summary`. */
export interface SummaryMessage {
  readonly sampleCount?: number;
  readonly sampleSum?: number;
  readonly quantile?: readonly QuantileMessage[];
  readonly createdTimestamp?: TimestampMessage;
}

/** `Counter`. */
export interface CounterMessage {
  readonly value?: number;
  readonly exemplar?: ExemplarMessage;
  readonly createdTimestamp?: TimestampMessage;
}

/** `Gauge` and `Untyped`. */
export interface ValueMessage {
  readonly value?: number;
}

/** `Metric`: one label set of a family and its value(s). */
export interface MetricMessage {
  readonly label?: Labels;
  readonly gauge?: ValueMessage;
  readonly counter?: CounterMessage;
  readonly summary?: SummaryMessage;
  readonly untyped?: ValueMessage;
  readonly histogram?: HistogramMessage;
  readonly timestampMs?: number;
}

/** `MetricFamily`. */
export interface MetricFamilyMessage {
  readonly name?: string;
  readonly help?: string;
  readonly type?: number;
  readonly metric?: readonly MetricMessage[];
  readonly unit?: string;
}

/** What `decodeMetricFamiliesDelimited` (metric-family-decode.ts) returns: repeated fields always present. */
export type DecodedMetricFamily = Required<Pick<MetricFamilyMessage, "metric">> & MetricFamilyMessage;


// Wire types as local constants, typed by the enum (a wrong number does not compile): with a
// value import of the enum, esbuild keeps the `@__PURE__` key constants below even in bundles
// that have no Pushgateway client (measured: 0.5 KB of the Worker bundle).
const VARINT: WireType.Varint = 0;
const BIT64: WireType.Bit64 = 1;
const LEN: WireType.LengthDelimited = 2;

// Field keys.
// MetricFamily
const FAMILY_NAME = /* @__PURE__ */ tag(1, LEN);
const FAMILY_HELP = /* @__PURE__ */ tag(2, LEN);
const FAMILY_TYPE = /* @__PURE__ */ tag(3, VARINT);
const FAMILY_METRIC = /* @__PURE__ */ tag(4, LEN);
const FAMILY_UNIT = /* @__PURE__ */ tag(5, LEN);
// Metric
const METRIC_LABEL = /* @__PURE__ */ tag(1, LEN);
const METRIC_GAUGE = /* @__PURE__ */ tag(2, LEN);
const METRIC_COUNTER = /* @__PURE__ */ tag(3, LEN);
const METRIC_SUMMARY = /* @__PURE__ */ tag(4, LEN);
const METRIC_UNTYPED = /* @__PURE__ */ tag(5, LEN);
const METRIC_TIMESTAMP_MS = /* @__PURE__ */ tag(6, VARINT);
const METRIC_HISTOGRAM = /* @__PURE__ */ tag(7, LEN);
// LabelPair
const LABEL_NAME = /* @__PURE__ */ tag(1, LEN);
const LABEL_VALUE = /* @__PURE__ */ tag(2, LEN);
// Gauge, Untyped
const VALUE = /* @__PURE__ */ tag(1, BIT64);
// Counter
const COUNTER_VALUE = /* @__PURE__ */ tag(1, BIT64);
const COUNTER_EXEMPLAR = /* @__PURE__ */ tag(2, LEN);
const COUNTER_CREATED = /* @__PURE__ */ tag(3, LEN);
// Quantile
const QUANTILE_QUANTILE = /* @__PURE__ */ tag(1, BIT64);
const QUANTILE_VALUE = /* @__PURE__ */ tag(2, BIT64);
// Summary
const SUMMARY_COUNT = /* @__PURE__ */ tag(1, VARINT);
const SUMMARY_SUM = /* @__PURE__ */ tag(2, BIT64);
const SUMMARY_QUANTILE = /* @__PURE__ */ tag(3, LEN);
const SUMMARY_CREATED = /* @__PURE__ */ tag(4, LEN);
// Histogram (proto2: repeated scalars unpacked, one key per element)
const HISTOGRAM_COUNT = /* @__PURE__ */ tag(1, VARINT);
const HISTOGRAM_SUM = /* @__PURE__ */ tag(2, BIT64);
const HISTOGRAM_BUCKET = /* @__PURE__ */ tag(3, LEN);
const HISTOGRAM_COUNT_FLOAT = /* @__PURE__ */ tag(4, BIT64);
const HISTOGRAM_SCHEMA = /* @__PURE__ */ tag(5, VARINT); // sint32
const HISTOGRAM_ZERO_THRESHOLD = /* @__PURE__ */ tag(6, BIT64);
const HISTOGRAM_ZERO_COUNT = /* @__PURE__ */ tag(7, VARINT);
const HISTOGRAM_ZERO_COUNT_FLOAT = /* @__PURE__ */ tag(8, BIT64);
const HISTOGRAM_NEGATIVE_SPAN = /* @__PURE__ */ tag(9, LEN);
const HISTOGRAM_NEGATIVE_DELTA = /* @__PURE__ */ tag(10, VARINT); // sint64
const HISTOGRAM_NEGATIVE_COUNT = /* @__PURE__ */ tag(11, BIT64);
const HISTOGRAM_POSITIVE_SPAN = /* @__PURE__ */ tag(12, LEN);
const HISTOGRAM_POSITIVE_DELTA = /* @__PURE__ */ tag(13, VARINT); // sint64
const HISTOGRAM_POSITIVE_COUNT = /* @__PURE__ */ tag(14, BIT64);
const HISTOGRAM_CREATED = /* @__PURE__ */ tag(15, LEN);
const HISTOGRAM_EXEMPLARS = /* @__PURE__ */ tag(16, LEN); // a two-byte key
// Bucket
const BUCKET_COUNT = /* @__PURE__ */ tag(1, VARINT);
const BUCKET_UPPER_BOUND = /* @__PURE__ */ tag(2, BIT64);
const BUCKET_EXEMPLAR = /* @__PURE__ */ tag(3, LEN);
const BUCKET_COUNT_FLOAT = /* @__PURE__ */ tag(4, BIT64);
// BucketSpan
const SPAN_OFFSET = /* @__PURE__ */ tag(1, VARINT); // sint32
const SPAN_LENGTH = /* @__PURE__ */ tag(2, VARINT);
// Exemplar
const EXEMPLAR_LABEL = /* @__PURE__ */ tag(1, LEN);
const EXEMPLAR_VALUE = /* @__PURE__ */ tag(2, BIT64);
const EXEMPLAR_TIMESTAMP = /* @__PURE__ */ tag(3, LEN);
// google.protobuf.Timestamp (proto3: zero fields are left out)
const TIMESTAMP_SECONDS = /* @__PURE__ */ tag(1, VARINT);
const TIMESTAMP_NANOS = /* @__PURE__ */ tag(2, VARINT);

// ---- writing ----

function doubleField(w: ProtoWriter, key: number, v: number | undefined): void {
  if (v === undefined) return;
  w.ensure(10);
  w.key(key);
  w.double(v);
}

/** An integer a double holds exactly and int64 can carry (the writer is exact for all of them). */
const isInt64 = (v: number): boolean => Number.isInteger(v) && v >= -(2 ** 63) && v < 2 ** 63;

function int64Field(w: ProtoWriter, key: number, v: number | undefined): void {
  if (v === undefined) return;
  if (!isInt64(v)) throw new BadField("value-invalid", `64-bit integer field ${String(v)} is not an integer in range`);
  w.ensure(12);
  w.key(key);
  w.int64(v);
}

/** A field that cannot be written, turned into an {@link EncodeError} naming its family. */
class BadField {
  constructor(
    readonly rule: "label-value-invalid" | "metadata-invalid" | "value-invalid",
    readonly detail: string,
  ) {}
}

function stringField(w: ProtoWriter, key: number, s: string | undefined, what: string): void {
  if (s !== undefined && !w.string(key, s)) {
    const rule = what.startsWith("label") ? "label-value-invalid" : "metadata-invalid";
    throw new BadField(rule, `${what} ${JSON.stringify(s)} is not well-formed Unicode (lone surrogate)`);
  }
}

/** A nested message under `key`: `body` writes its fields, the length is back-patched. */
function message<T>(w: ProtoWriter, key: number, m: T | undefined, body: (w: ProtoWriter, m: T) => void): void {
  if (m === undefined) return;
  w.ensure(3);
  w.key(key);
  const at = w.fork(1);
  body(w, m);
  w.join(at, 1);
}

function writeLabelPairs(w: ProtoWriter, key: number, labels: Labels | undefined): void {
  if (labels === undefined) return;
  for (let i = 0; i < labels.length; i += 2) {
    w.ensure(3);
    w.key(key);
    const at = w.fork(1);
    stringField(w, LABEL_NAME, labels[i], "label name");
    stringField(w, LABEL_VALUE, labels[i + 1], "label value");
    w.join(at, 1);
  }
}

function writeTimestamp(w: ProtoWriter, t: TimestampMessage): void {
  if (t.seconds !== 0) int64Field(w, TIMESTAMP_SECONDS, t.seconds);
  if (t.nanos !== 0) int64Field(w, TIMESTAMP_NANOS, t.nanos); // int32: negatives sign-extend to 10 bytes, as int64
}

function writeExemplar(w: ProtoWriter, e: ExemplarMessage): void {
  writeLabelPairs(w, EXEMPLAR_LABEL, e.label);
  doubleField(w, EXEMPLAR_VALUE, e.value);
  message(w, EXEMPLAR_TIMESTAMP, e.timestamp, writeTimestamp);
}

function writeBucket(w: ProtoWriter, b: BucketMessage): void {
  int64Field(w, BUCKET_COUNT, b.cumulativeCount);
  doubleField(w, BUCKET_UPPER_BOUND, b.upperBound);
  message(w, BUCKET_EXEMPLAR, b.exemplar, writeExemplar);
  doubleField(w, BUCKET_COUNT_FLOAT, b.cumulativeCountFloat);
}

function writeSpan(w: ProtoWriter, s: BucketSpanMessage): void {
  if (s.offset !== undefined) {
    w.ensure(1);
    w.key(SPAN_OFFSET);
    w.sint32(s.offset);
  }
  if (s.length !== undefined) {
    w.ensure(1);
    w.key(SPAN_LENGTH);
    w.uint32(s.length);
  }
}

function each<T>(w: ProtoWriter, key: number, list: readonly T[] | undefined, body: (w: ProtoWriter, m: T) => void): void {
  if (list !== undefined) for (const m of list) message(w, key, m, body);
}

function sint64s(w: ProtoWriter, key: number, list: readonly number[] | undefined): void {
  if (list === undefined) return;
  for (const v of list) {
    if (!isInt64(v)) throw new BadField("value-invalid", `bucket delta ${String(v)} is not an integer in range`);
    w.ensure(1);
    w.key(key);
    w.sint64(v);
  }
}

function doubles(w: ProtoWriter, key: number, list: readonly number[] | undefined): void {
  if (list !== undefined) for (const v of list) doubleField(w, key, v);
}

function writeHistogram(w: ProtoWriter, h: HistogramMessage): void {
  int64Field(w, HISTOGRAM_COUNT, h.sampleCount);
  doubleField(w, HISTOGRAM_SUM, h.sampleSum);
  each(w, HISTOGRAM_BUCKET, h.bucket, writeBucket);
  doubleField(w, HISTOGRAM_COUNT_FLOAT, h.sampleCountFloat);
  if (h.schema !== undefined) {
    w.ensure(1);
    w.key(HISTOGRAM_SCHEMA);
    w.sint32(h.schema);
  }
  doubleField(w, HISTOGRAM_ZERO_THRESHOLD, h.zeroThreshold);
  int64Field(w, HISTOGRAM_ZERO_COUNT, h.zeroCount);
  doubleField(w, HISTOGRAM_ZERO_COUNT_FLOAT, h.zeroCountFloat);
  each(w, HISTOGRAM_NEGATIVE_SPAN, h.negativeSpan, writeSpan);
  sint64s(w, HISTOGRAM_NEGATIVE_DELTA, h.negativeDelta);
  doubles(w, HISTOGRAM_NEGATIVE_COUNT, h.negativeCount);
  each(w, HISTOGRAM_POSITIVE_SPAN, h.positiveSpan, writeSpan);
  sint64s(w, HISTOGRAM_POSITIVE_DELTA, h.positiveDelta);
  doubles(w, HISTOGRAM_POSITIVE_COUNT, h.positiveCount);
  message(w, HISTOGRAM_CREATED, h.createdTimestamp, writeTimestamp);
  each(w, HISTOGRAM_EXEMPLARS, h.exemplars, writeExemplar);
}

function writeQuantile(w: ProtoWriter, q: QuantileMessage): void {
  doubleField(w, QUANTILE_QUANTILE, q.quantile);
  doubleField(w, QUANTILE_VALUE, q.value);
}

function writeSummary(w: ProtoWriter, s: SummaryMessage): void {
  int64Field(w, SUMMARY_COUNT, s.sampleCount);
  doubleField(w, SUMMARY_SUM, s.sampleSum);
  each(w, SUMMARY_QUANTILE, s.quantile, writeQuantile);
  message(w, SUMMARY_CREATED, s.createdTimestamp, writeTimestamp);
}

function writeCounter(w: ProtoWriter, c: CounterMessage): void {
  doubleField(w, COUNTER_VALUE, c.value);
  message(w, COUNTER_EXEMPLAR, c.exemplar, writeExemplar);
  message(w, COUNTER_CREATED, c.createdTimestamp, writeTimestamp);
}

function writeValue(w: ProtoWriter, v: ValueMessage): void {
  doubleField(w, VALUE, v.value);
}

function writeMetric(w: ProtoWriter, m: MetricMessage): void {
  writeLabelPairs(w, METRIC_LABEL, m.label);
  message(w, METRIC_GAUGE, m.gauge, writeValue);
  message(w, METRIC_COUNTER, m.counter, writeCounter);
  message(w, METRIC_SUMMARY, m.summary, writeSummary);
  message(w, METRIC_UNTYPED, m.untyped, writeValue);
  int64Field(w, METRIC_TIMESTAMP_MS, m.timestampMs);
  message(w, METRIC_HISTOGRAM, m.histogram, writeHistogram);
}

/** The fields of one `MetricFamily` (no length prefix). */
export function writeMetricFamily(w: ProtoWriter, f: MetricFamilyMessage): void {
  stringField(w, FAMILY_NAME, f.name, "metric family name");
  stringField(w, FAMILY_HELP, f.help, "help");
  if (f.type !== undefined) {
    w.ensure(1);
    w.key(FAMILY_TYPE);
    w.uint32(f.type);
  }
  each(w, FAMILY_METRIC, f.metric, writeMetric);
  stringField(w, FAMILY_UNIT, f.unit, "unit");
}

/**
 * Encode metric families as a delimited body: each message preceded by its varint length.
 * Throws {@link EncodeError} when a string has no UTF-8 encoding (a lone surrogate, which
 * `toBinary` would silently send as U+FFFD) or a 64-bit integer field is not an integer in int64 range.
 *
 * @example
 * const body = encodeMetricFamiliesDelimited([{ name: "up", type: ClientMetricType.GAUGE,
 *   metric: [{ label: ["job", "batch"], gauge: { value: 1 } }] }]);
 */
export function encodeMetricFamiliesDelimited(families: readonly MetricFamilyMessage[]): Uint8Array {
  const w = new ProtoWriter(4 * 1024);
  for (const f of families) {
    const at = w.fork(2);
    try {
      writeMetricFamily(w, f);
    } catch (e) {
      if (!(e instanceof BadField)) throw e;
      throw new EncodeError(e.rule, String(f.name), e.detail);
    }
    w.join(at, 2);
  }
  return w.finish();
}
