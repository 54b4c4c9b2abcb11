import { describe, expect, it } from "vitest";
import { encodeWriteRequest } from "../../core/wire/encode.ts";

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const TS = 1700000000000;

describe("issue vectors", () => {
  it("v1 up{job=\"j\"} 1", () => {
    const bytes = encodeWriteRequest([{ labels: ["__name__", "up", "job", "j"], samples: [{ value: 1, timestamp: TS }] }]);
    expect(hex(bytes)).toBe(
      "0a2c0a0e0a085f5f6e616d655f5f120275700a080a036a6f6212016a121009000000000000f03f1080d095ffbc31",
    );
  });
  it("v2 with gauge metadata", () => {
    const bytes = encodeWriteRequest([{ labels: ["__name__", "up", "job", "j"], samples: [{ value: 1, timestamp: TS }] }], {
      version: "v2",
      metadata: [{ metricFamilyName: "up", type: "gauge", help: "Help text" }],
    });
    expect(hex(bytes)).toBe(
      "220022085f5f6e616d655f5f2202757022036a6f6222016a220948656c7020746578742a1e0a0401020304121009000000000000f03f1080d095ffbc312a0408021805",
    );
  });
});
