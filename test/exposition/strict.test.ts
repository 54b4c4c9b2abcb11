// Strict parsing on Node, beyond the shared cases (which run every fixture page on all four
// runtimes): the fixtures' embedding is current, strict mode never changes what a valid page
// parses to, real pages pass, odd input, lenient strict parsing, and bytes in and out.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../core/errors.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";
import { parseExposition, parseOpenMetrics, parseText } from "../../core/exposition/parse.ts";
import { serializeOpenMetrics, serializeText } from "../../core/exposition/serialize.ts";
import { corpus } from "../support/fixtures.ts";
import { strictPages } from "../shared/strict-pages.gen.ts";

function errorOf(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error("no ParseError was thrown");
}

describe("strict-mode fixtures", () => {
  it("test/shared/strict-pages.gen.ts is what scripts/embed-strict-pages.mjs makes of the fixture folders", () => {
    const r = spawnSync(process.execPath, ["scripts/embed-strict-pages.mjs", "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("strict mode accepts real pages and what promwire writes", () => {
  it.each(["node-exporter-1.5.prom", "prometheus-2.42.prom"])("the corpus page %s is strict text 0.0.4", (file) => {
    const page = corpus(file);
    expect(parseText(page, { strict: true })).toEqual(parseText(page));
  });

  // Valid families of every type, as a registry or an exporter would have them.
  const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((n) => !/_(total|created|bucket|count|sum|gcount|gsum|info)$/.test(n));
  const labelSets = fc.uniqueArray(fc.stringMatching(/^[a-z0-9 "\\\n✓]{0,6}$/), { minLength: 1, maxLength: 4 }).map((vs) => vs.map((v) => ["path", v]));
  const count = fc.integer({ min: 0, max: 1e9 });
  const family: fc.Arbitrary<MetricFamily> = fc.oneof(
    fc.record({ n: name, sets: labelSets, vs: fc.array(count, { minLength: 4, maxLength: 4 }) }).map(({ n, sets, vs }) => ({
      name: n,
      type: "counter" as const,
      help: "A counter.",
      samples: sets.map((labels, i) => ({ name: `${n}_total`, labels, value: vs[i] })),
    })),
    fc.record({ n: name, sets: labelSets, vs: fc.array(fc.double(), { minLength: 4, maxLength: 4 }) }).map(({ n, sets, vs }) => ({
      name: n,
      type: "gauge" as const,
      samples: sets.map((labels, i) => ({ name: n, labels, value: vs[i] })),
    })),
    fc
      .record({ n: name, sets: labelSets, bounds: fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 4 }), counts: fc.array(count, { minLength: 5, maxLength: 5 }), sum: fc.double({ min: 0, max: 1e6, noNaN: true }) })
      .map(({ n, sets, bounds, counts, sum }) => {
        const les = [...bounds].sort((a, b) => a - b).map((b) => b / 4);
        const cumulative = counts.slice(0, les.length + 1).sort((a, b) => a - b);
        const negative = les[0] < 0;
        return {
          name: n,
          type: "histogram" as const,
          unit: undefined,
          samples: sets.flatMap((labels) => [
            ...les.map((le, i) => ({ name: `${n}_bucket`, labels: [...labels, "le", String(le)], value: cumulative[i] })),
            { name: `${n}_bucket`, labels: [...labels, "le", "+Inf"], value: cumulative[les.length] },
            // "Negative threshold buckets MAY be used, but then the Histogram MetricPoint MUST NOT contain a sum value".
            ...(negative ? [] : [{ name: `${n}_count`, labels, value: cumulative[les.length] }, { name: `${n}_sum`, labels, value: sum }]),
          ]),
        };
      }),
    fc.record({ n: name, sets: labelSets, q: fc.uniqueArray(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 3 }), v: fc.double({ min: 0, max: 1e3, noNaN: true }) }).map(({ n, sets, q, v }) => ({
      name: n,
      type: "summary" as const,
      samples: sets.flatMap((labels) => [
        ...[...q].sort((a, b) => a - b).map((x) => ({ name: n, labels: [...labels, "quantile", String(x / 100)], value: v })),
        { name: `${n}_sum`, labels, value: v },
        { name: `${n}_count`, labels, value: 7 },
      ]),
    })),
  );
  const page = fc.uniqueArray(family, { minLength: 1, maxLength: 5, selector: (f) => f.name }).filter((fs) => {
    // OpenMetrics names: no family may be named like another's samples (x and x_total …).
    const names = new Set(fs.map((f) => f.name));
    return fs.every((f) => !f.samples.some((s) => s.name !== f.name && names.has(s.name)));
  });

  it("serializeOpenMetrics output passes strict mode and parses to the same families as the default mode", () => {
    fc.assert(
      fc.property(page, (families) => {
        const om = serializeOpenMetrics(families);
        expect(parseOpenMetrics(om, { strict: true })).toEqual(parseOpenMetrics(om));
      }),
      { numRuns: 300 },
    );
  });

  it("serializeText output passes strict text mode (and uniqueSeries)", () => {
    fc.assert(
      fc.property(page, (families) => {
        const text = serializeText(families);
        expect(parseText(text, { strict: true, uniqueSeries: true })).toEqual(parseText(text));
      }),
      { numRuns: 300 },
    );
  });
});

describe("strict mode refuses or agrees, never anything else", () => {
  // Mutations of valid pages: a line dropped, repeated, moved, or a value made negative.
  const valid = strictPages.filter((p) => p.rule === undefined && p.text !== undefined);
  const mutation = fc.record({
    page: fc.constantFrom(...valid),
    op: fc.constantFrom("drop", "repeat", "move", "negate"),
    i: fc.nat(),
    j: fc.nat(),
  });
  it("on a mutated valid page: a ParseError, or exactly the default mode's families; lenient never throws", () => {
    fc.assert(
      fc.property(mutation, ({ page, op, i, j }) => {
        const lines = (page.text as string).split("\n");
        const body = lines.slice(0, -1); // keep the final newline
        const a = i % body.length;
        const b = j % body.length;
        if (op === "drop") body.splice(a, 1);
        else if (op === "repeat") body.splice(b, 0, body[a]);
        else if (op === "move") body.splice(b, 0, ...body.splice(a, 1));
        else body[a] = body[a].replace(/ (\d)/, " -$1");
        const text = `${body.join("\n")}\n`;
        const format = page.format;
        let strict: MetricFamily[] | undefined;
        try {
          strict = parseExposition(text, { format, strict: true });
        } catch (e) {
          expect(e).toBeInstanceOf(ParseError);
        }
        if (strict !== undefined) expect(strict).toEqual(parseExposition(text, { format }));
        const lenient = parseExposition(text, { format, strict: true, lenient: true });
        for (const e of lenient.errors) expect(e).toBeInstanceOf(ParseError);
      }),
      { numRuns: 1500 },
    );
  });

  it("lenient strict parsing reports every broken rule and keeps the lines that broke none", () => {
    const page = "# TYPE a counter\na_total 1\na_total{x=\"y\"} -1\n# TYPE b gauge\nb 2\na_total{x=\"z\"} 3\n# TYPE c info\nc_info 2\nc_info{v=\"1\"} 1\n# EOF\n";
    const { families, errors } = parseExposition(page, { format: "openmetrics", strict: true, lenient: true });
    expect(errors.map((e) => [e.line, e.rule])).toEqual([
      [3, "value-negative"],
      [6, "family-split"],
      [8, "info-value"],
    ]);
    expect(families.map((f) => [f.name, f.samples.map((s) => s.value)])).toEqual([
      ["a", [1]],
      ["b", [2]],
      ["c", [1]],
    ]);
  });
});

describe("pages as bytes", () => {
  it("decodes UTF-8; strict mode refuses an invalid sequence at its line and column, the default mode reads U+FFFD", () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('ok 1\nbad{v="ab'), 0xc3, 0x28, ...new TextEncoder().encode('"} 2\n')]);
    const e = errorOf(() => parseText(bytes, { strict: true }));
    expect([e.rule, e.line, e.column]).toEqual(["utf8-invalid", 2, 10]);
    expect(e.reason).toBe("invalid UTF-8 at byte 14 (0xc3)"); // "ok 1\n" and `bad{v="ab` are 14 bytes
    expect(parseText(bytes)[1].samples[0].labels).toEqual(["v", "ab\ufffd("]);
  });

  it("refuses overlong forms, surrogates, code points past U+10FFFF and a sequence cut at the end", () => {
    for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8], [0xe2, 0x82]]) {
      const bytes = new Uint8Array([0x61, 0x7b, 0x62, 0x3d, 0x22, ...bad]);
      expect(errorOf(() => parseText(bytes, { strict: true })).rule, bad.join(",")).toBe("utf8-invalid");
    }
    // Four-byte characters and NUL are fine.
    expect(parseText(new TextEncoder().encode('a{b="𝄞\u0000"} 1\n'), { strict: true })[0].samples[0].labels).toEqual(["b", "𝄞\u0000"]);
  });

  it("a string holding a lone surrogate has no UTF-8 form: strict mode refuses it", () => {
    const e = errorOf(() => parseOpenMetrics('a{b="x\udc00"} 1\n# EOF\n', { strict: true }));
    expect([e.rule, e.line, e.column]).toEqual(["utf8-invalid", 1, 7]);
    expect(parseOpenMetrics('a{b="x\udc00"} 1\n# EOF\n')[0].samples[0].labels).toEqual(["b", "x\udc00"]);
  });

  it("keeps a byte order mark, which neither format allows (Prometheus refuses it too)", () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("a 1\n# EOF\n")]);
    expect(errorOf(() => parseOpenMetrics(bom)).line).toBe(1);
    expect(errorOf(() => parseText(bom)).rule).toBe("syntax");
  });

  it("parseExposition sniffs the format of bytes as of text", () => {
    expect(parseExposition(new TextEncoder().encode("# TYPE a counter\na_total 1 # {t=\"x\"} 1\n# EOF\n"), { strict: true })[0].samples[0].exemplar).toEqual({ labels: ["t", "x"], value: 1 });
  });
});

describe("rule codes", () => {
  it("every error carries one; the message names it unless it is plain syntax", () => {
    const syntax = errorOf(() => parseText("a{ 1\n"));
    expect(syntax.rule).toBe("syntax");
    expect(syntax.message).not.toContain("[");
    const rule = errorOf(() => parseText("# TYPE a gauge\n# TYPE a gauge\n"));
    expect(rule.rule).toBe("metadata-duplicate");
    expect(rule.message).toBe('line 2, column 8: second TYPE line for a [metadata-duplicate]: "# TYPE a gauge"');
  });

  it("the fixtures' rules are the ones ParseRule names (a typo in a fixture name would not type-check here)", () => {
    const codes = readFileSync("core/errors.ts", "utf8").match(/export type ParseRule =([\s\S]*?);/)?.[1].match(/"[a-z0-9-]+"/g)?.map((s) => s.slice(1, -1));
    for (const p of strictPages) if (p.rule !== undefined) expect(codes).toContain(p.rule);
  });
});
