// The Pushgateway codec (core/wire/metric-family.ts) against the generated protobuf-es messages:
// for random messages, the hand-written writer gives exactly `toBinary`'s bytes, and the
// hand-written reader gives exactly what `fromBinary` reads, field presence included.
import { create, type DescField, type DescMessage, fromBinary, isFieldSet, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError, EncodeError } from "../../core/errors.ts";
import { MetricFamilySchema } from "../../core/gen/io/prometheus/client/metrics_pb.ts";
import { decodeMetricFamiliesDelimited } from "../../core/wire/metric-family-decode.ts";
import { encodeMetricFamiliesDelimited, type MetricFamilyMessage } from "../../core/wire/metric-family.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const LABEL_PAIR = "io.prometheus.client.LabelPair";
const TIMESTAMP = "google.protobuf.Timestamp";
/** ScalarType numbers of the 64-bit integer types (protobuf-es represents them as bigint). */
const INT64_SCALARS = new Set([3, 4, 6, 16, 18]);

type Plain = Record<string, unknown>;

/** A plain message → the protobuf-es init: only defined fields set, 64-bit integers as bigint. */
function toInit(desc: DescMessage, plain: Plain): Plain {
  const init: Plain = {};
  for (const f of desc.fields) {
    const v = plain[f.localName];
    if (v === undefined) continue;
    init[f.localName] = convertIn(f, v);
  }
  return init;
}

function convertIn(f: DescField, v: unknown): unknown {
  if (f.fieldKind === "list") {
    const list = v as unknown[];
    if (f.listKind === "message") {
      if (f.message.typeName === LABEL_PAIR) {
        const pairs = [];
        for (let i = 0; i < list.length; i += 2) pairs.push({ name: list[i], value: list[i + 1] });
        return pairs;
      }
      return list.map((m) => toInit(f.message, m as Plain));
    }
    return f.listKind === "scalar" && INT64_SCALARS.has(f.scalar) ? list.map((x) => BigInt(x as number)) : list;
  }
  if (f.fieldKind === "message") return create(f.message, toInit(f.message, v as Plain) as never);
  if (f.fieldKind === "scalar" && INT64_SCALARS.has(f.scalar)) return BigInt(v as number);
  return v;
}

/** A protobuf-es message → the plain form the reader returns (lists always, set fields only). */
function fromMessage(desc: DescMessage, msg: Plain): Plain {
  const out: Plain = {};
  for (const f of desc.fields) {
    const v = msg[f.localName];
    if (f.fieldKind === "list") {
      const list = v as unknown[];
      if (f.listKind === "message" && f.message.typeName === LABEL_PAIR) {
        out[f.localName] = list.flatMap((p) => [(p as Plain).name, (p as Plain).value]);
      } else if (f.listKind === "message") out[f.localName] = list.map((m) => fromMessage(f.message, m as Plain));
      else out[f.localName] = list.map((x) => (typeof x === "bigint" ? Number(x) : x));
      continue;
    }
    // proto3 Timestamp has no presence: the reader always gives both fields.
    if (desc.typeName !== TIMESTAMP && !isFieldSet(msg as never, f)) continue;
    if (f.fieldKind === "message") out[f.localName] = fromMessage(f.message, v as Plain);
    else out[f.localName] = typeof v === "bigint" ? Number(v) : v;
  }
  return out;
}

function reference(families: readonly MetricFamilyMessage[]): Uint8Array {
  const parts: number[] = [];
  for (const f of families) {
    const msg = toBinary(MetricFamilySchema, create(MetricFamilySchema, toInit(MetricFamilySchema, f as Plain) as never));
    let n = msg.length;
    while (n > 0x7f) {
      parts.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    parts.push(n, ...msg);
  }
  return Uint8Array.from(parts);
}

function referenceDecode(bytes: Uint8Array): Plain[] {
  const out: Plain[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let len = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++];
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    out.push(fromMessage(MetricFamilySchema, fromBinary(MetricFamilySchema, bytes.subarray(pos, pos + len)) as unknown as Plain));
    pos += len;
  }
  return out;
}

