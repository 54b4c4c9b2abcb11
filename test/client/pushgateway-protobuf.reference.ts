// The first Pushgateway body encoder, kept as the test oracle: the same regrouping built with
// the generated protobuf-es messages (`create`) and serialised with `toBinary`. The run-time
// encoder (core/client/pushgateway/protobuf.ts over core/wire/metric-family.ts) must give the
// same bytes.
/**
 * Metric families as Pushgateway's protobuf body: length-delimited `io.prometheus.client.MetricFamily`
 * messages (varint length, then the message), built with the generated types. The flat
 * exposition samples are regrouped into the structured form: a histogram's `_bucket`/`_sum`/
 * `_count`/`_created` lines and any native histogram of the same labels become one `Metric`.
 */

import { create, toBinary } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ExpositionSample, MetricFamily } from "../../core/exposition/model.ts";
import {
  BucketSchema,
  BucketSpanSchema,
  ExemplarSchema,
  HistogramSchema,
  LabelPairSchema,
  MetricFamilySchema,
  MetricSchema,
  MetricType,
  QuantileSchema,
  SummarySchema,
  type Exemplar as PbExemplar,
  type Histogram as PbHistogram,
  type Metric,
} from "../../core/gen/io/prometheus/client/metrics_pb.ts";
import { getLabel } from "../../core/wire/label-rules.ts";
import type { BucketSpan, Exemplar, Labels, NativeHistogram } from "../../core/wire/types.ts";


const TYPE: Record<MetricFamily["type"], MetricType> = {
  counter: MetricType.COUNTER,
  gauge: MetricType.GAUGE,
  summary: MetricType.SUMMARY,
  unknown: MetricType.UNTYPED,
  histogram: MetricType.HISTOGRAM,
  gaugehistogram: MetricType.GAUGE_HISTOGRAM,
  info: MetricType.GAUGE,
  stateset: MetricType.GAUGE,
};

function labelPairs(labels: Labels, skip?: string) {
  const out = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] !== skip) out.push(create(LabelPairSchema, { name: labels[i], value: labels[i + 1] }));
  }
  return out;
}

function keyOf(labels: Labels, skip?: string): string {
  const pairs: string[] = [];
  for (let i = 0; i < labels.length; i += 2) if (labels[i] !== skip) pairs.push(`${labels[i]}\xff${labels[i + 1]}`);
  return pairs.sort().join("\xfe");
}

function exemplar(e: Exemplar | undefined): PbExemplar | undefined {
  if (e === undefined) return undefined;
  return create(ExemplarSchema, {
    label: labelPairs(e.labels),
    value: e.value,
    timestamp: e.timestamp ? timestampFromMs(e.timestamp) : undefined,
  });
}

const count = (v: number): { int: bigint; float: number } =>
  Number.isSafeInteger(v) && v >= 0 ? { int: BigInt(v), float: 0 } : { int: 0n, float: v };

function spans(s: readonly BucketSpan[] | undefined) {
  return (s ?? []).map((x) => create(BucketSpanSchema, { offset: x.offset, length: x.length }));
}

function applyNative(h: PbHistogram, n: NativeHistogram, exemplars: readonly Exemplar[] | undefined): void {
  const c = count(n.count);
  if (n.float) h.sampleCountFloat = n.count;
  else h.sampleCount = c.int;
  h.sampleSum = n.sum;
  h.schema = n.schema;
  h.zeroThreshold = n.zeroThreshold;
  if (n.float) h.zeroCountFloat = n.zeroCount;
  else h.zeroCount = BigInt(n.zeroCount);
  h.negativeSpan = spans(n.negativeSpans);
  h.positiveSpan = spans(n.positiveSpans);
  if (n.float) {
    h.negativeCount = [...(n.negativeCounts ?? [])];
    h.positiveCount = [...(n.positiveCounts ?? [])];
  } else {
    h.negativeDelta = (n.negativeDeltas ?? []).map(BigInt);
    h.positiveDelta = (n.positiveDeltas ?? []).map(BigInt);
  }
  if (n.startTimestamp) h.createdTimestamp = timestampFromMs(n.startTimestamp);
  for (const e of exemplars ?? []) {
    const pb = exemplar(e);
    if (pb) h.exemplars.push(pb);
  }
}

