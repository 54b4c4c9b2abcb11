import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.ts";
import { parseExposition, parseText } from "../../core/exposition/parse.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/exposition/${name}`, import.meta.url), "utf8");

function family(families: MetricFamily[], name: string): MetricFamily {
  const f = families.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no family ${name} in ${families.map((x) => x.name).join(", ")}`);
  return f;
}

const valueOf = (f: MetricFamily, label: string, value: string): number => {
  const s = f.samples.find((x) => x.labels.some((v, i) => i % 2 === 0 && v === label && x.labels[i + 1] === value));
  if (s === undefined) throw new Error(`no sample with ${label}=${value} in ${f.name}`);
  return s.value;
};

describe("parseText on the edge-case page", () => {
  const families = parseText(fixture("text-edge.prom"));

  it("keeps families in page order and ignores blank, blank-only and comment lines", () => {
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ["edge_requests_total", "counter"],
      ["edge_temperature", "gauge"],
      ["edge_untyped", "unknown"],
      ["edge_no_metadata", "unknown"],
      ["edge_unknown_escape", "unknown"],
      ["edge_blanks", "unknown"],
      ["edge_spaces", "unknown"],
      ["edge_no_blank_after_brace", "unknown"],
      ["edge_empty_value", "unknown"],
      ["edge_target_label", "unknown"],
      ["edge_unicode", "unknown"],
      ["edge_latency_seconds", "histogram"],
      ["edge_rpc_seconds", "summary"],
      ["edge_last_line_without_newline", "unknown"],
    ]);
  });

  it("unescapes only \\\\ and \\n in text HELP, keeping quotes and other pairs as written", () => {
    expect(family(families, "edge_requests_total").help).toBe('Requests with a backslash \\ and a newline \n and a "quote" and \\t kept.');
    expect(family(families, "edge_untyped").help).toBe("An untyped family.");
    expect(family(families, "edge_no_metadata").help).toBeUndefined();
  });

  it("merges interleaved runs into one family and keeps duplicate series as written", () => {
    const f = family(families, "edge_requests_total");
    expect(f.samples.map((s) => [s.labels, s.value])).toEqual([
      [["method", "get", "code", "200"], 1027],
      [["method", "post", "code", "400"], 3],
      [["method", "put", "code", "200"], 5],
      [["method", "get", "code", "200"], 9999],
    ]);
  });

  it("reads every value form Go's ParseFloat accepts", () => {
    const f = family(families, "edge_temperature");
    expect(valueOf(f, "room", "a")).toBeNaN();
    expect(valueOf(f, "room", "b")).toBe(Infinity);
    expect(valueOf(f, "room", "c")).toBe(-Infinity);
    expect(Object.is(valueOf(f, "room", "d"), -0)).toBe(true);
    expect(valueOf(f, "room", "e")).toBe(1000);
    expect(valueOf(f, "room", "f")).toBe(0.5);
    expect(valueOf(f, "room", "g")).toBe(3);
    expect(valueOf(f, "room", "h")).toBe(Number.MAX_VALUE);
    expect(valueOf(f, "room", "i")).toBe(Number.MIN_VALUE);
    expect(valueOf(f, "room", "j")).toBe(Infinity);
    expect(valueOf(f, "room", "k")).toBeNaN();
    expect(valueOf(f, "room", "l")).toBe(0.1);
    expect(valueOf(f, "room", "m")).toBe(1.2345678901234568e29);
  });

  it("unescapes label values (\\\\, \\\", \\n) and keeps unknown escapes as written, as Prometheus does", () => {
    expect(family(families, "edge_no_metadata").samples[0].labels).toEqual(["path", "C:\\DIR\\FILE.TXT", "error", 'Cannot find file:\n"FILE.TXT"']);
    expect(family(families, "edge_unknown_escape").samples[0].labels).toEqual(["v", "tab\\there", "w", "a\\\\b"]);
  });

  it("accepts blanks and tabs between tokens and at the end, a trailing comma, and a value right after }", () => {
    expect(family(families, "edge_blanks").samples).toEqual([{ name: "edge_blanks", labels: [], value: 7 }]);
    expect(family(families, "edge_spaces").samples).toEqual([{ name: "edge_spaces", labels: ["a", "1", "b", "2"], value: 8 }]);
    expect(family(families, "edge_no_blank_after_brace").samples[0].value).toBe(9);
    expect(family(families, "edge_requests_total").samples[1].labels).toEqual(["method", "post", "code", "400"]);
  });

  it("keeps empty label values, non-ASCII values and a last line without newline", () => {
    expect(family(families, "edge_empty_value").samples[0].labels).toEqual(["a", "", "b", "x"]);
    expect(family(families, "edge_unicode").samples[0].labels).toEqual(["city", "Zürich", "emoji", "🚀", "cjk", "東京"]);
    expect(family(families, "edge_last_line_without_newline").samples[0].value).toBe(13);
  });

  it("groups _bucket/_sum/_count into the histogram and quantiles/_sum/_count into the summary, le as written", () => {
    const h = family(families, "edge_latency_seconds");
    expect(h.help).toBe("A histogram.");
    expect(h.samples.map((s) => s.name)).toEqual([
      "edge_latency_seconds_bucket",
      "edge_latency_seconds_bucket",
      "edge_latency_seconds_bucket",
      "edge_latency_seconds_bucket",
      "edge_latency_seconds_bucket",
      "edge_latency_seconds_sum",
      "edge_latency_seconds_count",
    ]);
    expect(h.samples.slice(0, 5).map((s) => s.labels[3])).toEqual(["0.05", "0.1", "1.0", "1e+01", "+Inf"]);
    const s = family(families, "edge_rpc_seconds");
    expect(s.samples.map((x) => `${x.name}${x.labels.join(",")}=${x.value}`)).toEqual([
      "edge_rpc_secondsservice,x,quantile,0.01=3102",
      "edge_rpc_secondsservice,x,quantile,0.5=4773",
      "edge_rpc_secondsservice,x,quantile,0.99=76656",
      "edge_rpc_seconds_sumservice,x=17560473",
      "edge_rpc_seconds_countservice,x=2693",
    ]);
  });
});

describe("parseText rules", () => {
  it("puts samples without TYPE or HELP in an unknown family named after the sample", () => {
    expect(parseText("a_sum 1\na_count 2\n")).toEqual([
      { name: "a_sum", type: "unknown", samples: [{ name: "a_sum", labels: [], value: 1 }] },
      { name: "a_count", type: "unknown", samples: [{ name: "a_count", labels: [], value: 2 }] },
    ]);
  });

  it("resolves _total and _created to a counter family named without them", () => {
    const [f] = parseText("# TYPE jobs counter\njobs_total 3\njobs_created 1.7e9\n");
    expect(f.samples.map((s) => s.name)).toEqual(["jobs_total", "jobs_created"]);
  });

  it("does not give a suffix to a family whose type has no such suffix", () => {
    const families = parseText("# TYPE g gauge\ng 1\ng_sum 2\n");
    expect(families.map((f) => [f.name, f.type, f.samples.length])).toEqual([
      ["g", "gauge", 1],
      ["g_sum", "unknown", 1],
    ]);
  });

  it("lets a TYPE line claim names that earlier resolved elsewhere", () => {
    const families = parseText("x_sum 1\n# TYPE x summary\nx_sum 2\n");
    expect(families.map((f) => [f.name, f.samples.map((s) => s.value)])).toEqual([
      ["x_sum", [1]],
      ["x", [2]],
    ]);
  });

  it("reads millisecond timestamps", () => {
    const [f] = parseText('a 1 1395066363000\na{b="c"} +Inf 0\n');
    expect(f.samples.map((s) => s.timestamp)).toEqual([1395066363000, 0]);
  });

  it("gives an empty HELP for a HELP line without text", () => {
    expect(parseText("# HELP a\n# TYPE a gauge\na 1\n")[0].help).toBe("");
    expect(parseText("# HELP a \na 1\n")[0].help).toBe("");
  });

  it("keeps a family declared by HELP/TYPE without samples", () => {
    expect(parseText("# HELP lonely nobody\n# TYPE lonely gauge\n")).toEqual([{ name: "lonely", type: "gauge", help: "nobody", samples: [] }]);
  });

  it("treats # UNIT and # EOF as plain comments in text 0.0.4", () => {
    expect(parseText("# UNIT a seconds\na 1\n# EOF\n")).toEqual([{ name: "a", type: "unknown", samples: [{ name: "a", labels: [], value: 1 }] }]);
  });
});

describe("parseText errors", () => {
  const cases: [string, string, number, number, string][] = [
    ["bad metric name", "ok 1\n-bad 2\n", 2, 1, "expected a metric name"],
    ["missing value", 'a{b="c"}\n', 1, 9, "expected a value"],
    ["bad value", "a 12abc\n", 1, 3, 'invalid value "12abc"'],
    ["hex value", "a 0x10\n", 1, 3, "invalid value"],
    ["underscore value", "a 1_000\n", 1, 3, "invalid value"],
    ["signed NaN", "a +NaN\n", 1, 3, "invalid value"],
    ["value beyond the largest double", "a 1e400\n", 1, 3, 'invalid value "1e400"'],
    ["float timestamp", "a 1 17e9\n", 1, 5, 'invalid timestamp "17e9" (integer milliseconds)'],
    ["text after timestamp", "a 1 2 3\n", 1, 7, "expected the end of the line"],
    // The format documentation shows one, but Prometheus 2.42 fails the scrape on it.
    ["negative timestamp", "a 1 -3982045\n", 1, 5, "negative timestamp"],
    // expfmt accepts this; Prometheus 2.42 reads the blank into the metric name and fails.
    ["blank before a sample", "a 1\n\tb 2\n", 2, 1, "must not start with a blank"],
    ["carriage return", "a 1\r\n", 1, 3, "invalid value"],
    ["exemplar in text", 'a 1 # {t="x"} 1\n', 1, 5, "expected the end of the line"],
    ["unterminated label value", 'a{b="c} 1\n', 1, 5, "unterminated value of the label b"],
    ["newline in label value", 'a{b="c\n"} 1\n', 1, 5, "unterminated value of the label b"],
    ["missing =", 'a{b "c"} 1\n', 1, 5, 'expected "=" after the label name b'],
    ["unquoted value", "a{b=c} 1\n", 1, 5, "expected a quoted value"],
    ["bad label name", 'a{1b="c"} 1\n', 1, 3, "expected a label name"],
    ["double comma", 'a{b="c",,d="e"} 1\n', 1, 9, "expected a label name"],
    ["missing comma", 'a{b="c" d="e"} 1\n', 1, 9, 'expected "," or "}"'],
    ["duplicate label", 'a{b="1",b="2"} 1\n', 1, 9, "duplicate label name b"],
    ["__name__ label", 'a{__name__="b"} 1\n', 1, 3, "reserved for the metric name"],
    ["unknown type", "# TYPE a histogrammm\n", 1, 10, 'unknown metric type "histogrammm"'],
    ["OpenMetrics-only type", "# TYPE a gaugehistogram\n", 1, 10, 'unknown metric type "gaugehistogram"'],
    ["type unknown is OpenMetrics", "# TYPE a unknown\n", 1, 10, 'unknown metric type "unknown"'],
    ["second TYPE", "# TYPE a gauge\na 1\n# TYPE a counter\n", 3, 8, "second TYPE line for a"],
    ["second HELP", "# HELP a x\n# HELP a y\n", 2, 8, "second HELP line for a"],
    ["TYPE without name", "# TYPE  \n", 1, 9, "expected a metric name"],
  ];
  for (const [what, page, line, column, reason] of cases) {
    it(`${what}: line ${line}, column ${column}`, () => {
      let caught: unknown;
      try {
        parseText(page);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(ParseError);
      const err = caught as ParseError;
      expect(err._tag).toBe("ParseError");
      expect([err.line, err.column]).toEqual([line, column]);
      expect(err.reason).toContain(reason);
      expect(err.excerpt).toBe(page.split("\n")[line - 1]);
      expect(err.message).toContain(JSON.stringify(err.excerpt));
    });
  }

  it("cuts the quoted line of a very long line around the column", () => {
    const page = `a{${Array.from({ length: 60 }, (_, i) => `l${i}="v"`).join(",")},bad} 1\n`;
    const err = (() => {
      try {
        parseText(page);
      } catch (e) {
        return e as ParseError;
      }
      throw new Error("no error");
    })();
    expect(err.excerpt.length).toBeLessThanOrEqual(120);
    expect(err.excerpt).toContain("bad}");
    expect(page.indexOf(err.excerpt)).toBeGreaterThan(0);
  });
});

describe("lenient text parsing", () => {
  it("skips each bad line, reports it, and keeps every good line", () => {
    const { families, errors } = parseExposition(fixture("text-invalid-lines.prom"), { format: "text", lenient: true });
    expect(errors.map((e) => [e.line, e.reason.split(" (")[0]])).toEqual([
      [3, "expected a blank before the value"],
      [5, "expected a value"],
      [6, 'invalid value "12abc"'],
      [7, "second TYPE line for good_total"],
      [8, "unterminated value of the label a"],
      [9, "duplicate label name a"],
      [10, 'unknown metric type "histogrammm"'],
      [12, 'invalid timestamp "17e9"'],
    ]);
    expect(errors.every((e) => e instanceof ParseError)).toBe(true);
    expect(families.map((f) => [f.name, f.type, f.samples.map((s) => s.value)])).toEqual([
      ["good_total", "counter", [1, 2]],
      ["good_gauge", "unknown", [5, 6]],
    ]);
  });
});
