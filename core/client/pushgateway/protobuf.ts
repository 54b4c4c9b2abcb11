/**
 * Metric families as Pushgateway's protobuf body: length-delimited `io.prometheus.client.MetricFamily`
 * messages, written by core/wire/metric-family.ts. The flat exposition samples are regrouped into
 * the structured form: a histogram's `_bucket`/`_sum`/`_count`/`_created` lines and any native
 * histogram of the same labels become one `Metric`.
 *
 * What is set follows client_golang's `push` of the same registry, with two promwire choices kept
 * from the first version (and pinned by test/client/pushgateway-protobuf.test.ts, byte for byte):
 * a bucket carries both `cumulative_count` and `cumulative_count_float`, and `help`/`unit` are
 * always present (empty when unknown).
 */

import { EncodeError } from "../../errors.ts";
import type { ExpositionSample, MetricFamily } from "../../exposition/model.ts";
import { getLabel } from "../../wire/label-rules.ts";
import {
  type BucketMessage,
  type BucketSpanMessage,
  ClientMetricType,
  type CounterMessage,
  encodeMetricFamiliesDelimited,
  type ExemplarMessage,
  type HistogramMessage,
  type MetricFamilyMessage,
  type MetricMessage,
  type QuantileMessage,
  type SummaryMessage,
  type TimestampMessage,
} from "../../wire/metric-family.ts";
import type { BucketSpan, Exemplar, Labels, NativeHistogram } from "../../wire/types.ts";

/** Content-Type of the body {@link encodeFamiliesDelimited} produces. */
export const PROTOBUF_DELIMITED = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

const TYPE: Record<MetricFamily["type"], ClientMetricType> = {
  counter: ClientMetricType.COUNTER,
  gauge: ClientMetricType.GAUGE,
  summary: ClientMetricType.SUMMARY,
  unknown: ClientMetricType.UNTYPED,
  histogram: ClientMetricType.HISTOGRAM,
  gaugehistogram: ClientMetricType.GAUGE_HISTOGRAM,
  info: ClientMetricType.GAUGE,
  stateset: ClientMetricType.GAUGE,
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A metric being regrouped: its message parts, filled as lines arrive. */
interface MetricParts {
  readonly label: Labels;
  gauge?: { value: number };
  untyped?: { value: number };
  counter?: Mutable<CounterMessage>;
  summary?: Mutable<SummaryMessage> & { quantile: QuantileMessage[] };
  histogram?: Mutable<HistogramMessage> & { bucket: BucketMessage[]; exemplars: ExemplarMessage[] };
}

function without(labels: Labels, skip: string | undefined): Labels {
  if (skip === undefined) return labels;
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) if (labels[i] !== skip) out.push(labels[i], labels[i + 1]);
  return out;
}

function keyOf(labels: Labels, skip?: string): string {
  const pairs: string[] = [];
  for (let i = 0; i < labels.length; i += 2) if (labels[i] !== skip) pairs.push(`${labels[i]}\xff${labels[i + 1]}`);
  return pairs.sort().join("\xfe");
}

/**
 * `google.protobuf.Timestamp` of a time in ms (as protobuf-es's timestampFromMs); a value that is
 * no time (`_created` NaN, say) is refused here, as that function refuses it.
 */
