export { encodeWriteRequest, WriteRequestEncoder, type EncodeOptions } from "./encode.ts";
export { decodeWriteRequest, versionFromContentType, type DecodeOptions } from "./decode.ts";
export {
  compress as snappyCompress,
  decompress as snappyDecompress,
  initSnappy,
  isSnappyReady,
  snappyDeclaredLength,
  SnappyCompressor,
  SnappyNotInitialisedError,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecompressOptions,
  type SnappyWasmSource,
} from "./snappy.ts";
export {
  compareUtf8,
  describeLabels,
  getLabel,
  isValidLabelName,
  isValidMetricName,
  labelsFromRecord,
  type NameValidation,
} from "./label-rules.ts";
export { decodeMetricFamiliesDelimited } from "./metric-family-decode.ts";
export {
  ClientMetricType,
  encodeMetricFamiliesDelimited,
  type BucketMessage,
  type BucketSpanMessage,
  type CounterMessage,
  type DecodedMetricFamily,
  type ExemplarMessage,
  type HistogramMessage,
  type MetricFamilyMessage,
  type MetricMessage,
  type QuantileMessage,
  type SummaryMessage,
  type TimestampMessage,
  type ValueMessage,
} from "./metric-family.ts";
export * from "./types.ts";
