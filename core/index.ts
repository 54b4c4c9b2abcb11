/**
 * promwire: the metric types and the errors, runtime-agnostic. The clients (`remoteWrite`,
 * `pushgateway`) come from a runtime entry — `promwire/node`, `promwire/deno`, `promwire/bun`,
 * `promwire/workers` — which re-exports all of this too. Lower layers have entries of their own:
 * `promwire/wire` (codec and snappy), `promwire/exposition` (parse, serialize, to series),
 * `promwire/edge` (isolate metrics, timestamps, Pushgateway hygiene), `promwire/effect` (the
 * clients as Effect services) and `promwire/proto` (the generated protobuf messages).
 */
export { Registry, type RegistryOptions } from "./metrics/registry.ts";
export { Counter, type CounterChild, type CounterOptions } from "./metrics/counter.ts";
export { Gauge, type GaugeChild, type GaugeOptions } from "./metrics/gauge.ts";
export { DEFAULT_BUCKETS, Histogram, type HistogramChild, type HistogramOptions, type NativeHistogramOptions } from "./metrics/histogram.ts";
export { DEFAULT_PERCENTILES, Summary, type SummaryChild, type SummaryOptions } from "./metrics/summary.ts";
export type { Clock } from "./metrics/clock.ts";
export type { Collectable } from "./metrics/collectable.ts";
export type { ExemplarLabels } from "./metrics/exemplar.ts";
export type { LabelValue, LabelValues } from "./metrics/labels.ts";
export type { MetricOptions } from "./metrics/metric.ts";
export type { ExpositionNativeHistogram, ExpositionSample, FamilyType, MetricFamily } from "./exposition/model.ts";
export * from "./errors.ts";
