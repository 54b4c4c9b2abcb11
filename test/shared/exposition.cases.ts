// Exposition behaviour every runtime must show: parse text 0.0.4 and OpenMetrics, serialize back.
import { assert, assertEqual, type SharedCase } from "./harness.ts";

const TEXT = `# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/a\\"b"} 1027
http_requests_total{code="500",path="/"} 3
# HELP queue_depth Items waiting.
# TYPE queue_depth gauge
queue_depth -Inf
# TYPE rpc_seconds histogram
rpc_seconds_bucket{le="0.1"} 2
rpc_seconds_bucket{le="+Inf"} 3
rpc_seconds_sum 0.5
rpc_seconds_count 3
`;

const OPENMETRICS = `# TYPE jobs counter
# HELP jobs Jobs run.
jobs_total{kind="✓"} 7 1700000000.5 # {trace_id="abc"} 1.0 1700000000.25
# EOF
`;

export const expositionCases: SharedCase[] = [
  {
    name: "exposition: parse text 0.0.4 (escapes, ±Inf, histogram) and serialize back to the same text",
    run: ({ exposition }) => {
      const families = exposition.parseExposition(TEXT);
      assertEqual(families.map((f) => [f.name, f.type, f.samples.length]), [
        ["http_requests_total", "counter", 2],
        ["queue_depth", "gauge", 1],
        ["rpc_seconds", "histogram", 4],
      ], "families");
      assertEqual(families[0].samples[0].labels, ["code", "200", "path", '/a"b'], "unescaped label value");
      assertEqual(families[1].samples[0].value, -Infinity, "-Inf");
      assertEqual(exposition.serializeText(families), TEXT, "serialized text");
    },
  },
  {
    name: "exposition: parse OpenMetrics (timestamp, exemplar) and turn it into remote-write series",
    run: ({ exposition }) => {
      const families = exposition.parseExposition(OPENMETRICS, { contentType: "application/openmetrics-text; version=1.0.0" });
      assertEqual(families.length, 1, "one family");
      const s = families[0].samples[0];
      assertEqual([s.name, s.value, s.timestamp], ["jobs_total", 7, 1_700_000_000_500], "sample");
      assertEqual(s.exemplar?.labels, ["trace_id", "abc"], "exemplar labels");
      const { series } = exposition.familiesToSeries(families);
      assertEqual(series[0].labels, ["__name__", "jobs_total", "kind", "✓"], "series labels");
      assert(exposition.serializeOpenMetrics(families).endsWith("# EOF\n"), "OpenMetrics ends with # EOF");
    },
  },
];
