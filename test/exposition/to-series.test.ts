import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { corpus } from "../support/fixtures.ts";
import { parseOpenMetrics, parseText } from "../../core/exposition/parse.ts";
import { familiesToSeries } from "../../core/exposition/to-series.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";
import { decodeWriteRequest } from "../../core/wire/decode.ts";
import { encodeWriteRequest } from "../../core/wire/encode.ts";
import { compareUtf8 } from "../../core/wire/label-rules.ts";
import type { Series } from "../../core/wire/types.ts";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/exposition/${name}`, import.meta.url), "utf8");
const T = 1_700_000_000_000;

const find = (series: Series[], name: string, ...labels: string[]): Series => {
  const s = series.find((x) => x.labels[1] === name && labels.every((v, i) => i % 2 === 1 || x.labels.includes(v)) && labels.every((v) => x.labels.includes(v)));
  if (s === undefined) throw new Error(`no series ${name}{${labels.join(",")}}`);
  return s;
};

describe("familiesToSeries", () => {
  it("makes one series per sample line of a histogram and a summary, names and le/quantile as written", () => {
    const { series } = familiesToSeries(parseText(fixture("text-edge.prom")), { timestamp: T });
    const h = series.filter((s) => s.labels[1].startsWith("edge_latency_seconds"));
    expect(h.map((s) => s.labels)).toEqual([
      ["__name__", "edge_latency_seconds_bucket", "le", "0.05", "route", "/a"],
      ["__name__", "edge_latency_seconds_bucket", "le", "0.1", "route", "/a"],
      ["__name__", "edge_latency_seconds_bucket", "le", "1.0", "route", "/a"],
      ["__name__", "edge_latency_seconds_bucket", "le", "1e+01", "route", "/a"],
      ["__name__", "edge_latency_seconds_bucket", "le", "+Inf", "route", "/a"],
      ["__name__", "edge_latency_seconds_sum", "route", "/a"],
      ["__name__", "edge_latency_seconds_count", "route", "/a"],
    ]);
    expect(h.map((s) => s.samples)).toEqual([24054, 33444, 100392, 129389, 144320, 53423, 144320].map((value) => [{ value, timestamp: T }]));
    const q = series.filter((s) => s.labels[1] === "edge_rpc_seconds");
    expect(q.map((s) => s.labels)).toEqual([
      ["__name__", "edge_rpc_seconds", "quantile", "0.01", "service", "x"],
      ["__name__", "edge_rpc_seconds", "quantile", "0.5", "service", "x"],
      ["__name__", "edge_rpc_seconds", "quantile", "0.99", "service", "x"],
    ]);
  });

  it("sorts labels in byte order, drops empty values and keeps the counter's _total", () => {
    const { series } = familiesToSeries(parseText('c_total{z="1",a="",B="2",_x="4"} 1\n'), { timestamp: T });
    expect(series).toEqual([{ labels: ["B", "2", "__name__", "c_total", "_x", "4", "z", "1"], samples: [{ value: 1, timestamp: T }] }]);
    const sorted = series[0].labels.filter((_, i) => i % 2 === 0);
    expect([...sorted].sort(compareUtf8)).toEqual(sorted);
  });

  it("adds external labels only where the series has no label of that name (even an empty one)", () => {
    const { series } = familiesToSeries(parseText('a{instance="page"} 1\nb{instance=""} 2\nc 3\n'), {
      timestamp: T,
      externalLabels: { instance: "ext", job: "j" },
    });
    expect(series.map((s) => s.labels)).toEqual([
      ["__name__", "a", "instance", "page", "job", "j"],
      ["__name__", "b", "job", "j"],
      ["__name__", "c", "instance", "ext", "job", "j"],
    ]);
  });

  it("keeps the first sample of a series repeated in the page, and explicit timestamps", () => {
    const { series } = familiesToSeries(parseText("a 1\na 2\nb 1 1000\nb 2 2000\nb 3 1500\n"), { timestamp: T });
    expect(series).toEqual([
      { labels: ["__name__", "a"], samples: [{ value: 1, timestamp: T }] },
      {
        labels: ["__name__", "b"],
        samples: [
          { value: 1, timestamp: 1000 },
          { value: 2, timestamp: 2000 },
        ],
      },
    ]);
  });

  it("defaults the timestamp to now", () => {
    const before = Date.now();
    const { series } = familiesToSeries(parseText("a 1\n"));
    const ts = series[0].samples?.[0].timestamp ?? 0;
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Date.now());
  });

  it("v1: keeps OpenMetrics _created lines as series and attaches exemplars, with the sample time when they have none", () => {
    const { series, metadata } = familiesToSeries(parseOpenMetrics(fixture("openmetrics-edge.om")), { timestamp: T });
    expect(find(series, "om_requests_created", "method", "get").samples).toEqual([{ value: 1.6999e9, timestamp: T }]);
    expect(find(series, "om_requests_total", "method", "get").exemplars).toEqual([
      { labels: ["trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"], value: 0.67, timestamp: 1700000000123 },
    ]);
    expect(find(series, "om_requests_total", "method", "post").exemplars).toEqual([
      { labels: ["span_id", "b7ad6b7169203331", "trace_id", "00f067aa0ba902b7"], value: 1, timestamp: T },
    ]);
    expect(find(series, "om_latency_seconds_bucket", "le", "1.0").exemplars).toEqual([{ labels: [], value: 0.5, timestamp: T }]);
    expect(find(series, "om_latency_seconds_sum").exemplars).toBeUndefined();
    expect(metadata).toEqual([
      { metricFamilyName: "om_requests", type: "counter", help: 'Requests, with "quotes", a backslash \\ and a newline \n in HELP.' },
      { metricFamilyName: "om_latency_seconds", type: "histogram", help: "A histogram with exemplars and created.", unit: "seconds" },
      { metricFamilyName: "om_rpc_seconds", type: "summary" },
      { metricFamilyName: "om_queue_depth", type: "gaugehistogram" },
      { metricFamilyName: "om_build", type: "info", help: "Build information." },
      { metricFamilyName: "om_feature", type: "stateset" },
      { metricFamilyName: "om_mystery", type: "unknown" },
      { metricFamilyName: "om_temperature_celsius", type: "gauge", unit: "celsius" },
      { metricFamilyName: "om_no_metadata", type: "unknown" },
    ]);
  });

  it("v2: turns _created into the start timestamp of the samples it describes (le/quantile aside)", () => {
    const { series } = familiesToSeries(parseOpenMetrics(fixture("openmetrics-edge.om")), { timestamp: T, version: "v2" });
    expect(series.some((s) => s.labels[1].endsWith("_created"))).toBe(false);
    expect(find(series, "om_requests_total", "method", "get").samples).toEqual([{ value: 1027, timestamp: T, startTimestamp: 1699900000000 }]);
    expect(find(series, "om_requests_total", "method", "post").samples).toEqual([{ value: 3, timestamp: T, startTimestamp: 1699990000500 }]);
    for (const name of ["om_latency_seconds_bucket", "om_latency_seconds_sum", "om_latency_seconds_count"]) {
      for (const s of series.filter((x) => x.labels[1] === name)) expect(s.samples?.[0].startTimestamp).toBe(1690000000000);
    }
    expect(find(series, "om_rpc_seconds", "quantile", "0.5").samples?.[0].startTimestamp).toBe(1600000000000);
    expect(find(series, "om_queue_depth_gcount").samples?.[0].startTimestamp).toBeUndefined();
  });

  it("passes native histograms through, with their exemplars and the external labels", () => {
    const histogram = { timestamp: T, count: 2, sum: 3, schema: 3, zeroThreshold: 1e-128, zeroCount: 0, positiveSpans: [{ offset: 0, length: 1 }], positiveDeltas: [2] };
    const f: MetricFamily = { name: "nh", type: "histogram", samples: [], nativeHistograms: [{ labels: ["route", "/"], histogram, exemplars: [{ labels: ["t", "1"], value: 1.5 }] }] };
    const { series } = familiesToSeries([f], { externalLabels: { job: "j" } });
    expect(series).toEqual([{ labels: ["__name__", "nh", "job", "j", "route", "/"], histograms: [histogram], exemplars: [{ labels: ["t", "1"], value: 1.5, timestamp: T }] }]);
  });

  it("produces series the encoder accepts and the decoder returns unchanged, for every page and both versions", () => {
    const pages: MetricFamily[][] = [
      parseText(corpus("node-exporter-1.5.prom")),
      parseText(corpus("prometheus-2.42.prom")),
      parseText(fixture("text-edge.prom")),
      parseOpenMetrics(fixture("openmetrics-edge.om")),
    ];
    for (const families of pages) {
      for (const version of ["v1", "v2"] as const) {
        const { series, metadata } = familiesToSeries(families, { timestamp: T, version, externalLabels: { job: "x", instance: "y" } });
        const decoded = decodeWriteRequest(encodeWriteRequest(series, { version, metadata }));
        expect(decoded.series.map((s) => [s.labels, s.samples?.length, s.exemplars?.length ?? 0])).toEqual(series.map((s) => [s.labels, s.samples?.length, s.exemplars?.length ?? 0]));
        const values = (ss: Series[]): number[] => ss.flatMap((s) => (s.samples ?? []).map((x) => x.value));
        expect(values(decoded.series)).toEqual(values(series));
      }
    }
  });
});

describe("familiesToSeries: duplicates are counted, frozen snapshot labels are reused", () => {
  it("counts the sample lines Prometheus would refuse as duplicates", () => {
    const families = parseText('# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\na{x="2"} 3\n');
    const { series, duplicates } = familiesToSeries(families, { timestamp: 1000 });
    expect(duplicates).toBe(1);
    expect(series.map((s) => s.samples?.map((x) => x.value))).toEqual([[1], [3]]);
  });

  it("frozen label arrays give the same series as copies, as the same frozen objects on every call", () => {
    const frozenFamilies: MetricFamily[] = [
      {
        name: "req",
        type: "counter",
        samples: [
          { name: "req_total", labels: Object.freeze(["route", "/a"]), value: 3 },
          { name: "req_total", labels: Object.freeze(["route", "/b"]), value: 4 },
        ],
      },
      {
        name: "lat",
        type: "histogram",
        samples: ["1", "+Inf"].map((le, i) => ({ name: "lat_bucket", labels: Object.freeze(["route", "/a", "le", le]), value: i + 1 })),
      },
    ];
    const copies = frozenFamilies.map((f) => ({ ...f, samples: f.samples.map((s) => ({ ...s, labels: [...s.labels] })) }));
    const opts = { timestamp: 5, externalLabels: { job: "j" } };
    const a = familiesToSeries(frozenFamilies, opts);
    const b = familiesToSeries(frozenFamilies, opts);
    const plain = familiesToSeries(copies, opts);
    expect(a.series).toEqual(plain.series);
    expect(a.series.every((s) => Object.isFrozen(s.labels))).toBe(true);
    a.series.forEach((s, i) => expect(b.series[i].labels).toBe(s.labels));
    // Other external labels must not reuse those arrays.
    const c = familiesToSeries(frozenFamilies, { timestamp: 5, externalLabels: { job: "k" } });
    expect(c.series[0].labels).toEqual(["__name__", "req_total", "job", "k", "route", "/a"]);
  });
});

describe("start timestamps back to _created series for remote write 1.0", () => {
  it("v2 series + createdSeriesFromStartTimestamps store what the v1 conversion stores", async () => {
    const { createdSeriesFromStartTimestamps } = await import("../../core/exposition/to-series.ts");
    const page = [
      "# TYPE jobs counter",
      'jobs_total{q="a"} 3',
      'jobs_created{q="a"} 1700000000.5',
      "# TYPE lat histogram",
      'lat_bucket{le="1"} 1',
      'lat_bucket{le="+Inf"} 2',
      "lat_count 2",
      "lat_sum 1.5",
      "lat_created 1700000001",
      "# EOF",
      "",
    ].join("\n");
    const families = parseOpenMetrics(page);
    const v1 = familiesToSeries(families, { timestamp: 1_700_000_100_000 });
    const v2 = familiesToSeries(families, { timestamp: 1_700_000_100_000, version: "v2" });
    const familyOf = (i: number) => {
      const name = v2.series[i].labels[1];
      return v2.metadata.find((m) => name.startsWith(m.metricFamilyName));
    };
    const back = [...v2.series.map((s) => ({ ...s, samples: s.samples?.map(({ value, timestamp }) => ({ value, timestamp })) })), ...createdSeriesFromStartTimestamps(v2.series, familyOf)];
    const key = (s: Series) => JSON.stringify([s.labels, s.samples]);
    expect(back.map(key).sort()).toEqual(v1.series.map(key).sort());
  });
});
