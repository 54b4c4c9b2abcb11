// The reference encoding: promwire series turned into the generated protobuf-es messages and
// serialised with `toBinary`. The fast encoder must match it byte for byte.
import { create, toBinary } from "@bufbuild/protobuf";
import { WriteRequestSchema } from "../../core/gen/prometheus/remote_pb.ts";
import type { Histogram as V1Histogram } from "../../core/gen/prometheus/types_pb.ts";
import { RequestSchema } from "../../core/gen/io/prometheus/write/v2/types_pb.ts";
import type { Histogram as V2Histogram } from "../../core/gen/io/prometheus/write/v2/types_pb.ts";
import { METRIC_TYPE_NUMBER, MetadataIndex } from "../../core/wire/metadata.ts";
import type { Labels, MetricMetadata, NativeHistogram, Series } from "../../core/wire/types.ts";

const HINT = { unknown: 0, yes: 1, no: 2, gauge: 3 } as const;

function pairs(labels: Labels): { name: string; value: string }[] {
  const out = [];
  for (let i = 0; i < labels.length; i += 2) if (labels[i + 1] !== "") out.push({ name: labels[i], value: labels[i + 1] });
  return out;
}

function histogramInit(h: NativeHistogram) {
  return {
    count: h.float ? { case: "countFloat" as const, value: h.count } : { case: "countInt" as const, value: BigInt(h.count) },
    sum: h.sum,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.float ? { case: "zeroCountFloat" as const, value: h.zeroCount } : { case: "zeroCountInt" as const, value: BigInt(h.zeroCount) },
    negativeSpans: (h.negativeSpans ?? []).map((s) => ({ offset: s.offset, length: s.length })),
    negativeDeltas: (h.negativeDeltas ?? []).map(BigInt),
    negativeCounts: [...(h.negativeCounts ?? [])],
    positiveSpans: (h.positiveSpans ?? []).map((s) => ({ offset: s.offset, length: s.length })),
    positiveDeltas: (h.positiveDeltas ?? []).map(BigInt),
    positiveCounts: [...(h.positiveCounts ?? [])],
    resetHint: HINT[h.resetHint ?? "unknown"],
    timestamp: BigInt(h.timestamp),
    customValues: [...(h.customValues ?? [])],
  };
}

export function referenceV1(series: readonly Series[], metadata: readonly MetricMetadata[] = []): Uint8Array {
  const msg = create(WriteRequestSchema, {
    timeseries: series.map((s) => ({
      labels: pairs(s.labels),
      samples: (s.samples ?? []).map((x) => ({ value: x.value, timestamp: BigInt(x.timestamp) })),
      exemplars: (s.exemplars ?? []).map((e) => ({ labels: pairs(e.labels), value: e.value, timestamp: BigInt(e.timestamp ?? 0) })),
      histograms: (s.histograms ?? []).map((h) => histogramInit(h) as unknown as V1Histogram),
    })),
    metadata: metadata.map((m) => ({
      type: METRIC_TYPE_NUMBER[m.type],
      metricFamilyName: m.metricFamilyName,
      help: m.help ?? "",
      unit: m.unit ?? "",
    })),
  });
  return toBinary(WriteRequestSchema, msg);
}

export function referenceV2(series: readonly Series[], metadata: readonly MetricMetadata[] = []): Uint8Array {
  const symbols: string[] = [""];
  const index = new Map<string, number>([["", 0]]);
  const ref = (s: string): number => {
    let r = index.get(s);
    if (r === undefined) {
      r = symbols.length;
      symbols.push(s);
      index.set(s, r);
    }
    return r;
  };
  const refs = (labels: Labels): number[] => pairs(labels).flatMap((p) => [ref(p.name), ref(p.value)]);
  const metaIndex = new MetadataIndex(metadata);
  const timeseries = series.map((s) => {
    const labelsRefs = refs(s.labels);
    const exemplars = (s.exemplars ?? []).map((e) => ({ labelsRefs: refs(e.labels), value: e.value, timestamp: BigInt(e.timestamp ?? 0) }));
    let name = "";
    for (let i = 0; i < s.labels.length; i += 2) if (s.labels[i] === "__name__") name = s.labels[i + 1];
    const meta = s.metadata ?? (metadata.length > 0 ? metaIndex.lookup(name) : undefined);
    return {
      labelsRefs,
      samples: (s.samples ?? []).map((x) => ({ value: x.value, timestamp: BigInt(x.timestamp), startTimestamp: BigInt(x.startTimestamp ?? 0) })),
      histograms: (s.histograms ?? []).map(
        (h) => ({ ...histogramInit(h), startTimestamp: BigInt(h.startTimestamp ?? 0) }) as unknown as V2Histogram,
      ),
      exemplars,
      metadata: meta && {
        type: METRIC_TYPE_NUMBER[meta.type],
        helpRef: meta.help ? ref(meta.help) : 0,
        unitRef: meta.unit ? ref(meta.unit) : 0,
      },
    };
  });
  return toBinary(RequestSchema, create(RequestSchema, { symbols, timeseries }));
}
