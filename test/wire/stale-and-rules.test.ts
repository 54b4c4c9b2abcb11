import { describe, expect, it } from "vitest";
import { EncodeError } from "../../core/errors.ts";
import { decodeWriteRequest } from "../../core/wire/decode.ts";
import { encodeWriteRequest } from "../../core/wire/encode.ts";
import type { EncodeOptions } from "../../core/wire/encode.ts";
import type { Series } from "../../core/wire/types.ts";

const STALE_BYTES = [0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f];
const TS = 1_700_000_000_000;

function indexOfBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

describe("stale markers", () => {
  for (const version of ["v1", "v2"] as const) {
    it(`${version}: written as the exact bits 0x7ff0000000000002 and decoded as stale`, () => {
      const bytes = encodeWriteRequest(
        [{ labels: ["__name__", "up"], samples: [{ value: 1, timestamp: TS }, { value: NaN, timestamp: TS + 1, stale: true }] }],
        { version },
      );
      const at = indexOfBytes(bytes, STALE_BYTES);
      expect(at).toBeGreaterThan(0);
      expect(bytes[at - 1]).toBe(0x09); // Sample.value tag
      const decoded = decodeWriteRequest(bytes);
      expect(decoded.series[0].samples).toEqual([{ value: 1, timestamp: TS }, { value: NaN, timestamp: TS + 1, stale: true }]);
    });
  }

  it("an ordinary NaN is not a stale marker", () => {
    const bytes = encodeWriteRequest([{ labels: ["__name__", "up"], samples: [{ value: NaN, timestamp: TS }] }]);
    expect(indexOfBytes(bytes, STALE_BYTES)).toBe(-1);
    expect(decodeWriteRequest(bytes).series[0].samples?.[0].stale).toBeUndefined();
  });
});

describe("label and sample rules give typed errors naming series and rule", () => {
  const cases: [string, Series, EncodeError["rule"], RegExp, EncodeOptions?][] = [
    ["unsorted", { labels: ["__name__", "up", "job", "a", "instance", "b"] }, "labels-unsorted", /"instance" comes after "job"/],
    ["duplicate", { labels: ["__name__", "up", "job", "a", "job", "b"] }, "label-duplicate", /duplicate label name "job"/],
    ["missing name", { labels: ["job", "a"] }, "metric-name-missing", /no __name__/],
    ["bad metric name", { labels: ["__name__", "1up"] }, "metric-name-invalid", /"1up"/],
    ["bad label name", { labels: ["__name__", "up", "bad-name", "x"] }, "label-name-invalid", /"bad-name"/],
    ["empty label name", { labels: ["", "x", "__name__", "up"] }, "label-name-invalid", /""/],
    ["odd labels", { labels: ["__name__", "up", "job"] }, "labels-malformed", /even length/],
    ["unordered samples", { labels: ["__name__", "up"], samples: [{ value: 1, timestamp: 2 }, { value: 1, timestamp: 1 }] }, "samples-unordered", /timestamp 1 does not increase/],
    ["duplicate timestamps", { labels: ["__name__", "up"], samples: [{ value: 1, timestamp: 2 }, { value: 2, timestamp: 2 }] }, "samples-unordered", /does not increase/],
    ["2^53 timestamp", { labels: ["__name__", "up"], samples: [{ value: 1, timestamp: 2 ** 53 }] }, "timestamp-invalid", /9007199254740992/],
    ["fractional timestamp", { labels: ["__name__", "up"], samples: [{ value: 1, timestamp: 1.5 }] }, "timestamp-invalid", /1\.5/],
    ["lone surrogate value", { labels: ["__name__", "up", "x", "a\uD800b"] }, "label-value-invalid", /lone surrogate/],
    ["utf8 name in legacy mode", { labels: ["__name__", "up.dotted"] }, "metric-name-invalid", /legacy/],
    [
      "histogram spans do not match buckets",
      { labels: ["__name__", "h"], histograms: [{ timestamp: 1, count: 1, sum: 1, schema: 0, zeroThreshold: 0, zeroCount: 0, positiveSpans: [{ offset: 0, length: 2 }], positiveDeltas: [1] }] },
      "histogram-invalid",
      /cover 2 buckets but 1/,
    ],
  ];
  for (const [title, s, rule, detail, opts] of cases) {
    for (const version of ["v1", "v2"] as const) {
      it(`${version}: ${title}`, () => {
        let err: unknown;
        try {
          encodeWriteRequest([{ labels: ["__name__", "ok"], samples: [{ value: 1, timestamp: 1 }] }, s], { ...opts, version });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(EncodeError);
        const e = err as EncodeError;
        expect(e._tag).toBe("EncodeError");
        expect(e.rule).toBe(rule);
        expect(e.message).toMatch(detail);
        expect(e.series.length).toBeGreaterThan(0);
      });
    }
  }

  it("utf8 mode accepts Prometheus 3 names and sorts in byte order, not UTF-16 order", () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (F0 9F 98 80) in bytes, after it in UTF-16.
    const labels = ["__name__", "up.dotted", "\uFF5E", "a", "\u{1F600}", "b"];
    const bytes = encodeWriteRequest([{ labels, samples: [{ value: 1, timestamp: 1 }] }], { nameValidation: "utf8" });
    expect(decodeWriteRequest(bytes).series[0].labels).toEqual(labels);
    expect(() => encodeWriteRequest([{ labels: ["__name__", "x", "\u{1F600}", "b", "\uFF5E", "a"] }], { nameValidation: "utf8" })).toThrow(/sorted/);
  });

  it("labels with empty values are dropped, as Prometheus treats them as absent", () => {
    const bytes = encodeWriteRequest([{ labels: ["__name__", "up", "a", "", "b", "x"], samples: [{ value: 1, timestamp: 1 }] }]);
    expect(decodeWriteRequest(bytes).series[0].labels).toEqual(["__name__", "up", "b", "x"]);
  });

  it("an error leaves the reusable encoder usable", () => {
    expect(() => encodeWriteRequest([{ labels: ["job", "x"] }])).toThrow(EncodeError);
    const bytes = encodeWriteRequest([{ labels: ["__name__", "up"], samples: [{ value: 2, timestamp: 5 }] }]);
    expect(decodeWriteRequest(bytes).series).toEqual([{ labels: ["__name__", "up"], samples: [{ value: 2, timestamp: 5 }] }]);
  });
});