function timestampFromMs(ms: number, family: string): TimestampMessage {
  const seconds = Math.floor(ms / 1000);
  if (!Number.isInteger(seconds) || Math.abs(seconds) >= 2 ** 63) {
    throw new EncodeError("timestamp-invalid", family, `time ${String(ms)} ms is not a timestamp`);
  }
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

function exemplar(e: Exemplar | undefined, family: string): ExemplarMessage | undefined {
  if (e === undefined) return undefined;
  return e.timestamp ? { label: e.labels, value: e.value, timestamp: timestampFromMs(e.timestamp, family) } : { label: e.labels, value: e.value };
}

/** An integer count goes in the uint64 field, anything else in the float one. */
const count = (v: number): { int: number; float: number } => (Number.isSafeInteger(v) && v >= 0 ? { int: v, float: 0 } : { int: 0, float: v });

function spans(s: readonly BucketSpan[] | undefined): BucketSpanMessage[] {
  return (s ?? []).map((x) => ({ offset: x.offset, length: x.length }));
}

function histogramParts(): NonNullable<MetricParts["histogram"]> {
  return { bucket: [], exemplars: [] };
}

function applyNative(h: NonNullable<MetricParts["histogram"]>, n: NativeHistogram, exemplars: readonly Exemplar[] | undefined, family: string): void {
  if (n.float) h.sampleCountFloat = n.count;
  else h.sampleCount = count(n.count).int;
  h.sampleSum = n.sum;
  h.schema = n.schema;
  h.zeroThreshold = n.zeroThreshold;
  if (n.float) h.zeroCountFloat = n.zeroCount;
  else h.zeroCount = n.zeroCount;
  h.negativeSpan = spans(n.negativeSpans);
  h.positiveSpan = spans(n.positiveSpans);
  if (n.float) {
    h.negativeCount = [...(n.negativeCounts ?? [])];
    h.positiveCount = [...(n.positiveCounts ?? [])];
  } else {
    h.negativeDelta = [...(n.negativeDeltas ?? [])];
    h.positiveDelta = [...(n.positiveDeltas ?? [])];
  }
  if (n.startTimestamp) h.createdTimestamp = timestampFromMs(n.startTimestamp, family);
  for (const e of exemplars ?? []) {
    const m = exemplar(e, family);
    if (m !== undefined) h.exemplars.push(m);
  }
}

/** Regroup one family's flat samples into a `MetricFamily` message. */
export function familyToMessage(f: MetricFamily): MetricFamilyMessage {
  const type = TYPE[f.type];
  const metrics = new Map<string, MetricParts>();
  const metricFor = (labels: Labels, skip?: string): MetricParts => {
    const key = keyOf(labels, skip);
    let m = metrics.get(key);
    if (m === undefined) {
      m = { label: without(labels, skip) };
      metrics.set(key, m);
    }
    return m;
  };
  let name = f.name;
  const suffix = (s: ExpositionSample): string => (s.name.startsWith(f.name) ? s.name.slice(f.name.length) : s.name);

  if (f.type === "histogram" || f.type === "gaugehistogram") {
    for (const s of f.samples) {
      const m = metricFor(s.labels, "le");
      const h = (m.histogram ??= histogramParts());
      const sfx = suffix(s);
      if (sfx === "_bucket") {
        const le = getLabel(s.labels, "le") ?? "+Inf";
        const c = count(s.value);
        // The +Inf bucket is kept (client_golang leaves it implicit): Pushgateway's JSON API
        // lists only the buckets the message holds.
        const b: Mutable<BucketMessage> = { cumulativeCount: c.int, cumulativeCountFloat: c.float, upperBound: le === "+Inf" ? Infinity : Number(le) };
        const e = exemplar(s.exemplar, f.name);
        if (e !== undefined) b.exemplar = e;
        h.bucket.push(b);
      } else if (sfx === "_sum" || sfx === "_gsum") h.sampleSum = s.value;
      else if (sfx === "_count" || sfx === "_gcount") {
        const c = count(s.value);
        h.sampleCount = c.int;
        h.sampleCountFloat = c.float;
      } else if (sfx === "_created") h.createdTimestamp = timestampFromMs(Math.round(s.value * 1000), f.name);
    }
    for (const n of f.nativeHistograms ?? []) {
      const m = metricFor(n.labels);
      applyNative((m.histogram ??= histogramParts()), n.histogram, n.exemplars, f.name);
    }
  } else if (f.type === "summary") {
    for (const s of f.samples) {
      const m = metricFor(s.labels, "quantile");
      const summary = (m.summary ??= { quantile: [] });
      const sfx = suffix(s);
      if (sfx === "_sum") summary.sampleSum = s.value;
      else if (sfx === "_count") summary.sampleCount = count(s.value).int;
      else if (sfx === "_created") summary.createdTimestamp = timestampFromMs(Math.round(s.value * 1000), f.name);
      else summary.quantile.push({ quantile: Number(getLabel(s.labels, "quantile")), value: s.value });
    }
  } else if (f.type === "counter") {
    for (const s of f.samples) {
      const m = metricFor(s.labels);
      if (suffix(s) === "_created") {
        m.counter ??= { value: 0 };
        m.counter.createdTimestamp = timestampFromMs(Math.round(s.value * 1000), f.name);
        continue;
      }
      name = s.name; // `requests_total`: the name text 0.0.4 and Pushgateway use.
      const counter: Mutable<CounterMessage> = { ...(m.counter ?? {}), value: s.value };
      const e = exemplar(s.exemplar, f.name);
      if (e !== undefined) counter.exemplar = e;
      else delete counter.exemplar;
      m.counter = counter;
    }
  } else {
    for (const s of f.samples) {
      const m = metricFor(s.labels);
      if (type === ClientMetricType.UNTYPED) m.untyped = { value: s.value };
      else m.gauge = { value: s.value };
      if (f.type === "info" || f.type === "stateset") name = s.name;
    }
  }
  const metric: MetricMessage[] = [...metrics.values()];
  return { name, help: f.help ?? "", type, metric, unit: f.unit ?? "" };
}

/**
 * Encode families as Pushgateway's protobuf body.
 * @example await fetch(url, { method: "PUT", headers: { "content-type": PROTOBUF_DELIMITED }, body: encodeFamiliesDelimited(registry.collect()) })
 */
export function encodeFamiliesDelimited(families: readonly MetricFamily[]): Uint8Array {
  return encodeMetricFamiliesDelimited(families.map(familyToMessage));
}
