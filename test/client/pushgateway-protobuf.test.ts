import { fromBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { encodeFamiliesDelimited } from "../../core/client/pushgateway/protobuf.ts";
import { VERSION } from "../../core/client/http/version.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";
import { MetricFamilySchema, MetricType, type MetricFamily as PbFamily } from "../../core/gen/io/prometheus/client/metrics_pb.ts";
import { readFileSync } from "node:fs";

function decodeDelimited(bytes: Uint8Array): PbFamily[] {
  const out: PbFamily[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let len = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++];
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    out.push(fromBinary(MetricFamilySchema, bytes.subarray(pos, pos + len)));
    pos += len;
  }
  return out;
}

describe("Pushgateway protobuf body", () => {
  it("regroups flat samples into MetricFamily messages, length-delimited", () => {
    const families: MetricFamily[] = [
      {
        name: "requests",
        type: "counter",
        help: "Requests.",
        samples: [
          { name: "requests_total", labels: ["code", "200"], value: 5, exemplar: { labels: ["trace_id", "abc"], value: 1, timestamp: 1_700_000_000_000 } },
          { name: "requests_created", labels: ["code", "200"], value: 1_700_000_000.5 },
        ],
      },
      {
        name: "lat",
        type: "histogram",
        samples: [
          { name: "lat_bucket", labels: ["route", "/", "le", "0.5"], value: 1 },
          { name: "lat_bucket", labels: ["route", "/", "le", "+Inf"], value: 3 },
          { name: "lat_sum", labels: ["route", "/"], value: 4.5 },
          { name: "lat_count", labels: ["route", "/"], value: 3 },
        ],
        nativeHistograms: [
          {
            labels: ["route", "/n"],
            histogram: { timestamp: 0, count: 2, sum: 3, schema: 3, zeroThreshold: 1e-128, zeroCount: 0, positiveSpans: [{ offset: 0, length: 2 }], positiveDeltas: [1, 0] },
          },
        ],
      },
      {
        name: "rpc",
        type: "summary",
        samples: [
          { name: "rpc", labels: ["quantile", "0.5"], value: 0.2 },
          { name: "rpc_sum", labels: [], value: 9 },
          { name: "rpc_count", labels: [], value: 30 },
        ],
      },
      { name: "up", type: "unknown", samples: [{ name: "up", labels: [], value: 1 }] },
    ];
    const [counter, hist, summary, untyped] = decodeDelimited(encodeFamiliesDelimited(families));
    expect(counter).toMatchObject({ name: "requests_total", help: "Requests.", type: MetricType.COUNTER });
    expect(counter.metric).toHaveLength(1);
    expect(counter.metric[0].label.map((l) => [l.name, l.value])).toEqual([["code", "200"]]);
    expect(counter.metric[0].counter?.value).toBe(5);
    expect(counter.metric[0].counter?.exemplar?.label[0].value).toBe("abc");
    expect(counter.metric[0].counter?.createdTimestamp?.seconds).toBe(1_700_000_000n);
    expect(hist.type).toBe(MetricType.HISTOGRAM);
    const classic = hist.metric[0].histogram!;
    expect(classic.bucket.map((b) => [b.upperBound, b.cumulativeCount])).toEqual([
      [0.5, 1n],
      [Infinity, 3n],
    ]);
    expect([classic.sampleCount, classic.sampleSum]).toEqual([3n, 4.5]);
    const native = hist.metric[1].histogram!;
    expect(hist.metric[1].label[0].value).toBe("/n");
    expect([native.schema, native.sampleCount, native.positiveDelta]).toEqual([3, 2n, [1n, 0n]]);
    expect(summary.metric[0].summary?.quantile.map((q) => [q.quantile, q.value])).toEqual([[0.5, 0.2]]);
    expect(summary.metric[0].summary?.sampleCount).toBe(30n);
    expect(untyped.type).toBe(MetricType.UNTYPED);
    expect(untyped.metric[0].untyped?.value).toBe(1);
  });

  it("User-Agent version matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
