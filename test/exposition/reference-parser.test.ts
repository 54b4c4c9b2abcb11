// promwire's own OpenMetrics pages against the reference parser (Python prometheus_client, from
// Debian's python3-prometheus-client, run by /usr/bin/python3): what promwire parses and writes
// back, the reference parser reads as the original (timestamps at Prometheus' millisecond); and
// where promwire's strict mode refuses a page, the reference parser does too, apart from the
// spec rules it does not check. `npm run conformance` does the same with the OpenMetrics suite.
// Without the tool this fails saying what to install: it never skips.
import { describe, expect, it } from "vitest";
import { readWithReference, referenceParserProblem, roundTrip } from "../../scripts/reference-parser.ts";
import { fixture } from "../support/fixtures.ts";
import { strictPages } from "../shared/strict-pages.gen.ts";

const om = strictPages.filter((p) => p.format === "openmetrics");
/**
 * The reference parser (0.16) keeps a set of a metric's series per metric, not per timestamp, so
 * the second timestamped point of a histogram loses its `+Inf` bucket as a "duplicate" and the
 * page is refused ("+Inf bucket missing"). The spec allows such a page; promwire reads it.
 */
const REFERENCE_BUG = "valid/histogram-points.om";

describe("the reference parser", () => {
  it("is installed (/usr/bin/python3 with prometheus_client)", () => {
    expect(referenceParserProblem()).toBeUndefined();
  });

  it("reads back what promwire parsed and wrote of each valid page as it reads the original", () => {
    const pages = [
      ...om.filter((p) => p.rule === undefined && p.file !== REFERENCE_BUG).map((p) => ({ name: p.file, text: p.text as string })),
      { name: "exposition/openmetrics-edge.om", text: fixture("exposition/openmetrics-edge.om") },
    ];
    expect(pages.length).toBe(3); // every-type, history, openmetrics-edge
    const trips = roundTrip(pages);
    expect(trips.filter((t) => !t.ok).map((t) => `${t.name}: ${t.detail}`)).toEqual([]);
    // The written pages really went through: timestamps in decimal seconds, exemplars kept.
    expect(trips.find((t) => t.name === "valid/every-type.om")?.written).toContain("# {trace_id=\"4bf92f3577b34da6\"} 1.0 1700000000.25");
  });

  it("refuses the one valid page it misreads, as documented (REFERENCE_BUG)", () => {
    const page = om.find((p) => p.file === REFERENCE_BUG);
    const [reading] = readWithReference([page?.text as string]);
    expect(reading).toEqual({ ok: false, error: "ValueError: +Inf bucket missing: latency_seconds" });
  });

  it("refuses every page promwire's strict mode refuses, except for the rules it does not check", () => {
    const invalid = om.filter((p) => p.rule !== undefined);
    // Pages that are not UTF-8 reach Python as text with U+FFFD, as an HTTP client would decode them.
    const readings = readWithReference(invalid.map((p) => p.text ?? new TextDecoder().decode(new Uint8Array(p.bytes ?? []))));
    const accepted = invalid.filter((_, i) => readings[i].ok).map((p) => p.rule);
    // Spec rules prometheus_client 0.16 leaves out: reserved "_" names, exemplars above their
    // bucket's le, and UTF-8 (it reads text).
    expect(accepted.sort()).toEqual(["exemplar-out-of-bucket", "label-name-reserved", "name-reserved", "utf8-invalid"]);
  });
});
