/**
 * `promwire/wire`: the remote-write 1.0/2.0 codec and snappy, for tools and benchmarks. Series
 * are validated by the rules receivers enforce (typed `EncodeError`); snappy's WASM is loaded by a
 * runtime entry, or by `snappy.init(wasm)`.
 */
export { encodeWriteRequest, WriteRequestEncoder, type EncodeOptions } from "./encode.ts";
export { decodeWriteRequest, versionFromContentType, type DecodeOptions } from "./decode.ts";
export * as snappy from "./snappy-namespace.ts";
export { compareUtf8, describeLabels, getLabel, isValidLabelName, isValidMetricName, labelsFromRecord, type NameValidation } from "./label-rules.ts";
export * from "./types.ts";
export { DecodeError, EncodeError, SnappyNotInitialisedError, type EncodeRule } from "../errors.ts";
