import { describe, expect, it } from "vitest";
import { corpus } from "../support/fixtures.ts";
import { formatGoG, formatOpenMetricsFloat, formatOpenMetricsTimestamp, formatTextFloat } from "../../core/exposition/format-float.ts";
import { parseOpenMetrics, parseText } from "../../core/exposition/parse.ts";
import { serializeExposition, serializeOpenMetrics, serializeText } from "../../core/exposition/serialize.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";


describe("number formatting", () => {
  // Outputs of Go's strconv.FormatFloat(v, 'g', -1, 64), the layout client_golang writes.
  const goG: [number, string][] = [
    [1, "1"],
    [0.5, "0.5"],
    [100000, "100000"],
    [123456, "123456"],
    [1e6, "1e+06"],
    [1234567.8, "1.2345678e+06"],
    [123456789, "1.23456789e+08"],
    [9.128976e6, "9.128976e+06"],
    [1.7955487101622372e9, "1.7955487101622372e+09"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [5.2531e-5, "5.2531e-05"],
    [-2.5e-7, "-2.5e-07"],
    [1e21, "1e+21"],
    [1e100, "1e+100"],
    [5e-324, "5e-324"],
    [Number.MAX_VALUE, "1.7976931348623157e+308"],
    [0.1 + 0.2, "0.30000000000000004"],
    [-123.456, "-123.456"],
    [-0, "-0"],
  ];
  for (const [v, s] of goG) it(`formats ${v} as Go's %g: ${s}`, () => expect(formatGoG(v)).toBe(s));

  it("writes text values as expfmt's writeFloat: specials, and 0 for negative zero", () => {
    expect([NaN, Infinity, -Infinity, -0, 0, 1, -1, 42, 1e6, 0.25].map(formatTextFloat)).toEqual([
      "NaN",
      "+Inf",
      "-Inf",
      "0",
      "0",
      "1",
      "-1",
      "42",
      "1e+06",
      "0.25",
    ]);
  });

  it("writes OpenMetrics values with .0 on integral values, as writeOpenMetricsFloat", () => {
    expect([1, 0, -1, 42, 1e6, 0.25, NaN, Infinity, -Infinity, 1e-5].map(formatOpenMetricsFloat)).toEqual([
      "1.0",
      "0.0",
      "-1.0",
      "42.0",
      "1e+06",
      "0.25",
      "NaN",
      "+Inf",
      "-Inf",
      "1e-05",
    ]);
  });

  it("writes OpenMetrics timestamps as decimal seconds that Prometheus's int64(s*1000) reads back exactly", () => {
    // Never in exponent form: the spec says so, and prometheus_client reads 1.700000000123e+09 as 1.7 s.
    expect(formatOpenMetricsTimestamp(1700000000000)).toBe("1700000000");
    expect(formatOpenMetricsTimestamp(1700000000500)).toBe("1700000000.5");
    expect(formatOpenMetricsTimestamp(1700000000123)).toBe("1700000000.123");
    expect(formatOpenMetricsTimestamp(-1500)).toBe("-1.5");
    // 1.001 * 1000 = 1000.9999999999999 in doubles: write one more digit so it truncates to 1001.
    expect(formatOpenMetricsTimestamp(1001)).toBe("1.0011");
    expect(formatOpenMetricsTimestamp(-1001)).toBe("-1.0011");
    for (const ms of [1001, -1001, 1003, 0, 1, -1, 999, 1700000000001, 1234567890123, -1700000000123, 8.64e15]) {
      const [f] = parseOpenMetrics(`a 1 ${formatOpenMetricsTimestamp(ms)}\n# EOF\n`);
      expect(f.samples[0].timestamp).toBe(ms);
    }
  });
});

describe("serializeText", () => {
  it("reproduces client_golang's pages byte for byte (node_exporter 1.5, Prometheus 2.42)", () => {
    for (const file of ["node-exporter-1.5.prom", "prometheus-2.42.prom"]) {
      const page = corpus(file);
      expect(serializeText(parseText(page))).toBe(page);
    }
  });

  it("escapes HELP (\\ and newline) and label values (\\, \" and newline) differently", () => {
    const f: MetricFamily = {
      name: "m",
      type: "gauge",
      help: 'back\\slash "quoted"\nnext',
      samples: [{ name: "m", labels: ["path", 'C:\\a "b"\nc'], value: 1 }],
    };
    expect(serializeText([f])).toBe('# HELP m back\\\\slash "quoted"\\nnext\n# TYPE m gauge\nm{path="C:\\\\a \\"b\\"\\nc"} 1\n');
    expect(serializeOpenMetrics([f])).toBe('# HELP m back\\\\slash \\"quoted\\"\\nnext\n# TYPE m gauge\nm{path="C:\\\\a \\"b\\"\\nc"} 1.0\n# EOF\n');
  });

  it("names a counter by its _total sample, writes untyped for unknown, and ends with a newline", () => {
    const families: MetricFamily[] = [
      { name: "jobs", type: "counter", samples: [{ name: "jobs_total", labels: [], value: 3 }, { name: "jobs_created", labels: [], value: 1.7e9 }] },
      { name: "u", type: "unknown", samples: [{ name: "u", labels: [], value: 1, timestamp: 1700000000000 }] },
    ];
    expect(serializeText(families)).toBe("# TYPE jobs_total counter\njobs_total 3\njobs_created 1.7e+09\n# TYPE u untyped\nu 1 1700000000000\n");
  });

  it("writes OpenMetrics-only types as the text type Prometheus treats them as", () => {
    const families: MetricFamily[] = [
      { name: "build", type: "info", samples: [{ name: "build_info", labels: ["v", "1"], value: 1 }] },
      { name: "state", type: "stateset", samples: [{ name: "state", labels: ["state", "a"], value: 1 }] },
    ];
    expect(serializeText(families)).toBe('# TYPE build_info gauge\nbuild_info{v="1"} 1\n# TYPE state gauge\nstate{state="a"} 1\n');
  });

  it("leaves exemplars and native histograms out (text cannot carry them)", () => {
    const f: MetricFamily = {
      name: "c",
      type: "counter",
      samples: [{ name: "c_total", labels: [], value: 1, exemplar: { labels: ["t", "x"], value: 1 } }],
      nativeHistograms: [{ labels: [], histogram: { timestamp: 1, count: 0, sum: 0, schema: 3, zeroThreshold: 0, zeroCount: 0 } }],
    };
    expect(serializeText([f])).toBe("# TYPE c_total counter\nc_total 1\n");
  });

  it("sorts families by name on request, as client_golang's Gather", () => {
    const families: MetricFamily[] = [
      { name: "b", type: "gauge", samples: [] },
      { name: "a", type: "gauge", samples: [] },
    ];
    expect(serializeText(families)).toBe("# TYPE b gauge\n# TYPE a gauge\n");
    expect(serializeText(families, { sort: true })).toBe("# TYPE a gauge\n# TYPE b gauge\n");
  });
});

describe("serializeOpenMetrics", () => {
  it("strips _total from a counter family, writes UNIT, integer counts, exemplars, timestamps and # EOF", () => {
    const families: MetricFamily[] = [
      {
        name: "requests_total",
        type: "counter",
        help: "Requests.",
        samples: [{ name: "requests_total", labels: ["code", "200"], value: 3, timestamp: 1700000000500, exemplar: { labels: ["trace_id", "ab"], value: 1, timestamp: 1700000000000 } }],
      },
      {
        name: "latency_seconds",
        type: "histogram",
        unit: "seconds",
        samples: [
          { name: "latency_seconds_bucket", labels: ["le", "1.0"], value: 2, exemplar: { labels: [], value: 0.5 } },
          { name: "latency_seconds_bucket", labels: ["le", "+Inf"], value: 3 },
          { name: "latency_seconds_count", labels: [], value: 3 },
          { name: "latency_seconds_sum", labels: [], value: 4 },
        ],
      },
    ];
    expect(serializeOpenMetrics(families)).toBe(
      [
        "# HELP requests Requests.",
        "# TYPE requests counter",
        'requests_total{code="200"} 3.0 1700000000.5 # {trace_id="ab"} 1.0 1700000000',
        "# TYPE latency_seconds histogram",
        "# UNIT latency_seconds seconds",
        'latency_seconds_bucket{le="1.0"} 2 # {} 0.5',
        'latency_seconds_bucket{le="+Inf"} 3',
        "latency_seconds_count 3",
        "latency_seconds_sum 4.0",
        "# EOF",
        "",
      ].join("\n"),
    );
  });

  it("keeps the _total name when stripping it would clash with another family", () => {
    const page = "# TYPE x_bytes gauge\nx_bytes 1\n# TYPE x_bytes_total counter\nx_bytes_total 2\n";
    const om = serializeOpenMetrics(parseText(page));
    expect(om).toBe("# TYPE x_bytes gauge\nx_bytes 1.0\n# TYPE x_bytes_total counter\nx_bytes_total 2.0\n# EOF\n");
    expect(parseOpenMetrics(om).map((f) => [f.name, f.samples.length])).toEqual([
      ["x_bytes", 1],
      ["x_bytes_total", 1],
    ]);
  });

  it("serializeExposition picks the format", () => {
    const f: MetricFamily[] = [{ name: "g", type: "gauge", samples: [{ name: "g", labels: [], value: 2 }] }];
    expect(serializeExposition(f, "text")).toBe("# TYPE g gauge\ng 2\n");
    expect(serializeExposition(f, "openmetrics")).toBe("# TYPE g gauge\ng 2.0\n# EOF\n");
  });

  it("renders both corpus pages as OpenMetrics that parses back to the same samples", () => {
    for (const file of ["node-exporter-1.5.prom", "prometheus-2.42.prom"]) {
      const families = parseText(corpus(file));
      const back = parseOpenMetrics(serializeOpenMetrics(families));
      const flat = (fs: MetricFamily[]): unknown[] => fs.flatMap((f) => f.samples.map((s) => [s.name, s.labels, s.value]));
      expect(flat(back)).toEqual(flat(families));
    }
  });
});
