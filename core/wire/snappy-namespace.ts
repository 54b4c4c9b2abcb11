/** `snappy` of `promwire/wire`: the block format remote write uses. */
export {
  compress,
  decompress,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  initSnappy as init,
  isSnappyReady as isReady,
  snappyDeclaredLength as declaredLength,
  type DecompressOptions,
  type SnappyWasmSource,
} from "./snappy.ts";
