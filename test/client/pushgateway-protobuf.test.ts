import { fromBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { encodeFamiliesDelimited } from "../../core/client/pushgateway/protobuf.ts";
import { VERSION } from "../../core/client/http/version.ts";
import { EncodeError } from "../../core/errors.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";
import { MetricFamilySchema, MetricType, type MetricFamily as PbFamily } from "../../core/gen/io/prometheus/client/metrics_pb.ts";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parseOpenMetrics, parseText } from "../../core/exposition/parse.ts";
import { Counter, Gauge, Histogram, Registry, Summary } from "../../core/metrics/index.ts";
import { referenceFamiliesDelimited } from "./pushgateway-protobuf.reference.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const fixture = (name: string): string => readFileSync(new URL(`../fixtures/exposition/${name}`, import.meta.url), "utf8");

// Random exposition families of every type, with the sample suffixes, labels, exemplars and
// native histograms the regrouping looks at.
const labelName = fc.constantFrom("a", "b", "code", "le", "quantile", "route");
const labelValue = fc.oneof(fc.constantFrom("", "0.5", "+Inf", "1", "x"), fc.string({ maxLength: 5 }));
const labels = fc.uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 3, selector: ([n]) => n }).map((p) => p.flat());
const value = fc.oneof(fc.double(), fc.nat(1000), fc.constantFrom(0, 1.5, -1, NaN, Infinity));
const exemplar = fc.option(fc.record({ labels: fc.constant(["trace_id", "abc"]), value, timestamp: fc.option(fc.integer({ min: 1, max: 2e12 }), { nil: undefined }) }), { nil: undefined });
const nativeHistogram = fc.record({
  labels,
  histogram: fc.record({
    timestamp: fc.constant(0),
    float: fc.boolean(),
    count: fc.nat(100),
    sum: value,
    schema: fc.integer({ min: -4, max: 8 }),
    zeroThreshold: fc.constantFrom(0, 1e-128),
    zeroCount: fc.nat(10),
    positiveSpans: fc.constant([{ offset: 0, length: 2 }]),
    positiveDeltas: fc.constant([1, -1]),
    positiveCounts: fc.constant([1, 2]),
    startTimestamp: fc.option(fc.integer({ min: 1, max: 2e12 }), { nil: undefined }),
  }),
  exemplars: fc.option(fc.array(fc.record({ labels: fc.constant(["trace_id", "n"]), value, timestamp: fc.integer({ min: 1, max: 2e12 }) }), { maxLength: 2 }), { nil: undefined }),
});
const family: fc.Arbitrary<MetricFamily> = fc
  .record({
    type: fc.constantFrom("counter", "gauge", "summary", "unknown", "histogram", "gaugehistogram", "info", "stateset" as const),
    help: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
    unit: fc.option(fc.constantFrom("seconds", ""), { nil: undefined }),
    suffixes: fc.array(fc.tuple(fc.constantFrom("", "_total", "_created", "_bucket", "_sum", "_count", "_gsum", "_gcount", "_info"), labels, value, exemplar), { maxLength: 6 }),
    natives: fc.option(fc.array(nativeHistogram, { maxLength: 2 }), { nil: undefined }),
  })
  .map(({ type, help, unit, suffixes, natives }) => ({
    name: "m",
    type,
    help,
    unit,
    samples: suffixes.map(([sfx, l, v, e]) => (e === undefined ? { name: `m${sfx}`, labels: l, value: v } : { name: `m${sfx}`, labels: l, value: v, exemplar: e })),
    nativeHistograms: type === "histogram" || type === "gaugehistogram" ? natives : undefined,
  }));

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

  it("is byte for byte the first (protobuf-es create + toBinary) encoder's body: registry, pages, random families", () => {
    const registry = new Registry();
    const c = new Counter({ name: "requests_total", help: "Requests.", labelNames: ["code"] as const, registry });
    c.labels({ code: "200" }).inc(3, { trace_id: "abc" });
    c.labels({ code: "500" }).inc();
    new Gauge({ name: "temp_celsius", help: "T.", unit: "celsius", registry }).set(-4.5);
    const h = new Histogram({ name: "lat_seconds", help: "L.", labelNames: ["route"] as const, buckets: [0.1, 1], registry });
    h.labels({ route: "/" }).observe(0.5);
    const n = new Histogram({ name: "native_seconds", help: "N.", native: true, registry });
    n.observe(0.25);
    n.observe(3);
    new Summary({ name: "rpc_seconds", help: "R.", registry }).observe(0.2);
    const pages = [registry.collect(), parseText(fixture("text-edge.prom")), parseOpenMetrics(fixture("openmetrics-edge.om"))];
    for (const families of pages) expect(hex(encodeFamiliesDelimited(families))).toBe(hex(referenceFamiliesDelimited(families)));
    fc.assert(
      fc.property(fc.array(family, { maxLength: 3 }), (families) => {
        let want: Uint8Array;
        try {
          want = referenceFamiliesDelimited(families);
        } catch {
          // A `_created` value or exemplar time that is no time at all: both refuse it.
          expect(() => encodeFamiliesDelimited(families)).toThrow(EncodeError);
          return;
        }
        expect(hex(encodeFamiliesDelimited(families))).toBe(hex(want));
      }),
      { numRuns: 500 },
    );
  });

  it("User-Agent version matches package.json", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
