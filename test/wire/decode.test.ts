import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../core/errors.ts";
import { decodeWriteRequest, versionFromContentType } from "../../core/wire/decode.ts";
import { encodeWriteRequest } from "../../core/wire/encode.ts";
import { CONTENT_TYPE } from "../../core/wire/types.ts";

describe("decodeWriteRequest", () => {
  it("reads the version from the Content-Type, as receivers must", () => {
    expect(versionFromContentType(CONTENT_TYPE.v1)).toBe("v1");
    expect(versionFromContentType(CONTENT_TYPE.v2)).toBe("v2");
    expect(versionFromContentType("application/x-protobuf; proto=prometheus.WriteRequest")).toBe("v1");
    expect(versionFromContentType("application/x-protobuf;proto=io.prometheus.write.v2.Request")).toBe("v2");
    expect(versionFromContentType("text/plain")).toBeUndefined();
  });

  it("gives metadata back: v1 as a list, v2 on each series", () => {
    const series = [{ labels: ["__name__", "rq_total"], samples: [{ value: 3, timestamp: 9 }] }];
    const metadata = [{ metricFamilyName: "rq", type: "counter" as const, help: "Requests.", unit: "requests" }];
    expect(decodeWriteRequest(encodeWriteRequest(series, { metadata })).metadata).toEqual(metadata);
    const v2 = decodeWriteRequest(encodeWriteRequest(series, { version: "v2", metadata }));
    expect(v2.series[0].metadata).toEqual({ type: "counter", help: "Requests.", unit: "requests" });
    expect(v2.symbols).toEqual(["", "__name__", "rq_total", "Requests.", "requests"]);
  });

  it("random or truncated bytes give DecodeError, never another exception", () => {
    const good = encodeWriteRequest(
      [{ labels: ["__name__", "up", "job", "x"], samples: [{ value: 1, timestamp: 1 }], exemplars: [{ labels: ["trace_id", "abc"], value: 1 }] }],
      { version: "v2", metadata: [{ metricFamilyName: "up", type: "gauge", help: "h" }] },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (noise, cut) => {
        for (const input of [noise, good.subarray(0, cut % good.length)]) {
          try {
            decodeWriteRequest(input);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("rejects a v2 symbol reference out of range", () => {
    // symbols [""], one series with labels_refs [1, 2]
    const bytes = new Uint8Array([0x22, 0x00, 0x2a, 0x04, 0x0a, 0x02, 0x01, 0x02]);
    expect(() => decodeWriteRequest(bytes, { version: "v2" })).toThrow(/symbol reference 1 out of range/);
  });
});
