// Wire behaviour every runtime must show: the byte vectors, snappy, stale markers, errors.
import { assert, assertEqual, assertRejects, hex, type SharedCase } from "./harness.ts";

const TS = 1_700_000_000_000;
const UP = { labels: ["__name__", "up", "job", "j"], samples: [{ value: 1, timestamp: TS }] };

export const wireCases: SharedCase[] = [
  {
    name: "wire: v1 vector up{job=\"j\"} 1, byte for byte",
    run: ({ wire }) =>
      assertEqual(
        hex(wire.encodeWriteRequest([UP])),
        "0a2c0a0e0a085f5f6e616d655f5f120275700a080a036a6f6212016a121009000000000000f03f1080d095ffbc31",
      ),
  },
  {
    name: "wire: v2 vector with gauge metadata, byte for byte",
    run: ({ wire }) =>
      assertEqual(
        hex(wire.encodeWriteRequest([UP], { version: "v2", metadata: [{ metricFamilyName: "up", type: "gauge", help: "Help text" }] })),
        "220022085f5f6e616d655f5f2202757022036a6f6222016a220948656c7020746578742a1e0a0401020304121009000000000000f03f1080d095ffbc312a0408021805",
      ),
  },
  {
    name: "wire: snappy round trip of an encoded request, and the decoded series",
    run: ({ wire }) => {
      const series = Array.from({ length: 200 }, (_, i) => ({
        labels: ["__name__", "rt_total", "i", String(i), "unicode", "✓ ü 😀"],
        samples: [{ value: i * 1.5, timestamp: TS + i }],
      }));
      for (const version of ["v1", "v2"] as const) {
        const body = wire.snappy.compress(wire.encodeWriteRequest(series, { version }));
        assert(body.length < 200 * 40, `compressed ${body.length} bytes`);
        const back = wire.decodeWriteRequest(wire.snappy.decompress(body));
        assertEqual(back.version, version, "version");
        assertEqual(back.series, series, `${version} series`);
      }
    },
  },
  {
    name: "wire: stale marker keeps its exact bits through encode → snappy → decode",
    run: ({ wire }) => {
      const bytes = wire.encodeWriteRequest([{ labels: ["__name__", "up"], samples: [{ value: NaN, timestamp: TS, stale: true }] }]);
      assert(hex(bytes).includes("09020000000000f07f"), "stale bits 0x7ff0000000000002 in the payload");
      const back = wire.decodeWriteRequest(wire.snappy.decompress(wire.snappy.compress(bytes)));
      assertEqual(back.series[0].samples, [{ value: NaN, timestamp: TS, stale: true }], "decoded stale sample");
    },
  },
  {
    name: "wire: bad input gives typed errors (EncodeError, DecodeError)",
    run: async ({ wire }) => {
      await assertRejects(() => wire.encodeWriteRequest([{ labels: ["job", "x", "__name__", "up"] }]), "EncodeError", /sorted/);
      await assertRejects(() => wire.snappy.decompress(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0])), "DecodeError", /exceeds the limit/);
      await assertRejects(() => wire.decodeWriteRequest(new Uint8Array([0x0a, 0x05, 0x01])), "DecodeError");
    },
  },
];
