// Strict parsing on every runtime: each of promwire's own strict-mode pages (test/fixtures/
// openmetrics-strict and text-strict, embedded by scripts/embed-strict-pages.mjs) is refused with
// its rule at its line and column, or accepted with the families the default mode finds; and the
// unique-series check the CLI relies on.
import { assert, assertEqual, type SharedCase, type SharedContext } from "./harness.ts";
import { strictPages, type StrictPage } from "./strict-pages.gen.ts";

interface ParseErrorLike {
  readonly _tag?: string;
  readonly rule?: string;
  readonly line?: number;
  readonly column?: number;
  readonly reason?: string;
}

function bytesOf(p: StrictPage): Uint8Array {
  return p.bytes !== undefined ? new Uint8Array(p.bytes) : new TextEncoder().encode(p.text as string);
}

function caught(fn: () => unknown): ParseErrorLike | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e as ParseErrorLike;
  }
}

function pageCase(p: StrictPage): SharedCase {
  const where = p.format === "openmetrics" ? "openmetrics-strict" : "text-strict";
  return {
    name: p.rule === undefined ? `exposition strict: ${where}/${p.file} parses` : `exposition strict: ${where}/${p.file} is refused (${p.rule} at ${p.line}:${p.column})`,
    run: ({ exposition }: SharedContext) => {
      const parse = p.format === "openmetrics" ? exposition.parseOpenMetrics : exposition.parseText;
      const bytes = bytesOf(p);
      if (p.rule === undefined) {
        const plain = parse(bytes);
        assertEqual(parse(bytes, { strict: true }), plain, "strict mode finds what the default mode finds");
        assertEqual(parse(p.text as string, { strict: true }), plain, "from a string as from bytes");
        return;
      }
      const e = caught(() => parse(bytes, { strict: true }));
      assert(e !== undefined, `strict mode accepted ${p.file}`);
      assertEqual([e._tag, e.rule, e.line, e.column], ["ParseError", p.rule, p.line, p.column], `error of ${p.file} (${e.reason})`);
      // Lenient strict parsing reports the same error and does not throw.
      const { errors } = exposition.parseExposition(bytes, { format: p.format, strict: true, lenient: true });
      assert(errors.some((x) => x.rule === p.rule && x.line === p.line), `lenient strict parse of ${p.file} reports ${p.rule}`);
    },
  };
}

export const strictCases: SharedCase[] = [
  ...strictPages.map(pageCase),
  {
    name: "exposition strict: every strict rule has a page of its own in each format it applies to",
    run: () => {
      const rules = (format: string): string[] => [...new Set(strictPages.filter((p) => p.format === format && p.rule !== undefined).map((p) => p.rule as string))].sort();
      assertEqual(rules("openmetrics"), [
        "bucket-inf-missing", "bucket-le", "bucket-not-cumulative", "bucket-order", "count-mismatch", "exemplar-out-of-bucket",
        "exemplar-too-long", "family-split", "group-split", "histogram-sum", "info-value", "label-name-reserved", "label-not-allowed",
        "metadata-after-samples", "name-clash", "name-reserved", "quantile-label", "sample-name", "stateset-label", "stateset-value",
        "sum-count-pair", "timestamp-mixed", "timestamp-order", "unit-type", "utf8-invalid", "value-nan", "value-negative", "value-not-integer",
      ], "OpenMetrics rules with a page");
      assertEqual(rules("text"), [
        "bucket-inf-missing", "bucket-le", "bucket-not-cumulative", "bucket-order", "count-mismatch", "duplicate-series", "family-split",
        "label-name-reserved", "metadata-after-samples", "quantile-label", "quantile-order", "utf8-invalid",
      ], "text 0.0.4 rules with a page");
    },
  },
  {
    name: "exposition uniqueSeries: the same series twice is refused naming it and both lines; a history of timestamps is not",
    run: ({ exposition }) => {
      const e = caught(() => exposition.parseText('# TYPE foo gauge\nfoo{a="1"} 1\nfoo{a="2"} 5\nfoo{a="1"} 2\n', { uniqueSeries: true }));
      assert(e !== undefined, "a repeated series is refused");
      assertEqual([e._tag, e.rule, e.line, e.column], ["ParseError", "duplicate-series", 4, 1], "error");
      assert(/foo\{a="1"\}/.test(e.reason ?? "") && /line 2/.test(e.reason ?? ""), `the reason names the series and line 2: ${e.reason}`);
      const older = caught(() => exposition.parseOpenMetrics("a 1 20\na 2 10\n# EOF\n", { uniqueSeries: true }));
      assertEqual([older?.rule, older?.line], ["timestamp-order", 2], "a sample older than the one before it");
      const history = exposition.parseOpenMetrics("a 1 10\na 2 20\n# EOF\n", { uniqueSeries: true });
      assertEqual(history[0].samples.map((s) => s.timestamp), [10_000, 20_000], "increasing timestamps");
      // Without the option, both lines are kept (Prometheus's scrape keeps the first).
      assertEqual(exposition.parseText("foo 1\nfoo 2\n")[0].samples.length, 2, "default mode keeps both lines");
    },
  },
  {
    name: "exposition: an OpenMetrics timestamp beyond 2^53 ms parses (the suite's `timestamps` case), as Prometheus's float conversion gives it",
    run: ({ exposition }) => {
      const [f] = exposition.parseOpenMetrics("# TYPE a counter\na_total 1 12345678901234567890.1234567890\n# EOF\n");
      assertEqual(f.samples[0].timestamp, Math.trunc(12345678901234567890.123456789 * 1000), "timestamp in ms, as a double");
    },
  },
];