// ---- arbitraries: every field, present or absent ----

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 3 });
const str = fc.string({ unit: "grapheme", maxLength: 12 });
const dbl = fc.oneof(fc.double(), fc.constantFrom(0, -0, 1, 0.5, Infinity, -Infinity, NaN));
const u64 = fc.oneof(fc.nat(300), fc.maxSafeNat(), fc.constant(0));
const i64 = fc.oneof(fc.integer({ min: -300, max: 300 }), fc.maxSafeInteger(), fc.constant(Number.MIN_SAFE_INTEGER));
const s32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const labels = fc.array(fc.tuple(str, str), { maxLength: 3 }).map((p) => p.flat());
const timestamp = fc.record({ seconds: i64, nanos: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), s32) });
const exemplar = fc.record({ label: opt(labels), value: opt(dbl), timestamp: opt(timestamp) }, { requiredKeys: [] });
const span = fc.record({ offset: opt(s32), length: opt(fc.nat(0xffffffff)) }, { requiredKeys: [] });
const list = <T>(a: fc.Arbitrary<T>) => opt(fc.array(a, { maxLength: 3 }));
const histogram = fc.record(
  {
    sampleCount: opt(u64),
    sampleCountFloat: opt(dbl),
    sampleSum: opt(dbl),
    bucket: list(fc.record({ cumulativeCount: opt(u64), cumulativeCountFloat: opt(dbl), upperBound: opt(dbl), exemplar: opt(exemplar) }, { requiredKeys: [] })),
    createdTimestamp: opt(timestamp),
    schema: opt(fc.integer({ min: -53, max: 8 })),
    zeroThreshold: opt(dbl),
    zeroCount: opt(u64),
    zeroCountFloat: opt(dbl),
    negativeSpan: list(span),
    negativeDelta: list(i64),
    negativeCount: list(dbl),
    positiveSpan: list(span),
    positiveDelta: list(i64),
    positiveCount: list(dbl),
    exemplars: list(exemplar),
  },
  { requiredKeys: [] },
);
const metric = fc.record(
  {
    label: opt(labels),
    gauge: opt(fc.record({ value: opt(dbl) }, { requiredKeys: [] })),
    counter: opt(fc.record({ value: opt(dbl), exemplar: opt(exemplar), createdTimestamp: opt(timestamp) }, { requiredKeys: [] })),
    summary: opt(
      fc.record(
        { sampleCount: opt(u64), sampleSum: opt(dbl), quantile: list(fc.record({ quantile: opt(dbl), value: opt(dbl) }, { requiredKeys: [] })), createdTimestamp: opt(timestamp) },
        { requiredKeys: [] },
      ),
    ),
    untyped: opt(fc.record({ value: opt(dbl) }, { requiredKeys: [] })),
    histogram: opt(histogram),
    timestampMs: opt(i64),
  },
  { requiredKeys: [] },
);
const family: fc.Arbitrary<MetricFamilyMessage> = fc.record(
  { name: opt(str), help: opt(str), type: opt(fc.integer({ min: 0, max: 5 })), metric: list(metric), unit: opt(str) },
  { requiredKeys: [] },
);

describe("MetricFamily (delimited) codec equals the generated messages", () => {
  it("writer: the bytes of toBinary, message by message, with varint length prefixes", () => {
    fc.assert(
      fc.property(fc.array(family, { maxLength: 4 }), (families) => {
        expect(hex(encodeMetricFamiliesDelimited(families))).toBe(hex(reference(families)));
      }),
      { numRuns: 400 },
    );
  });

  it("reader: what fromBinary reads, set fields and all", () => {
    fc.assert(
      fc.property(fc.array(family, { maxLength: 4 }), (families) => {
        const bytes = reference(families);
        expect(decodeMetricFamiliesDelimited(bytes)).toEqual(referenceDecode(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it("a family longer than 127 bytes (two-byte length prefix) and one past 16 KiB", () => {
    const big = (n: number): MetricFamilyMessage => ({
      name: "x",
      metric: Array.from({ length: n }, (_, i) => ({ label: ["i", String(i)], gauge: { value: i } })),
    });
    for (const families of [[big(10)], [big(2000), big(1)]]) {
      const bytes = encodeMetricFamiliesDelimited(families);
      expect(hex(bytes)).toBe(hex(reference(families)));
      expect(decodeMetricFamiliesDelimited(bytes)).toEqual(referenceDecode(bytes));
    }
  });

  it("reads packed repeated scalars too (protobuf readers accept both encodings)", () => {
    // Histogram.positive_delta = 13 packed: key 0x6a, length 2, zigzag(1)=2, zigzag(-1)=1.
    const histogram = [0x6a, 2, 2, 1];
    const metric = [0x3a, histogram.length, ...histogram];
    const msg = [0x22, metric.length, ...metric];
    const [f] = decodeMetricFamiliesDelimited(Uint8Array.from([msg.length, ...msg]));
    expect(f.metric[0].histogram?.positiveDelta).toEqual([1, -1]);
  });

  it("truncated or corrupt bodies give DecodeError, never anything else", () => {
    const good = encodeMetricFamiliesDelimited([{ name: "up", type: 1, metric: [{ label: ["job", "a"], gauge: { value: 1 } }], help: "h" }]);
    fc.assert(
      fc.property(fc.nat(), fc.nat(255), fc.uint8Array({ maxLength: 64 }), (at, byte, noise) => {
        for (const input of [good.subarray(0, at % good.length), Uint8Array.from(good, (b, i) => (i === at % good.length ? byte : b)), noise]) {
          try {
            decodeMetricFamiliesDelimited(input);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a lone surrogate (toBinary would silently send U+FFFD)", () => {
    expect(() => encodeMetricFamiliesDelimited([{ name: "up", metric: [{ label: ["job", "\ud800"] }] }])).toThrow(EncodeError);
    expect(() => encodeMetricFamiliesDelimited([{ name: "up", help: "\udc00" }])).toThrow(/help/);
  });
});
