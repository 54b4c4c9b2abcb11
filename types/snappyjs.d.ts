// snappyjs ships no types; only what the benchmarks and interop tests call.
declare module "snappyjs" {
  export function compress(input: Uint8Array | ArrayBuffer): Uint8Array;
  export function uncompress(input: Uint8Array | ArrayBuffer): ArrayBuffer;
  const SnappyJS: { compress: typeof compress; uncompress: typeof uncompress };
  export default SnappyJS;
}
