import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeWriteRequest } from "../../core/wire/decode.ts";
import { WriteRequestEncoder } from "../../core/wire/encode.ts";
import { metadataFor, series } from "./arbitraries.ts";
import { referenceV1, referenceV2 } from "./reference.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const encoder = new WriteRequestEncoder();
const request = fc.array(series, { maxLength: 6 }).chain((list) => fc.tuple(fc.constant(list), metadataFor(list)));

describe("fast encoder equals toBinary of the generated messages", () => {
  it("v1, random series and metadata", () => {
    fc.assert(
      fc.property(request, ([list, metadata]) => {
        expect(hex(encoder.encode(list, { metadata }))).toBe(hex(referenceV1(list, metadata)));
      }),
      { numRuns: 300 },
    );
  });

  it("v2, random series and metadata", () => {
    fc.assert(
      fc.property(request, ([list, metadata]) => {
        expect(hex(encoder.encode(list, { version: "v2", metadata }))).toBe(hex(referenceV2(list, metadata)));
      }),
      { numRuns: 300 },
    );
  });

  it("reusing one encoder across requests never leaks state between them", () => {
    fc.assert(
      fc.property(fc.array(request, { minLength: 2, maxLength: 4 }), (requests) => {
        for (const [list, metadata] of requests) {
          expect(hex(encoder.encode(list, { version: "v2", metadata }))).toBe(hex(referenceV2(list, metadata)));
          expect(hex(encoder.encode(list, { metadata }))).toBe(hex(referenceV1(list, metadata)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("decode(encode(x)) gives back the series (labels with empty values dropped)", () => {
    fc.assert(
      fc.property(request, fc.constantFrom("v1" as const, "v2" as const), ([list, metadata], version) => {
        const decoded = decodeWriteRequest(encoder.encode(list, { version, metadata }));
        expect(decoded.version).toBe(version);
        expect(decoded.series.length).toBe(list.length);
        decoded.series.forEach((got, i) => {
          const want = list[i];
          const kept = [];
          for (let j = 0; j < want.labels.length; j += 2) if (want.labels[j + 1] !== "") kept.push(want.labels[j], want.labels[j + 1]);
          expect(got.labels).toEqual(kept);
          expect((got.samples ?? []).map((s) => [s.value, s.timestamp])).toEqual((want.samples ?? []).map((s) => [s.value, s.timestamp]));
          expect((got.histograms ?? []).length).toBe((want.histograms ?? []).length);
          expect((got.exemplars ?? []).length).toBe((want.exemplars ?? []).length);
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe("frozen label arrays take the cached path and still equal toBinary", () => {
  const freeze = (list: readonly import("../../core/wire/types.ts").Series[]) => list.map((s) => ({ ...s, labels: Object.freeze([...s.labels]) }));
  for (const version of ["v1", "v2"] as const) {
    it(`${version}: first encode, cached re-encode, and a mix with unfrozen series`, () => {
      const enc = new WriteRequestEncoder();
      const reference = version === "v1" ? referenceV1 : referenceV2;
      fc.assert(
        fc.property(request, fc.array(fc.boolean(), { maxLength: 6 }), ([list, metadata], mask) => {
          const frozen = freeze(list);
          const mixed = list.map((s, i) => (mask[i] ? frozen[i] : s));
          const want = hex(reference(list, metadata));
          expect(hex(enc.encode(frozen, { version, metadata }))).toBe(want);
          expect(hex(enc.encode(frozen, { version, metadata }))).toBe(want);
          expect(hex(enc.encode(mixed, { version, metadata }))).toBe(want);
          expect(hex(enc.encode([...frozen].reverse(), { version, metadata }))).toBe(hex(reference([...list].reverse(), metadata)));
        }),
        { numRuns: 150 },
      );
    });
  }

  it("a frozen array that broke a rule is refused every time, not cached", () => {
    const bad = Object.freeze(["job", "x", "__name__", "up"]);
    const enc = new WriteRequestEncoder();
    expect(() => enc.encode([{ labels: bad }])).toThrow(/sorted/);
    expect(() => enc.encode([{ labels: bad }])).toThrow(/sorted/);
    expect(() => enc.encode([{ labels: bad }], { version: "v2" })).toThrow(/sorted/);
    expect(() => enc.encode([{ labels: bad }], { version: "v2" })).toThrow(/sorted/);
  });
});

describe("label strings of the previous request reused by position (v1 bytes, v2 ids)", () => {
  for (const version of ["v1", "v2"] as const) {
  it(`${version}: a request that keeps some label strings of the previous one at the same positions (fresh arrays) stays byte-exact`, () => {
    const enc = new WriteRequestEncoder();
    const reference = version === "v1" ? referenceV1 : referenceV2;
    fc.assert(
      fc.property(request, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.string({ maxLength: 6 })), { maxLength: 8 }), ([list, metadata], edits) => {
        expect(hex(enc.encode(list, { version, metadata }))).toBe(hex(reference(list, metadata)));
        // Fresh label arrays holding the same string objects, with some values replaced: the
        // replaced positions must miss the cache, the others hit it.
        const next = list.map((s) => ({ ...s, labels: [...s.labels] }));
        for (const [si, li, value] of edits) {
          if (next.length === 0) break;
          const labels = next[si % next.length].labels as string[];
          if (labels.length > 0) labels[(li % (labels.length / 2)) * 2 + 1] = value;
        }
        const valid = next.filter((s) => {
          try {
            new WriteRequestEncoder().encode([s], { version: "v2" });
            return true;
          } catch {
            return false;
          }
        });
        expect(hex(enc.encode(valid, { version, metadata }))).toBe(hex(reference(valid, metadata)));
        expect(hex(enc.encode(list, { version, metadata }))).toBe(hex(reference(list, metadata)));
        // The same arrays, mutated in place after a request, then re-sent.
        const mutable = list.map((s) => ({ ...s, labels: [...s.labels] }));
        expect(hex(enc.encode(mutable, { version, metadata }))).toBe(hex(reference(mutable, metadata)));
        for (const [si, li, value] of edits) {
          if (mutable.length === 0) break;
          const labels = mutable[si % mutable.length].labels as string[];
          if (labels.length > 0) labels[(li % (labels.length / 2)) * 2 + 1] = value;
        }
        let want: string | undefined;
        try {
          want = hex(reference(mutable, metadata));
          new WriteRequestEncoder().encode(mutable, { version, metadata });
        } catch {
          want = undefined;
        }
        if (want !== undefined) expect(hex(enc.encode(mutable, { version, metadata }))).toBe(want);
      }),
      { numRuns: 200 },
    );
  });
  }

  it("v1: a failed request leaves the previous one's bytes reusable, and v2 requests in between do not disturb them", () => {
    const enc = new WriteRequestEncoder();
    const good = [{ labels: ["__name__", "a", "job", "x"], samples: [{ value: 1, timestamp: 1 }] }];
    expect(hex(enc.encode(good))).toBe(hex(referenceV1(good)));
    expect(() => enc.encode([...good, { labels: ["job", "x", "__name__", "b"], samples: [] }])).toThrow(/sorted/);
    expect(hex(enc.encode(good))).toBe(hex(referenceV1(good)));
    expect(hex(enc.encode(good, { version: "v2" }))).toBe(hex(referenceV2(good)));
    expect(hex(enc.encode(good))).toBe(hex(referenceV1(good)));
    // A view handed out stays intact while the next request is encoded.
    const view = enc.encodeView(good);
    const copy = hex(view);
    enc.encodeView([{ labels: ["__name__", "other"], samples: [{ value: 2, timestamp: 2 }] }]);
    expect(hex(view)).toBe(copy);
  });
});

describe("v2 interner bound", () => {
  it("starts afresh past its bound and stays byte-exact, frozen ids included", () => {
    const enc = new WriteRequestEncoder();
    const kept = { labels: Object.freeze(["__name__", "kept", "a", "b"]), samples: [{ value: 1, timestamp: 1 }] };
    const want = hex(referenceV2([kept]));
    expect(hex(enc.encode([kept], { version: "v2" }))).toBe(want);
    // 300 requests × 1,000 fresh values: more distinct strings than the interner keeps (2^18).
    for (let r = 0; r < 300; r++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ({ labels: ["__name__", "x", "id", `r${r}-${i}`], samples: [{ value: i, timestamp: 5 }] }));
      const got = enc.encode(batch, { version: "v2" });
      if (r % 97 === 0) expect(hex(got)).toBe(hex(referenceV2(batch)));
    }
    expect(hex(enc.encode([kept], { version: "v2" }))).toBe(want);
  });
});
