/**
 * promwire's metric types: Registry, Counter, Gauge, Histogram (classic and native), Summary.
 * Runtime-agnostic: time comes from an injectable {@link Clock}.
 */

export { systemClock, type Clock } from "./clock.ts";
export { Counter, CounterChild, type CounterOptions } from "./counter.ts";
export { EXEMPLAR_MAX_RUNES, makeExemplar, type ExemplarLabels } from "./exemplar.ts";
export { Gauge, GaugeChild, type GaugeOptions } from "./gauge.ts";
export {
  DEFAULT_BUCKETS,
  Histogram,
  HistogramChild,
  type HistogramOptions,
  type NativeHistogramOptions,
} from "./histogram.ts";
export type { LabelValue, LabelValues } from "./labels.ts";
export { Metric, MetricChild, OVERFLOW_LABEL_VALUE, type Collector, type MetricOptions, type SeriesLimited } from "./metric.ts";
export { NativeExemplars } from "./native-exemplars.ts";
export {
  DEFAULT_NATIVE_ZERO_THRESHOLD,
  frexp,
  NATIVE_SCHEMA_MAX,
  NATIVE_SCHEMA_MIN,
  makeSpansAndDeltas,
  nativeBucketKey,
  nativeBucketUpperBound,
  NativeBuckets,
  pickNativeSchema,
} from "./native-histogram.ts";
export { QuantileStream } from "./quantile-stream.ts";
export { Registry, SERIES_OVERFLOW_METRIC, type RegistryOptions } from "./registry.ts";
export { DEFAULT_PERCENTILES, Summary, SummaryChild, type SummaryOptions } from "./summary.ts";
