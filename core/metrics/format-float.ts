/**
 * Number → label-value text exactly as client_golang's text format writes `le` and `quantile`:
 * Go's `strconv.FormatFloat(v, 'g', -1, 64)` with `+Inf`/`-Inf`/`NaN`. So `le="0.005"`, `le="1"`,
 * `le="1e+06"`, `le="2.5e-05"` match what a Go exporter serves, and what Prometheus 2.x stores
 * as written (it keeps `le` values verbatim; Prometheus 3 would normalise them anyway).
 */

import { formatGoG } from "../exposition/format-float.ts";

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
  return formatGoG(v);
}
