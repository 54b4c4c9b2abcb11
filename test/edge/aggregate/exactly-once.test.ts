// Property: whatever the interleaving of increments, observations, flushes, reports lost before
// or after delivery, object restarts and alarms, the aggregator's totals equal those of one
// registry that saw every operation — nothing lost, nothing counted twice. Native histograms
// (whose isolates may halve their resolution at the bucket limit) equal it at the coarser schema.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { coarsen, sparseFromWire, type SparseHistogram } from "../../../core/edge/aggregate/sparse-histogram.ts";
import { familiesToSeries } from "../../../core/exposition/to-series.ts";
import { AggregateReporter } from "../../../core/edge/aggregate/reporter.ts";
import { Counter } from "../../../core/metrics/counter.ts";
import { Histogram } from "../../../core/metrics/histogram.ts";
import { Registry } from "../../../core/metrics/registry.ts";
import type { Fault } from "../../support/memory-durable-object.ts";
import { aggregatorNamespace, CaptureWriters, FakeClock, floatValues, seriesKey } from "./helpers.ts";

type Op =
  | { readonly op: "inc"; readonly iso: number; readonly route: string; readonly n: number }
  | { readonly op: "observe"; readonly iso: number; readonly v: number }
  | { readonly op: "flush"; readonly iso: number; readonly fault: Fault }
  | { readonly op: "restart" }
  | { readonly op: "alarm" };

const ISOLATES = 4;
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("inc" as const), iso: fc.nat(ISOLATES - 1), route: fc.constantFrom("/a", "/b", "/c"), n: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("observe" as const), iso: fc.nat(ISOLATES - 1), v: fc.integer({ min: -400, max: 4000 }).map((n) => n / 4) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("flush" as const), iso: fc.nat(ISOLATES - 1), fault: fc.constantFrom<Fault>("none", "none", "drop-request", "drop-response") }) },
  { weight: 1, arbitrary: fc.constant({ op: "restart" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "alarm" as const }) },
);

function define(registry: Registry, maxBuckets: number) {
  return {
    requests: new Counter({ name: "app_requests_total", help: "Requests.", labelNames: ["route"] as const, registry }),
    latency: new Histogram({ name: "app_latency_seconds", help: "Latency.", buckets: [1, 4], native: { schema: 3, maxBuckets }, registry }),
  };
}

const buckets = (h: SparseHistogram) => ({ zeroCount: h.zeroCount, count: h.count, positive: [...h.positive].sort((a, b) => a[0] - b[0]), negative: [...h.negative].sort((a, b) => a[0] - b[0]) });

describe("aggregation is exactly once", () => {
  it("totals equal one registry that saw everything, through lost reports, restarts and bucket limits", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 120 }), fc.constantFrom(0, 6, 12), async (ops, maxBuckets) => {
        const clock = new FakeClock();
        const writers = new CaptureWriters();
        const ns = aggregatorNamespace(writers, { clock });
        const refRegistry = new Registry();
        const ref = define(refRegistry, 0);
        const isolates = Array.from({ length: ISOLATES }, (_, i) => {
          const registry = new Registry();
          return { m: define(registry, maxBuckets), reporter: new AggregateReporter(registry, () => `iso${i}`, { clock, maxPendingReports: 3 }) };
        });
        let fault: Fault = "none";
        ns.fault = () => fault;
        const stub = (i: number) => ns.get(`promwire-aggregator-${i}` as never);
        for (const o of ops) {
          clock.advance(250);
          if (o.op === "inc") {
            isolates[o.iso].m.requests.labels({ route: o.route }).inc(o.n);
            ref.requests.labels({ route: o.route }).inc(o.n);
          } else if (o.op === "observe") {
            isolates[o.iso].m.latency.observe(o.v);
            ref.latency.observe(o.v);
          } else if (o.op === "flush") {
            fault = o.fault;
            await isolates[o.iso].reporter.flush({ force: true, stub });
            fault = "none";
          } else if (o.op === "restart") {
            ns.restart("promwire-aggregator-0");
          } else {
            await ns.runAlarms();
          }
        }
        // Quiet at last: every isolate delivers what it holds.
        for (let round = 0; round < 3; round++) for (const iso of isolates) await iso.reporter.flush({ force: true, stub });
        for (const iso of isolates) expect(iso.reporter.stats().pending).toBe(0);
        clock.advance(10_000);
        await ns.runAlarms();
        const got = floatValues(writers.last());
        const { series: want } = familiesToSeries(refRegistry.collect(), { timestamp: 0 });
        for (const s of want) {
          if (s.samples === undefined || s.samples.length === 0) continue;
          expect(got.get(seriesKey(s.labels)), seriesKey(s.labels)).toBe(s.samples[0].value);
        }
        // Native: the aggregate at the coarsest schema any isolate reached equals the reference there.
        const nativeGot = writers.last()?.series.find((s) => s.histograms !== undefined)?.histograms?.[0];
        const nativeWant = want.find((s) => s.histograms !== undefined)?.histograms?.[0];
        expect(nativeGot === undefined).toBe(nativeWant === undefined);
        if (nativeGot !== undefined && nativeWant !== undefined) {
          const g = sparseFromWire(nativeGot)!;
          const w = sparseFromWire(nativeWant)!;
          const s = Math.min(g.schema, w.schema);
          coarsen(g, s);
          coarsen(w, s);
          expect(buckets(g)).toEqual(buckets(w));
        }
        const agg = (await (await ns.object("promwire-aggregator-0").fetch(new Request("https://x/stats"))).json()) as { refused: Record<string, number> };
        expect(agg.refused).toEqual({});
      }),
      { numRuns: 150 },
    );
  });
});
