// The real pages in test/fixtures/corpus: node_exporter 1.5 and Prometheus 2.42 `/metrics`.
import { describe, expect, it } from "vitest";
import { parseExposition } from "../../core/exposition/parse.ts";
import { familiesToSeries } from "../../core/exposition/to-series.ts";
import { corpus, CORPUS_PAGES } from "../support/fixtures.ts";

const pages = CORPUS_PAGES.map((file) => ({ file, text: corpus(file) }));

describe.each(pages)("corpus page $file", ({ text }) => {
  const families = parseExposition(text, { contentType: "text/plain; version=0.0.4" });
  const lines = text.split("\n");

  it("has one family per TYPE line, with the type and HELP the page gives", () => {
    const typeLines = lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" "));
    expect(families.map((f) => f.name)).toEqual(typeLines.map((t) => t[2]));
    expect(families.map((f) => (f.type === "unknown" ? "untyped" : f.type))).toEqual(typeLines.map((t) => t[3]));
    const helps = new Map(lines.filter((l) => l.startsWith("# HELP ")).map((l) => [l.split(" ")[2], l.slice(8 + l.split(" ")[2].length)]));
    for (const f of families) expect(f.help?.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")).toBe(helps.get(f.name));
  });

  it("has one sample per sample line, in page order, with its name and value", () => {
    const sampleLines = lines.filter((l) => l !== "" && !l.startsWith("#"));
    const samples = families.flatMap((f) => f.samples);
    expect(samples).toHaveLength(sampleLines.length);
    for (let i = 0; i < samples.length; i++) {
      const line = sampleLines[i];
      expect(line.startsWith(samples[i].name)).toBe(true);
      const written = line.slice(line.lastIndexOf(" ") + 1);
      expect(samples[i].value).toBe(written === "+Inf" ? Infinity : written === "-Inf" ? -Infinity : Number(written));
    }
  });

  it("becomes one series per sample line (no duplicates in these pages)", () => {
    const { series, metadata } = familiesToSeries(families, { timestamp: 1 });
    expect(series).toHaveLength(families.reduce((n, f) => n + f.samples.length, 0));
    expect(metadata).toHaveLength(families.length);
  });
});
