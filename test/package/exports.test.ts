// The public surface, entry by entry: exactly these names, nothing internal. This list is the
// snapshot a reviewer reads when the API changes. Both the built package (package.json's
// exports → dist/) and the sources (deno.json's exports, what JSR publishes) are checked, and
// the two export maps must name the same entries.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url);

const METRICS_AND_ERRORS = [
  "AuthError",
  "ClosedError",
  "Counter",
  "DEFAULT_BUCKETS",
  "DEFAULT_PERCENTILES",
  "DecodeError",
  "EncodeError",
  "EnvPermissionError",
  "Gauge",
  "Histogram",
  "HttpError",
  "LabelError",
  "MetricError",
  "NetworkError",
  "ParseError",
  "PromwireError",
  "RedirectError",
  "Registry",
  "RejectedError",
  "SnappyNotInitialisedError",
  "SpoolError",
  "Summary",
  "TimeoutError",
  "TlsError",
  "ValidationError",
];
// sigv4() and oauth2() build the auth schemes that need code of their own; a program that does
// not call them does not bundle that code (Workers included).
const RUNTIME = [...METRICS_AND_ERRORS, "flushAll", "oauth2", "pushgateway", "remoteWrite", "sigv4"].sort();

/** Entry → the names it exports (values; types are checked by the declaration tests). */
export const EXPECTED: Record<string, string[]> = {
  ".": METRICS_AND_ERRORS,
  "./node": RUNTIME,
  "./deno": RUNTIME,
  "./bun": RUNTIME,
  // Aggregation (README, "Aggregating isolates"): the Durable Object class, its factory with options, and the reporting option of withMetrics.
  "./workers": [...RUNTIME, "MetricsAggregator", "metricsAggregator", "reportToAggregator", "withMetrics"].sort(),
  "./wire": [
    "CONTENT_TYPE",
    "ClientMetricType",
    "DecodeError",
    "EncodeError",
    "PROTOCOL_HEADER_VERSION",
    "SnappyNotInitialisedError",
    "WriteRequestEncoder",
    "compareUtf8",
    "decodeMetricFamiliesDelimited",
    "decodeWriteRequest",
    "describeLabels",
    "encodeMetricFamiliesDelimited",
    "encodeWriteRequest",
    "getLabel",
    "isValidLabelName",
    "isValidMetricName",
    "labelsFromRecord",
    "snappy",
    "versionFromContentType",
  ],
  "./exposition": ["ParseError", "detectFormat", "familiesToSeries", "parseExposition", "parseOpenMetrics", "parseText", "serializeExposition", "serializeOpenMetrics", "serializeText"],
  "./edge": [
    "DEFAULT_FLUSH_DEADLINE_MS",
    "EDGE_REMOTE_WRITE_DEFAULTS",
    "SeriesTimestamps",
    "WAIT_UNTIL_LIMIT_MS",
    "closeWithin",
    "deleteStaleGroups",
    "dropIsolateMetrics",
    "freshnessAlertRule",
    "groupAges",
    "isolateMetrics",
    "staleGroups",
  ],
  "./effect": ["Pushgateway", "RemoteWrite", "makeRemoteWrite", "pushgatewayLayer", "remoteWriteLayer", "retryPolicy", "retrySchedule"],
  "./proto": ["client", "v1", "v2"],
};

interface Exports {
  [entry: string]: string | { types: string; import: string };
}
const pkg = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")) as { exports: Exports };
const deno = JSON.parse(readFileSync(new URL("deno.json", ROOT), "utf8")) as { exports: Record<string, string> };
const entries = Object.keys(EXPECTED);
const names = (m: object): string[] => Object.keys(m).sort();

/** An entry's export names. The Workers entry imports its WASM as a module, which Node cannot: its names come from esbuild's reading of the file. */
async function exportsOf(file: URL): Promise<string[]> {
  if (!file.pathname.endsWith("/workers.js")) return names(await import(file.href));
  const r = await build({ entryPoints: [fileURLToPath(file)], bundle: true, write: false, format: "esm", platform: "neutral", external: ["*.wasm"], metafile: true, logLevel: "error" });
  return Object.values(r.metafile.outputs)[0].exports.sort();
}

describe("public surface", () => {
  it("package.json exports exactly these entries (plus package.json); deno.json the same, Workers aside (npm only)", () => {
    expect(Object.keys(pkg.exports).sort()).toEqual([...entries, "./package.json"].sort());
    expect(Object.keys(deno.exports).sort()).toEqual(entries.filter((e) => e !== "./workers").sort());
  });

  for (const entry of entries) {
    it(`${entry === "." ? "promwire" : `promwire${entry.slice(1)}`}: the built entry exports exactly the listed names`, async () => {
      const target = pkg.exports[entry] as { import: string };
      expect(await exportsOf(new URL(target.import, ROOT))).toEqual(EXPECTED[entry]);
    });
  }

  for (const entry of entries.filter((e) => e !== "./workers")) {
    it(`${entry}: the source entry (deno.json, JSR) exports the same names`, async () => {
      expect(names(await import(new URL(deno.exports[entry], ROOT).href))).toEqual(EXPECTED[entry]);
    });
  }
});
