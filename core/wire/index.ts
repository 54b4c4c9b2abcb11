/**
 * `promwire/wire`: the remote-write 1.0/2.0 codec and snappy, for tools and benchmarks. Series
 * are validated by the rules receivers enforce (typed `EncodeError`). Snappy's WASM is the
 * embedded copy, compiled on first use — unless a runtime entry registered its own (on Workers,
 * import `promwire/workers` too: Workers cannot compile WASM from bytes).
 */
import { useEmbeddedSnappy } from "./snappy-embedded.ts";

useEmbeddedSnappy({ fallback: true });

export { encodeWriteRequest, WriteRequestEncoder, type EncodeOptions } from "./encode.ts";
export { decodeWriteRequest, versionFromContentType, type DecodeOptions } from "./decode.ts";
export * as snappy from "./snappy-namespace.ts";
export { compareUtf8, describeLabels, getLabel, isValidLabelName, isValidMetricName, labelsFromRecord, type NameValidation } from "./label-rules.ts";
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
export { DecodeError, EncodeError, SnappyNotInitialisedError, type EncodeRule } from "../errors.ts";
