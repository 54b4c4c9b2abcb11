/** Gzip request bodies with the runtime's `CompressionStream`, for Pushgateway's `compression: "gzip"`. */

/** Whether this runtime has a gzip `CompressionStream` (Node ≥ 18, Deno, Bun, workerd, browsers). */
export function canGzip(): boolean {
  return typeof CompressionStream === "function";
}

/**
 * Gzip bytes with the runtime's `CompressionStream`.
 * @example const body = await gzip(new TextEncoder().encode("up 1\n"));
 */
export async function gzip(input: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([input as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
