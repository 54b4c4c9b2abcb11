// Properties: serialize → parse gives back the same families (both formats), and no input, however
// broken, makes the parsers throw anything but a ParseError, or hang.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.ts";
import { parseExposition, parseOpenMetrics, parseText } from "../../core/exposition/parse.ts";
import { serializeOpenMetrics, serializeText } from "../../core/exposition/serialize.ts";
import type { ExpositionSample, FamilyType, MetricFamily } from "../../core/exposition/model.ts";
import type { Exemplar } from "../../core/wire/types.ts";

type Format = "text" | "openmetrics";

const labelName = fc
  .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/)
  .filter((n) => n !== "le" && n !== "quantile" && !n.startsWith("__"));
// Any well-formed string: quotes, backslashes, newlines and non-ASCII included.
const labelValue = fc.oneof(fc.string({ unit: "grapheme", maxLength: 12 }), fc.constantFrom("", "\\", '"', "\n", "\\n", 'a\\"b', "\\t"));
const labelPairs = fc.uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 4, selector: ([n]) => n }).map((pairs) => pairs.flat());
// -0 is written as "0" by expfmt, so it cannot come back as -0.
const value = fc
  .oneof({ arbitrary: fc.double(), weight: 4 }, fc.constantFrom(NaN, Infinity, -Infinity, 0, 1, 0.1, 1e6, 5e-324))
  .map((v) => (Object.is(v, -0) ? 0 : v));
const count = fc.oneof(fc.nat(1e6), value);
const helpText = fc.option(fc.string({ unit: "grapheme", maxLength: 30 }), { nil: undefined });

function timestamp(format: Format): fc.Arbitrary<number | undefined> {
  return fc.option(format === "text" ? fc.integer({ min: 0, max: 4e12 }) : fc.integer({ min: -1e12, max: 4e12 }), { nil: undefined });
}

function exemplar(format: Format): fc.Arbitrary<Exemplar | undefined> {
  if (format === "text") return fc.constant(undefined);
  const labels = fc
    .uniqueArray(fc.tuple(labelName, fc.string({ unit: "grapheme", maxLength: 8 })), { maxLength: 2, selector: ([n]) => n })
    .map((pairs) => pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flat());
  return fc.option(
    fc.record({ labels, value, timestamp: fc.option(fc.integer({ min: 0, max: 4e12 }), { nil: undefined }) }).map((e) => {
      const out: { labels: string[]; value: number; timestamp?: number } = { labels: e.labels, value: e.value };
      if (e.timestamp !== undefined) out.timestamp = e.timestamp;
      return out;
    }),
    { nil: undefined },
  );
}

function sample(name: string, labels: fc.Arbitrary<readonly string[]>, v: fc.Arbitrary<number>, format: Format, withExemplar: boolean): fc.Arbitrary<ExpositionSample> {
  return fc.record({ labels, value: v, timestamp: timestamp(format), exemplar: withExemplar ? exemplar(format) : fc.constant(undefined) }).map((r) => {
    const s: { name: string; labels: readonly string[]; value: number; timestamp?: number; exemplar?: Exemplar } = { name, labels: r.labels, value: r.value };
    if (r.timestamp !== undefined) s.timestamp = r.timestamp;
    if (r.exemplar !== undefined) s.exemplar = r.exemplar;
    return s;
  });
}

const withLabel = (extra: string, values: fc.Arbitrary<string>): fc.Arbitrary<readonly string[]> =>
  fc.tuple(labelPairs, values).map(([l, v]) => [...l, extra, v]);
const le = fc.oneof(fc.constantFrom("+Inf", "0.005", "1", "1.0", "1e+01"), value.map(String));

/** Samples a family of `type` named `name` has, per format (text names counters by their _total). */
function samplesOf(type: FamilyType, name: string, format: Format): fc.Arbitrary<ExpositionSample[]> {
  const many = (arbs: fc.Arbitrary<ExpositionSample>[]): fc.Arbitrary<ExpositionSample[]> => fc.array(fc.oneof(...arbs), { maxLength: 5 });
  switch (type) {
    case "counter":
      return format === "text"
        ? many([sample(name, labelPairs, value, format, false)])
        : many([sample(`${name}_total`, labelPairs, value, format, true), sample(`${name}_created`, labelPairs, value, format, false)]);
    case "histogram":
      return many([
        sample(`${name}_bucket`, withLabel("le", le), count, format, true),
        sample(`${name}_sum`, labelPairs, value, format, false),
        sample(`${name}_count`, labelPairs, count, format, false),
        ...(format === "openmetrics" ? [sample(`${name}_created`, labelPairs, value, format, false)] : []),
      ]);
    case "gaugehistogram":
      return many([
        sample(`${name}_bucket`, withLabel("le", le), count, format, true),
        sample(`${name}_gsum`, labelPairs, value, format, false),
        sample(`${name}_gcount`, labelPairs, count, format, false),
      ]);
    case "summary":
      return many([
        sample(name, withLabel("quantile", fc.constantFrom("0", "0.5", "0.99", "1")), value, format, false),
        sample(`${name}_sum`, labelPairs, value, format, false),
        sample(`${name}_count`, labelPairs, count, format, false),
      ]);
    case "info":
      return many([sample(`${name}_info`, labelPairs, fc.constant(1), format, false)]);
    default:
      return many([sample(name, labelPairs, value, format, false)]);
  }
}

