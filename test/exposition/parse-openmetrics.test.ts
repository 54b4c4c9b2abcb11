import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.ts";
import { detectFormat, parseExposition, parseOpenMetrics } from "../../core/exposition/parse.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/exposition/${name}`, import.meta.url), "utf8");

function family(families: MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name}`);
  return f;
}

describe("parseOpenMetrics on the edge-case page", () => {
  const families = parseOpenMetrics(fixture("openmetrics-edge.om"));

  it("reads every OpenMetrics type, with families named without their sample suffixes", () => {
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ["om_requests", "counter"],
      ["om_latency_seconds", "histogram"],
      ["om_rpc_seconds", "summary"],
      ["om_queue_depth", "gaugehistogram"],
      ["om_build", "info"],
      ["om_feature", "stateset"],
      ["om_mystery", "unknown"],
      ["om_temperature_celsius", "gauge"],
      ["om_no_metadata", "unknown"],
    ]);
  });

  it("unescapes HELP with the label-value rules (\\\" too), unlike text 0.0.4", () => {
    expect(family(families, "om_requests").help).toBe('Requests, with "quotes", a backslash \\ and a newline \n in HELP.');
  });

  it("reads UNIT", () => {
    expect(family(families, "om_latency_seconds").unit).toBe("seconds");
    expect(family(families, "om_temperature_celsius").unit).toBe("celsius");
    expect(family(families, "om_requests").unit).toBeUndefined();
  });

  it("keeps _total and _created samples in the counter family", () => {
    expect(family(families, "om_requests").samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ["om_requests_total", ["method", "get"], 1027],
      ["om_requests_created", ["method", "get"], 1.6999e9],
      ["om_requests_total", ["method", "post"], 3],
      ["om_requests_created", ["method", "post"], 1699990000.5],
    ]);
  });

  it("reads exemplars: labels sorted by name, value, float-second timestamp as int64(s*1000)", () => {
    const [get, , post] = family(families, "om_requests").samples;
    expect(get.exemplar).toEqual({ labels: ["trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"], value: 0.67, timestamp: 1700000000123 });
    expect(post.exemplar).toEqual({ labels: ["span_id", "b7ad6b7169203331", "trace_id", "00f067aa0ba902b7"], value: 1 });
    const buckets = family(families, "om_latency_seconds").samples;
    expect(buckets.map((s) => s.exemplar)).toEqual([
      { labels: ["trace_id", "a"], value: 0.05, timestamp: 1700000001000 },
      { labels: [], value: 0.5 },
      { labels: ["trace_id", "c"], value: 4.2, timestamp: 1700000002500 },
      undefined,
      undefined,
      undefined,
    ]);
  });

  it("reads summaries, gauge histograms, info and stateset samples as written", () => {
    expect(family(families, "om_rpc_seconds").samples.map((s) => s.name)).toEqual([
      "om_rpc_seconds",
      "om_rpc_seconds",
      "om_rpc_seconds_sum",
      "om_rpc_seconds_count",
      "om_rpc_seconds_created",
    ]);
    expect(family(families, "om_rpc_seconds").samples[1].value).toBeNaN();
    expect(family(families, "om_queue_depth").samples.map((s) => s.name)).toEqual([
      "om_queue_depth_bucket",
      "om_queue_depth_bucket",
      "om_queue_depth_gcount",
      "om_queue_depth_gsum",
    ]);
    expect(family(families, "om_build").samples).toEqual([{ name: "om_build_info", labels: ["version", "1.2.3", "revision", "abc\\def"], value: 1 }]);
    expect(family(families, "om_feature").samples.map((s) => [s.labels, s.value])).toEqual([
      [["om_feature", "a"], 1],
      [["om_feature", "b"], 0],
    ]);
    expect(family(families, "om_mystery").samples[0].value).toBe(-Infinity);
  });

  it("unescapes label values and keeps empty ones", () => {
    expect(family(families, "om_temperature_celsius").samples.map((s) => s.labels)).toEqual([
      ["room", 'a"b', "note", "line\nbreak"],
      ["room", "empty", "empty", ""],
    ]);
  });
});

describe("parseOpenMetrics rules", () => {
  it("reads float-second timestamps the way Prometheus does: int64(seconds * 1000), truncated", () => {
    const [f] = parseOpenMetrics("a 1 1.5\na 2 -0.0015\na 3 1.001\na 4 1700000000.1234\n# EOF\n");
    // 1.001 * 1000 is 1000.9999999999999 in binary floating point: Prometheus stores 1000 too.
    expect(f.samples.map((s) => s.timestamp)).toEqual([1500, -1, 1000, 1700000000123]);
  });

  it("accepts # EOF without a final newline, and an empty page that is only # EOF", () => {
    expect(parseOpenMetrics("a 1\n# EOF")).toHaveLength(1);
    expect(parseOpenMetrics("# EOF\n")).toEqual([]);
  });

  it("allows exemplars after a timestamp", () => {
    const [f] = parseOpenMetrics('# TYPE c counter\nc_total 1 2 # {id="x"} 3 4\n# EOF\n');
    expect(f.samples[0]).toEqual({ name: "c_total", labels: [], value: 1, timestamp: 2000, exemplar: { labels: ["id", "x"], value: 3, timestamp: 4000 } });
  });


  it("merges interleaved runs of a family", () => {
    const families = parseOpenMetrics('# TYPE a gauge\na{x="1"} 1\n# TYPE b gauge\nb 2\na{x="2"} 3\n# EOF\n');
    expect(families.map((f) => [f.name, f.samples.length])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
  });

  const cases: [string, string, number, number, string][] = [
    ["missing # EOF", "a 1\n", 2, 1, 'must end with "# EOF"'],
    ["data after # EOF", "a 1\n# EOF\nb 2\n", 3, 1, 'data after "# EOF"'],
    ["blank line", "a 1\n\nb 2\n# EOF\n", 2, 1, "blank line"],
    ["free comment", "# hello\n# EOF\n", 1, 1, 'allows only "# HELP"'],
    ["two spaces before value", "a  1\n# EOF\n", 1, 3, "expected a value"],
    ["tab separator", "a\t1\n# EOF\n", 1, 2, "expected a space before the value"],
    ["space before {", 'a {b="c"} 1\n# EOF\n', 1, 3, "invalid value"],
    ["untyped is text-only", "# TYPE a untyped\n# EOF\n", 1, 10, 'unknown metric type "untyped"'],
    ["unit not a suffix", "# UNIT a_bytes seconds\n# EOF\n", 1, 16, 'unit "seconds" is not a suffix'],
    ["HELP without a space", "# HELP a\n# EOF\n", 1, 9, "expected a space after the metric name"],
    ["NaN timestamp", "a 1 NaN\n# EOF\n", 1, 5, "invalid timestamp"],
    ["bad exemplar value", '# TYPE a counter\na_total 1 # {x="y"} abc\n# EOF\n', 2, 21, "invalid exemplar value"],
    ["exemplar without value", '# TYPE a counter\na_total 1 # {x="y"}\n# EOF\n', 2, 20, "expected a space before the exemplar value"],
    ["trailing space", "a 1 \n# EOF\n", 1, 5, "invalid timestamp"],
    // Prometheus 2.42: "expected label name, got BCLOSE".
    ["trailing comma", 'a{b="c",} 1\n# EOF\n', 1, 8, "trailing comma"],
    // Prometheus 2.42: "metric name g does not support exemplars".
    ["exemplar on a gauge", '# TYPE g gauge\ng 1 # {a="b"} 1\n# EOF\n', 2, 5, "exemplars belong on counter _total and histogram _bucket"],
    ["exemplar on a histogram _sum", '# TYPE h histogram\nh_sum 1 # {a="b"} 1\n# EOF\n', 2, 9, "exemplars belong"],
    ["exemplar without TYPE", 'x_total 1 # {a="b"} 1\n# EOF\n', 1, 11, "exemplars belong"],
  ];
  for (const [what, page, line, column, reason] of cases) {
    it(`${what}: line ${line}, column ${column}`, () => {
      let caught: unknown;
      try {
        parseOpenMetrics(page);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ParseError);
      const err = caught as ParseError;
      expect([err.line, err.column]).toEqual([line, column]);
      expect(err.reason).toContain(reason);
    });
  }

  it("lenient mode reports each bad line and the missing # EOF, and keeps the good lines", () => {
    const { families, errors } = parseExposition(fixture("openmetrics-invalid-lines.om"), { format: "openmetrics", lenient: true });
    expect(errors.map((e) => [e.line, e.reason])).toEqual([
      [3, "blank line (OpenMetrics allows none)"],
      [4, 'OpenMetrics allows only "# HELP", "# TYPE", "# UNIT" and "# EOF" comments'],
      [5, "expected a value"],
      [6, "expected the end of the line"],
      [8, 'an OpenMetrics page must end with "# EOF"'],
    ]);
    expect(families).toEqual([{ name: "ok", type: "gauge", samples: [{ name: "ok", labels: [], value: 1 }, { name: "ok", labels: ["a", "d"], value: 4 }] }]);
  });
});

describe("detectFormat", () => {
  it("follows the Content-Type first", () => {
    expect(detectFormat("application/openmetrics-text; version=1.0.0; charset=utf-8")).toBe("openmetrics");
    expect(detectFormat("Application/OpenMetrics-Text")).toBe("openmetrics");
    expect(detectFormat("text/plain; version=0.0.4; charset=utf-8", "a 1\n# EOF\n")).toBe("text");
  });

  it("sniffs a closing # EOF line when the Content-Type says nothing useful", () => {
    expect(detectFormat(undefined, "a 1\n# EOF\n")).toBe("openmetrics");
    expect(detectFormat("application/octet-stream", "a 1\n# EOF")).toBe("openmetrics");
    expect(detectFormat(undefined, "# EOF\n\n")).toBe("openmetrics");
    expect(detectFormat(undefined, "a 1\n")).toBe("text");
    expect(detectFormat(undefined, "a 1\nx# EOF\n")).toBe("text");
    expect(detectFormat()).toBe("text");
  });

  it("is what parseExposition uses", () => {
    const om = "# TYPE a counter\na_total 1 # {t=\"x\"} 1\n# EOF\n";
    expect(parseExposition(om)[0].samples[0].exemplar).toEqual({ labels: ["t", "x"], value: 1 });
    expect(() => parseExposition(om, { contentType: "text/plain; version=0.0.4" })).toThrow(ParseError);
    expect(parseExposition(om, { format: "openmetrics" })[0].type).toBe("counter");
  });
});
