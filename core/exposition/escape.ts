/**
 * Escaping in the exposition formats. The two formats differ for HELP text:
 * - text 0.0.4: HELP escapes only `\\` and `\n`; label values escape `\\`, `\"` and `\n`.
 * - OpenMetrics 1.0: HELP uses the label-value escaping (`\\`, `\"`, `\n`).
 * Prometheus unescapes with `strings.Replacer`s that leave any other `\x` pair as written
 * (model/textparse `helpReplacer`, `lvalReplacer`), and stores what results: so do we.
 */

const BACKSLASH = 92;

/**
 * Unescape `s[start, end)`. `quotes` selects label-value rules (`\"` → `"`); without it only
 * `\\` and `\n` are escapes (text 0.0.4 HELP). Unknown escapes are kept as written.
 */
export function unescape(s: string, start: number, end: number, quotes: boolean): string {
  let out = "";
  let from = start;
  for (let p = start; p < end; p++) {
    if (s.charCodeAt(p) !== BACKSLASH || p + 1 >= end) continue;
    const d = s.charCodeAt(p + 1);
    let rep: string | undefined;
    if (d === BACKSLASH) rep = "\\";
    else if (d === 110) rep = "\n";
    else if (d === 34 && quotes) rep = '"';
    if (rep === undefined) {
      p++; // keep `\x` as written, and never read its `x` as the start of another escape
      continue;
    }
    out += s.slice(from, p) + rep;
    p++;
    from = p + 1;
  }
  return from === start ? s.slice(start, end) : out + s.slice(from, end);
}

/** Escape a label value (both formats) or an OpenMetrics HELP text: `\`, `"`, newline. */
export function escapeLabelValue(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === BACKSLASH || c === 34 || c === 10) return v.replace(/[\\"\n]/g, escapeChar);
  }
  return v;
}

/** Escape a text 0.0.4 HELP text: `\` and newline only (client_golang `escapeString(v, false)`). */
export function escapeHelpText(v: string): string {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === BACKSLASH || c === 10) return v.replace(/[\\\n]/g, escapeChar);
  }
  return v;
}

function escapeChar(c: string): string {
  return c === "\n" ? "\\n" : `\\${c}`;
}
