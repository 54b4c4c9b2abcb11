/**
 * Number → label-value text exactly as client_golang's text format writes `le` and `quantile`:
 * Go's `strconv.FormatFloat(v, 'g', -1, 64)` with `+Inf`/`-Inf`/`NaN`. So `le="0.005"`, `le="1"`,
 * `le="1e+06"`, `le="2.5e-05"` match what a Go exporter serves, and what Prometheus 2.x stores
 * as written (it keeps `le` values verbatim; Prometheus 3 would normalise them anyway).
 */

/**
 * Format `v` like Go's `%g` at shortest round-trip precision. In shortest mode Go picks the
 * exponent form when the decimal exponent is below -4 or at least 6 (strconv/ftoa.go,
 * `formatDigits`: "if precision was the shortest possible, use precision 6 for this decision"),
 * and writes at least two exponent digits.
 *
 * @example
 * formatGoFloat(0.005)  // "0.005"
 * formatGoFloat(1)      // "1"
 * formatGoFloat(1e6)    // "1e+06"
 * formatGoFloat(Infinity) // "+Inf"
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  // Without an argument, toExponential gives the shortest digits that round-trip, the digits Go
  // prints in shortest mode: "d.ddde±x".
  const s = v.toExponential();
  const neg = s.charCodeAt(0) === 45;
  const body = neg ? s.slice(1) : s;
  const e = body.indexOf("e");
  const digits = body.slice(0, e).replace(".", "");
  const exp = Number(body.slice(e + 1));
  let out: string;
  if (exp < -4 || exp >= 6) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(exp);
    out = `${mant}e${exp < 0 ? "-" : "+"}${ae < 10 ? "0" : ""}${ae}`;
  } else if (exp < 0) {
    out = `0.${"0".repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + "0".repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${out}` : out;
}
