// The steady-state rewrite (core/wire/steady-v1.ts): a v1 request whose series are the previous
// request's frozen label arrays, each with one new sample, is written by rewriting the previous
// buffer in place. Every request of a random sequence — steady ones, and the changes that must
// fall back to a full encode (another shape, an unfrozen or reordered array, exemplars, other
// metadata, a v2 request in between, an invalid sample) — must equal toBinary of the generated
// messages, and the fast path must actually be taken where it applies.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WriteRequestEncoder } from "../../core/wire/encode.ts";
import type { MetricMetadata, Sample, Series } from "../../core/wire/types.ts";
import { metadataFor, sortedLabels, timestamp, value } from "./arbitraries.ts";
import { referenceV1, referenceV2 } from "./reference.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/**
 * toBinary of the generated messages; with a stale marker (NaN bits 0x7ff0000000000002, which
 * JavaScript's NaN in the generated code cannot hold: stale-and-rules.test.ts checks those bytes)
 * a fresh encoder's full encode, which has no previous request to rewrite.
 */
const expected = (list: readonly Series[], metadata: readonly MetricMetadata[]): string =>
  hex(list.some((s) => s.samples?.some((x) => x.stale)) ? new WriteRequestEncoder().encode(list, { metadata }) : referenceV1(list, metadata));

const sample: fc.Arbitrary<Sample> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ value, timestamp }) },
  { weight: 1, arbitrary: fc.record({ value: fc.constant(0), timestamp: fc.constantFrom(0, 1_700_000_000_000) }) },
  { weight: 1, arbitrary: fc.record({ value: fc.constant(Number.NaN), timestamp, stale: fc.constant(true as const) }) },
);

/** What happens to the request before it is encoded again. */
type Step =
  | { kind: "samples"; samples: Sample[] } // new samples, one per series (the steady state)
  | { kind: "unfreeze"; at: number } // one series' labels as a fresh, unfrozen copy
  | { kind: "reverse" }
  | { kind: "drop"; at: number } // one series fewer
  | { kind: "two"; at: number; extra: Sample } // one series gets a second sample
  | { kind: "exemplar"; at: number }
  | { kind: "help"; text: string } // metadata content changes
  | { kind: "v2" } // a v2 request in between (other buffer)
  | { kind: "invalid"; at: number }; // a sample the encoder refuses

const steps = (n: number): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.oneof(
      { weight: 8, arbitrary: fc.array(sample, { minLength: n, maxLength: n }).map((samples): Step => ({ kind: "samples", samples })) },
      { weight: 1, arbitrary: fc.nat().map((at): Step => ({ kind: "unfreeze", at })) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: "reverse" }) },
      { weight: 1, arbitrary: fc.nat().map((at): Step => ({ kind: "drop", at })) },
      { weight: 1, arbitrary: fc.tuple(fc.nat(), sample).map(([at, extra]): Step => ({ kind: "two", at, extra })) },
      { weight: 1, arbitrary: fc.nat().map((at): Step => ({ kind: "exemplar", at })) },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((text): Step => ({ kind: "help", text })) },
      { weight: 1, arbitrary: fc.constant<Step>({ kind: "v2" }) },
      { weight: 1, arbitrary: fc.nat().map((at): Step => ({ kind: "invalid", at })) },
    ),
    { maxLength: 12 },
  );

const labelSets = fc.uniqueArray(sortedLabels(true), { selector: (l) => l.join("\u0000"), minLength: 1, maxLength: 8 });

