// An encoder outlives the requests it encodes, and the strings it is handed may be slices of a
// much larger text (a parsed exposition page: V8 keeps a slice of 13+ characters as a view into
// its parent). Whatever the encoder caches across requests must not keep such a text alive: the
// CLI writing a 50 MB page chunk by chunk peaked at 296 MB instead of 183 MB because the encoder's
// set of valid metric names held one name of every chunk, and with it the chunk.
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { unpinned } from "../../core/unpinned-string.ts";
import { WriteRequestEncoder } from "../../core/wire/encode.ts";
import type { ProtocolVersion, Series } from "../../core/wire/types.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
}

const PAGE_CHARS = 2 * 1024 * 1024;
const ROUNDS = 24;
const SERIES = 50;

/**
 * A flat page of about 2 MB and 50 series whose metric names and label values are slices of it,
 * every name new to the encoder (as each chunk of a large page brings its own families).
 */
function pageSeries(round: number): Series[] {
  const lines: string[] = [];
  for (let i = 0; i < SERIES; i++) lines.push(`page_${round}_metric_${i}_total{pod="pod-${round}-${i}-abcdef"} 1`);
  const head = lines.join("\n");
  const text = [head, "#".repeat(PAGE_CHARS - head.length)].join("\n");
  const series: Series[] = [];
  let at = 0;
  for (let i = 0; i < SERIES; i++) {
    const brace = text.indexOf("{", at);
    const quote = text.indexOf('"', brace + 6);
    series.push({ labels: ["__name__", text.slice(at, brace), "pod", text.slice(brace + 6, quote)], samples: [{ value: 1, timestamp: 1_700_000_000_000 + round }] });
    at = text.indexOf("\n", quote) + 1;
  }
  return series;
}

describe("WriteRequestEncoder", () => {
  it("the slices it is given are slices (the premise: one retained name keeps its page)", () => {
    const before = heapAfterGc();
    const kept = pageSeries(0).map((s) => s.labels[1]);
    // The page is 2 MB; names copied out of it would hold a few KB. Half the page is the line
    // between the two: the heap's own bookkeeping has moved this difference by 220 KB.
    expect(heapAfterGc() - before).toBeGreaterThan(PAGE_CHARS * 0.5);
    const copies = kept.map(unpinned);
    kept.length = 0;
    expect(heapAfterGc() - before).toBeLessThan(PAGE_CHARS * 0.1);
    expect(copies[0]).toBe("page_0_metric_0_total");
  });

  it.each(["v1", "v2"] as ProtocolVersion[])("%s: keeps no page alive beyond the last requests, however many pages it encoded", (version) => {
    const encoder = new WriteRequestEncoder();
    encoder.encodeView(pageSeries(1000), { version }); // buffers and tables at their working size
    const before = heapAfterGc();
    for (let r = 0; r < ROUNDS; r++) encoder.encodeView(pageSeries(r), { version });
    const grown = heapAfterGc() - before;
    // Holding every page would be ROUNDS × 2 MB = 48 MB; the last two requests' strings may stay.
    expect(grown).toBeLessThan(3 * PAGE_CHARS + 2 * 1024 * 1024);
  });
});
