export { encodeWriteRequest, WriteRequestEncoder, type EncodeOptions } from "./encode.ts";
export { decodeWriteRequest, versionFromContentType, type DecodeOptions } from "./decode.ts";
export {
  compress as snappyCompress,
  decompress as snappyDecompress,
  initSnappy,
  isSnappyReady,
  snappyDeclaredLength,
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
export * from "./types.ts";
