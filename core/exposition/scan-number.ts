/**
 * Number scanning for the exposition parsers, without allocating in the common case.
 *
 * Prometheus parses sample values with Go's `strconv.ParseFloat` after refusing `p`, `P` and `_`
 * (model/textparse `parseFloat`: "keep to pre-Go 1.13 float formats"), so the accepted grammar is
 * decimal floats plus case-insensitive `Inf`/`Infinity` (optionally signed) and `NaN` (unsigned).
 */

const POW10: readonly number[] = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

/** True when `s[p, p+word.length)` equals the lower-case ASCII `word`, ignoring case. */
function matchesIgnoreCase(s: string, p: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) {
    if ((s.charCodeAt(p + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Parse `s[start, end)` as Go's `ParseFloat` would (minus hex and underscores). Returns
 * `undefined` when the text is not a number. A mantissa of at most 15 significant digits with a
 * decimal exponent within ±22 is computed directly: both operands are exact doubles, so the one
 * multiplication or division is correctly rounded (Clinger's fast path), the same result
 * `Number()` gives. Anything else falls back to `Number()` on the already validated text.
 */
export function scanFloat(s: string, start: number, end: number): number | undefined {
  let p = start;
  let c = s.charCodeAt(p);
  let neg = false;
  let signed = false;
  if (c === 43 || c === 45) {
    neg = c === 45;
    signed = true;
    c = s.charCodeAt(++p);
  }
  if (p >= end) return undefined;
  if ((c >= 48 && c <= 57) || c === 46) {
    let mant = 0;
    let digits = 0;
    let exp10 = 0;
    let sawDigit = false;
    let sawDot = false;
    let slow = false;
    for (; p < end; p++) {
      c = s.charCodeAt(p);
      if (c >= 48 && c <= 57) {
        sawDigit = true;
        if (mant === 0 && c === 48) {
          if (sawDot) exp10--;
        } else if (digits < 15) {
          mant = mant * 10 + (c - 48);
          digits++;
          if (sawDot) exp10--;
        } else {
          slow = true;
        }
      } else if (c === 46 && !sawDot) {
        sawDot = true;
      } else break;
    }
    if (!sawDigit) return undefined;
    if (p < end) {
      if ((c | 0x20) !== 101) return undefined; // 'e' or 'E'
      c = s.charCodeAt(++p);
      let eneg = false;
      if (c === 43 || c === 45) {
        eneg = c === 45;
        p++;
      }
      if (p >= end) return undefined;
      let e = 0;
      for (; p < end; p++) {
        c = s.charCodeAt(p);
        if (c < 48 || c > 57) return undefined;
        if (e < 100_000) e = e * 10 + (c - 48);
      }
      exp10 += eneg ? -e : e;
    }
    let v: number;
    if (slow || exp10 > 22 || exp10 < -22) v = Number(s.slice(signed ? start + 1 : start, end));
    else if (exp10 >= 0) v = mant * POW10[exp10];
    else v = mant / POW10[-exp10];
    // Go's ParseFloat refuses a literal beyond the largest double (ErrRange), so does Prometheus.
    if (v === Infinity) return undefined;
    return neg ? -v : v;
  }
  const len = end - p;
  if ((len === 3 && matchesIgnoreCase(s, p, "inf")) || (len === 8 && matchesIgnoreCase(s, p, "infinity"))) {
    return neg ? -Infinity : Infinity;
  }
  if (!signed && len === 3 && matchesIgnoreCase(s, p, "nan")) return NaN;
  return undefined;
}

/**
 * Parse `s[start, end)` as a non-negative decimal integer (text 0.0.4 timestamps: Prometheus's
 * lexer accepts `[0-9]+` only). Returns `undefined` when it is not one or is not a safe integer.
 */
export function scanInteger(s: string, start: number, end: number): number | undefined {
  if (end <= start) return undefined;
  let v = 0;
  for (let p = start; p < end; p++) {
    const c = s.charCodeAt(p);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  if (end - start > 15) v = Number(s.slice(start, end));
  return Number.isSafeInteger(v) ? v : undefined;
}