function families(format: Format): fc.Arbitrary<MetricFamily[]> {
  const types: FamilyType[] =
    format === "text" ? ["counter", "gauge", "histogram", "summary", "unknown"] : ["counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"];
  const family = (i: number): fc.Arbitrary<MetricFamily> =>
    fc
      .record({ type: fc.constantFrom(...types), help: helpText, unit: format === "openmetrics" ? fc.option(fc.constantFrom("seconds", "bytes"), { nil: undefined }) : fc.constant(undefined) })
      .chain(({ type, help, unit }) => {
        // Names end in "x" (or the unit) so no family's sample name is another family's name.
        const name = format === "text" && type === "counter" ? `f${i}x_total` : unit === undefined ? `f${i}x` : `f${i}x_${unit}`;
        return samplesOf(type, name, format).map((samples) => {
          const f: { name: string; type: FamilyType; help?: string; unit?: string; samples: ExpositionSample[] } = { name, type, samples };
          if (help !== undefined) f.help = help;
          if (unit !== undefined) f.unit = unit;
          return f;
        });
      });
  return fc.integer({ min: 0, max: 6 }).chain((n) => (n === 0 ? fc.constant([]) : fc.tuple(...Array.from({ length: n }, (_, i) => family(i)))));
}

/** What the generated families held, so a test can show its input was not trivial. */
function tally(fs: MetricFamily[], t: Record<string, number>): void {
  for (const f of fs) {
    t[f.type] = (t[f.type] ?? 0) + 1;
    for (const s of f.samples) {
      t.samples++;
      if (s.exemplar !== undefined) t.exemplars++;
      if (s.timestamp !== undefined) t.timestamps++;
      if (s.labels.some((v) => /[\\"\n]/.test(v))) t.escapes++;
      if (Number.isNaN(s.value) || !Number.isFinite(s.value)) t.specials++;
    }
  }
}

describe("round trip: serialize → parse gives back the families", () => {
  for (const format of ["text", "openmetrics"] as const) {
    it(format, () => {
      const t: Record<string, number> = { samples: 0, exemplars: 0, timestamps: 0, escapes: 0, specials: 0 };
      fc.assert(
        fc.property(families(format), (fs) => {
          tally(fs, t);
          const page = format === "text" ? serializeText(fs) : serializeOpenMetrics(fs);
          expect(format === "text" ? parseText(page) : parseOpenMetrics(page)).toEqual(fs);
        }),
        { numRuns: 300 },
      );
      expect(t.samples).toBeGreaterThan(1000);
      expect(t.timestamps).toBeGreaterThan(100);
      expect(t.escapes).toBeGreaterThan(50);
      expect(t.specials).toBeGreaterThan(10);
      expect(t.histogram).toBeGreaterThan(50);
      if (format === "openmetrics") {
        expect(t.exemplars).toBeGreaterThan(50);
        expect(t.info + t.stateset + t.gaugehistogram).toBeGreaterThan(50);
      }
    });
  }
});

describe("fuzz: only ParseError, never another exception, never a hang", () => {
  const corpusPage = readFileSync(new URL("../fixtures/corpus/prometheus-2.42.prom", import.meta.url), "utf8").slice(0, 4000);
  const omPage = readFileSync(new URL("../fixtures/exposition/openmetrics-edge.om", import.meta.url), "utf8");
  const textPage = readFileSync(new URL("../fixtures/exposition/text-edge.prom", import.meta.url), "utf8");

  function onlyParseErrors(input: string): void {
    for (const format of ["text", "openmetrics"] as const) {
      try {
        parseExposition(input, { format });
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        expect(e.line).toBeGreaterThanOrEqual(1);
        expect(e.column).toBeGreaterThanOrEqual(1);
      }
      // Lenient mode never throws at all, and reports only ParseErrors.
      const { errors } = parseExposition(input, { format, lenient: true });
      for (const e of errors) expect(e).toBeInstanceOf(ParseError);
    }
  }

  // Random bytes, decoded as a receiver would (invalid UTF-8 becomes U+FFFD).
  it("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyParseErrors(new TextDecoder().decode(bytes))), { numRuns: 2000 });
  });

  // Strings built from the characters the grammar cares about hit far more code paths.
  it("random strings over the exposition alphabet", () => {
    const alphabet = fc.constantFrom(..."# \t\n{}=,\"\\abc_:019.-+eE".split(""), "HELP ", "TYPE ", "UNIT ", "EOF", "NaN", "Inf", "le", "# {", "counter", "histogram");
    fc.assert(fc.property(fc.array(alphabet, { maxLength: 80 }).map((a) => a.join("")), onlyParseErrors), { numRuns: 3000 });
  });

  // Real pages with random edits: insertions, deletions and replacements.
  it("mutated real pages", () => {
    const edit = fc.tuple(fc.nat(), fc.nat(3), fc.string({ unit: "binary", maxLength: 3 }));
    fc.assert(
      fc.property(fc.constantFrom(corpusPage, omPage, textPage), fc.array(edit, { minLength: 1, maxLength: 6 }), (page, edits) => {
        let s = page;
        for (const [at, del, insert] of edits) {
          const i = at % (s.length + 1);
          s = s.slice(0, i) + insert + s.slice(i + del);
        }
        onlyParseErrors(s);
      }),
      { numRuns: 500 },
    );
  });

  it("finishes a pathological page in linear time", () => {
    const long = `a{${"b=\"\\\\\",".repeat(20000)}} 1\n`;
    const t0 = performance.now();
    expect(() => parseText(long)).toThrow(ParseError); // 20,000 labels named b: duplicate label name
    const deep = `${"# TYPE x gauge\n".repeat(1)}${'x{l="'.repeat(1)}${"\\".repeat(200001)}"} 1\n`;
    expect(() => parseText(deep)).toThrow(ParseError);
    const unterminated = `a{b="${"x".repeat(200000)}`;
    expect(() => parseText(unterminated)).toThrow(ParseError);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