/** Regroup one family's flat samples into protobuf metrics. */
export function familyToProto(f: MetricFamily) {
  const type = TYPE[f.type];
  const metrics = new Map<string, Metric>();
  const metricFor = (labels: Labels, skip?: string): Metric => {
    const key = keyOf(labels, skip);
    let m = metrics.get(key);
    if (m === undefined) {
      m = create(MetricSchema, { label: labelPairs(labels, skip) });
      metrics.set(key, m);
    }
    return m;
  };
  let name = f.name;
  const suffix = (s: ExpositionSample): string => (s.name.startsWith(f.name) ? s.name.slice(f.name.length) : s.name);

  if (f.type === "histogram" || f.type === "gaugehistogram") {
    for (const s of f.samples) {
      const m = metricFor(s.labels, "le");
      m.histogram ??= create(HistogramSchema, {});
      const h = m.histogram;
      const sfx = suffix(s);
      if (sfx === "_bucket") {
        const le = getLabel(s.labels, "le") ?? "+Inf";
        const c = count(s.value);
        // The +Inf bucket is kept (client_golang leaves it implicit): Pushgateway's JSON API
        // lists only the buckets the message holds.
        h.bucket.push(create(BucketSchema, { upperBound: le === "+Inf" ? Infinity : Number(le), cumulativeCount: c.int, cumulativeCountFloat: c.float, exemplar: exemplar(s.exemplar) }));
      } else if (sfx === "_sum" || sfx === "_gsum") h.sampleSum = s.value;
      else if (sfx === "_count" || sfx === "_gcount") {
        const c = count(s.value);
        h.sampleCount = c.int;
        h.sampleCountFloat = c.float;
      } else if (sfx === "_created") h.createdTimestamp = timestampFromMs(Math.round(s.value * 1000));
    }
    for (const n of f.nativeHistograms ?? []) {
      const m = metricFor(n.labels);
      m.histogram ??= create(HistogramSchema, {});
      applyNative(m.histogram, n.histogram, n.exemplars);
    }
  } else if (f.type === "summary") {
    for (const s of f.samples) {
      const m = metricFor(s.labels, "quantile");
      m.summary ??= create(SummarySchema, {});
      const sfx = suffix(s);
      if (sfx === "_sum") m.summary.sampleSum = s.value;
      else if (sfx === "_count") m.summary.sampleCount = count(s.value).int;
      else if (sfx === "_created") m.summary.createdTimestamp = timestampFromMs(Math.round(s.value * 1000));
      else m.summary.quantile.push(create(QuantileSchema, { quantile: Number(getLabel(s.labels, "quantile")), value: s.value }));
    }
  } else if (f.type === "counter") {
    for (const s of f.samples) {
      const m = metricFor(s.labels);
      if (suffix(s) === "_created") {
        m.counter ??= { $typeName: "io.prometheus.client.Counter", value: 0 };
        m.counter.createdTimestamp = timestampFromMs(Math.round(s.value * 1000));
        continue;
      }
      name = s.name; // `requests_total`: the name text 0.0.4 and Pushgateway use.
      m.counter = { ...(m.counter ?? {}), $typeName: "io.prometheus.client.Counter", value: s.value, exemplar: exemplar(s.exemplar) };
    }
  } else {
    for (const s of f.samples) {
      const m = metricFor(s.labels);
      if (type === MetricType.UNTYPED) m.untyped = { $typeName: "io.prometheus.client.Untyped", value: s.value };
      else m.gauge = { $typeName: "io.prometheus.client.Gauge", value: s.value };
      if (f.type === "info" || f.type === "stateset") name = s.name;
    }
  }
  return create(MetricFamilySchema, { name, help: f.help ?? "", type, metric: [...metrics.values()], unit: f.unit ?? "" });
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/**
 * Encode families as Pushgateway's protobuf body.
 * (the reference encoder of the test suite)
 */
export function referenceFamiliesDelimited(families: readonly MetricFamily[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const f of families) {
    const msg = toBinary(MetricFamilySchema, familyToProto(f));
    const prefix = Uint8Array.from(varint(msg.length));
    parts.push(prefix, msg);
    size += prefix.length + msg.length;
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
