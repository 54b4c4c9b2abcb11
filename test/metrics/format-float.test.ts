import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatGoFloat } from "../../core/exposition/format-float.ts";

describe("formatGoFloat (Go strconv.FormatFloat(v, 'g', -1, 64))", () => {
  it("matches Go's output on the usual bucket bounds and edge values", () => {
    const cases: [number, string][] = [
      [0.005, "0.005"],
      [0.01, "0.01"],
      [0.025, "0.025"],
      [0.1, "0.1"],
      [1, "1"],
      [2.5, "2.5"],
      [10, "10"],
      [100000, "100000"],
      [999999, "999999"],
      [999999.5, "999999.5"],
      [1e6, "1e+06"],
      [1234567, "1.234567e+06"],
      [0.0001, "0.0001"],
      [0.00001, "1e-05"],
      [2.5e-5, "2.5e-05"],
      [1e21, "1e+21"],
      [1e100, "1e+100"],
      [5e-324, "5e-324"],
      [Number.MAX_VALUE, "1.7976931348623157e+308"],
      [-0.5, "-0.5"],
      [-1e6, "-1e+06"],
      [0, "0"],
      [-0, "-0"],
      [Infinity, "+Inf"],
      [-Infinity, "-Inf"],
      [Number.NaN, "NaN"],
      [0.999, "0.999"],
      [0.5, "0.5"],
      [123456.789, "123456.789"],
    ];
    for (const [v, s] of cases) expect(formatGoFloat(v), String(v)).toBe(s);
  });

  it("property: the text parses back to the same number", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const s = formatGoFloat(v);
        expect(Object.is(Number(s), v)).toBe(true);
        // Exponent form exactly when the decimal exponent is < -4 or ≥ 6.
        if (v !== 0) {
          const exp = Number(v.toExponential().split("e")[1]);
          expect(/e[+-]\d\d/.test(s)).toBe(exp < -4 || exp >= 6);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