describe("steady-state v1 requests rewritten in place equal toBinary", () => {
  it("a random sequence of steady requests and changes, each byte-exact", () => {
    fc.assert(
      fc.property(
        labelSets.chain((sets) => fc.tuple(fc.constant(sets), fc.array(sample, { minLength: sets.length, maxLength: sets.length }), steps(sets.length))),
        ([sets, first, plan]) => {
          const frozen = sets.map((l) => Object.freeze([...l]));
          let list: Series[] = frozen.map((labels, i) => ({ labels, samples: [first[i]] }));
          const probe = list.map((s) => ({ labels: [...s.labels] }));
          let metadata: MetricMetadata[] = fc.sample(metadataFor(probe), { numRuns: 1, seed: 1 })[0];
          const enc = new WriteRequestEncoder();
          expect(hex(enc.encodeView(list, { metadata }))).toBe(expected(list, metadata));
          for (const step of plan) {
            const at = list.length === 0 ? 0 : ("at" in step ? step.at : 0) % list.length;
            switch (step.kind) {
              case "samples":
                list = list.map((s, i) => ({ labels: s.labels, samples: [step.samples[i % step.samples.length]] }));
                break;
              case "unfreeze":
                if (list.length > 0) list = list.map((s, i) => (i === at ? { ...s, labels: [...s.labels] } : s));
                break;
              case "reverse":
                list = [...list].reverse();
                break;
              case "drop":
                list = list.filter((_, i) => i !== at);
                break;
              case "two":
                if (list.length > 0 && list[at].samples![0].timestamp < Number.MAX_SAFE_INTEGER) {
                  const s = list[at];
                  const t0 = s.samples![0].timestamp;
                  list = list.map((x, i) => (i === at ? { ...s, samples: [s.samples![0], { ...step.extra, timestamp: t0 + 1 }] } : x));
                }
                break;
              case "exemplar":
                if (list.length > 0) list = list.map((s, i) => (i === at ? { ...s, exemplars: [{ labels: ["trace_id", "abc"], value: 1, timestamp: 5 }] } : s));
                break;
              case "help":
                metadata = metadata.map((m, i) => (i === 0 ? { ...m, help: step.text } : m));
                break;
              case "v2":
                if (!list.some((s) => s.samples?.some((x) => x.stale))) {
                  expect(hex(enc.encodeView(list, { version: "v2", metadata }))).toBe(hex(referenceV2(list, metadata)));
                }
                continue;
              case "invalid":
                if (list.length > 0) {
                  const bad = list.map((s, i) => (i === at ? { labels: s.labels, samples: [{ value: 1, timestamp: 0.5 }] } : s));
                  expect(() => enc.encodeView(bad, { metadata })).toThrow(/timestamp/);
                }
                continue;
            }
            expect(hex(enc.encodeView(list, { metadata }))).toBe(expected(list, metadata));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the steady request is written into the previous request's buffer (the fast path is taken), a changed one is not", () => {
    const labels = [Object.freeze(["__name__", "a_total", "job", "x"]), Object.freeze(["__name__", "b", "job", "x"])];
    const enc = new WriteRequestEncoder();
    const at = (t: number, v: number): Series[] => labels.map((l) => ({ labels: l, samples: [{ value: v, timestamp: t }] }));
    const first = enc.encodeView(at(1_700_000_000_000, 1));
    const second = enc.encodeView(at(1_700_000_000_001, 2));
    // Full encodes alternate two buffers; the steady rewrite reuses the last one.
    expect(second.buffer).toBe(first.buffer);
    expect(hex(second)).toBe(hex(referenceV1(at(1_700_000_000_001, 2))));
    // A value of 0 changes the sample's shape (no value field): a full encode, into the other buffer.
    const third = enc.encodeView(at(1_700_000_000_002, 0));
    expect(third.buffer).not.toBe(second.buffer);
    expect(hex(third)).toBe(hex(referenceV1(at(1_700_000_000_002, 0))));
    // Unfrozen arrays with the same content: never rewritten in place (their content may change).
    const fresh = labels.map((l) => ({ labels: [...l], samples: [{ value: 0, timestamp: 1_700_000_000_003 }] }));
    const fourth = enc.encodeView(fresh);
    expect(fourth.buffer).not.toBe(third.buffer);
    expect(hex(fourth)).toBe(hex(referenceV1(fresh)));
  });
});
