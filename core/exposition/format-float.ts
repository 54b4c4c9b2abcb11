/**
 * Number formatting exactly as client_golang writes exposition pages: Go's
 * `strconv.FormatFloat(v, 'g', -1, 64)` (shortest digits that round-trip; exponent form when the
 * decimal exponent is < -4 or >= 6, with a sign and at least two exponent digits), behind
 * expfmt's special cases for 0, ±1, NaN and ±Inf.
 */

/**
 * Go's `strconv.FormatFloat(v, 'g', -1, 64)` for finite `v`. JavaScript's `toExponential()`
 * without an argument yields the same shortest round-trip digits; only the layout differs.
 */
export function formatGoG(v: number): string {
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  const neg = v < 0;
  const e = (neg ? -v : v).toExponential();
  const ei = e.indexOf("e");
  const digits = ei > 1 ? e[0] + e.slice(2, ei) : e[0];
  const exp = Number(e.slice(ei + 1));
  let out: string;
  if (exp < -4 || exp >= 6) {
    const x = exp < 0 ? -exp : exp;
    out = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ""}e${exp < 0 ? "-" : "+"}${x < 10 ? "0" : ""}${x}`;
  } else if (exp >= 0) {
    const intLen = exp + 1;
    out = digits.length <= intLen ? digits + "0".repeat(intLen - digits.length) : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  } else {
    out = `0.${"0".repeat(-exp - 1)}${digits}`;
  }
  return neg ? `-${out}` : out;
}

/**
 * A number as client_golang writes it in an `le` or `quantile` label value: Go `%g` at shortest
 * round-trip precision, `+Inf`/`-Inf`/`NaN`. So `le="0.005"`, `le="1"`, `le="1e+06"` match what
 * a Go exporter serves, and what Prometheus 2.x stores as written (it keeps `le` values
 * verbatim; Prometheus 3 would normalise them anyway).
 *
 * @example
 * formatGoFloat(0.005)  // "0.005"
 * formatGoFloat(1e6)    // "1e+06"
 * formatGoFloat(Infinity) // "+Inf"
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return formatGoG(v);
}

/**
 * A sample value in text 0.0.4, as expfmt's `writeFloat`: `+Inf`, `-Inf`, `NaN`, else Go `%g`
 * (and `0` for negative zero).
 *
 * @example formatTextFloat(1e6) // "1e+06"
 */
export function formatTextFloat(v: number): string {
  if (v !== v) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return "0";
  // Integers below 1e6 print as themselves in Go's %g too: skip the digit shuffling.
  if (Number.isInteger(v) && v < 1e6 && v > -1e6) return String(v);
  return formatGoG(v);
}

/**
 * A value in OpenMetrics, as expfmt's `writeOpenMetricsFloat`: like text, but an integral value
 * gets `.0` (`1.0`, `0.0`, `42.0`) so that it reads as a float.
 *
 * @example formatOpenMetricsFloat(42) // "42.0"
 */
export function formatOpenMetricsFloat(v: number): string {
  const s = formatTextFloat(v);
  if (v !== v || v === Infinity || v === -Infinity) return s;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 || c === 101) return s;
  }
  return `${s}.0`;
}

/**
 * A millisecond timestamp as OpenMetrics seconds, in decimal: `1700000000.5`, never `1.7e+09`.
 * The spec says timestamps "SHOULD NOT use exponential float rendering", and the reference
 * parser (prometheus_client) misreads it: `1.700000000123e+09` is cut to `1.700000000` s.
 * Prometheus reads the seconds back as `int64(seconds * 1000)`, which truncates, so when that
 * would not give `ms` back (`1.001` is 1000.9999… ms in doubles) one more digit keeps the
 * truncation on the right millisecond: `1.0011`.
 *
 * @example formatOpenMetricsTimestamp(1700000000500) // "1700000000.5"
 */
export function formatOpenMetricsTimestamp(ms: number): string {
  if (!Number.isSafeInteger(ms)) {
    // Beyond 2^53 ms a double has no millisecond to keep: its seconds, in decimal, are all there
    // is (JavaScript writes numbers below 1e21 without an exponent; above, they are integers).
    const seconds = ms / 1000;
    return Math.abs(seconds) >= 1e21 ? BigInt(seconds).toString() : String(seconds);
  }
  const sign = ms < 0 ? "-" : "";
  const abs = ms < 0 ? -ms : ms;
  const whole = Math.floor(abs / 1000);
  const frac = String(abs % 1000).padStart(3, "0");
  const short = frac === "000" ? `${sign}${whole}` : `${sign}${whole}.${frac.replace(/0+$/, "")}`;
  return Math.trunc(Number(short) * 1000) === ms ? short : `${sign}${whole}.${frac}1`;
}
