/**
 * Name rules shared by the encoders, the exposition parser and the metric types.
 *
 * "legacy" is the classic Prometheus syntax every receiver accepts (and the one managed services
 * document); "utf8" is Prometheus 3's: any non-empty, well-formed UTF-8 string.
 */

import type { Labels } from "./types.ts";

/** Which name syntax to enforce. */
export type NameValidation = "legacy" | "utf8";

/** `[a-zA-Z_:][a-zA-Z0-9_:]*` — metric names may contain colons (recording rules). */
export function isLegacyMetricName(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (i > 0 && c >= 48 && c <= 57);
    if (!ok) return false;
  }
  return true;
}

/** `[a-zA-Z_][a-zA-Z0-9_]*` */
export function isLegacyLabelName(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (i > 0 && c >= 48 && c <= 57);
    if (!ok) return false;
  }
  return true;
}

/** True when the string holds no lone surrogate (so it has a UTF-8 encoding). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff || i + 1 >= s.length) return false;
    const d = s.charCodeAt(++i);
    if (d < 0xdc00 || d > 0xdfff) return false;
  }
  return true;
}

export function isValidMetricName(s: string, mode: NameValidation): boolean {
  return mode === "legacy" ? isLegacyMetricName(s) : s.length > 0 && isWellFormed(s);
}

export function isValidLabelName(s: string, mode: NameValidation): boolean {
  return mode === "legacy" ? isLegacyLabelName(s) : s.length > 0 && isWellFormed(s);
}

/**
 * Compare two strings in UTF-8 byte order, the order Prometheus sorts labels in. JavaScript's
 * `<` compares UTF-16 code units, which differs only when a surrogate meets a code unit at or
 * above U+E000; this handles that case.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF) encode code points above U+FFFF: they sort after U+E000–FFFF.
    if (x >= 0xd800 && x <= 0xdfff) x += 0x2000;
    else if (x >= 0xe000) x -= 0x800;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x2000;
    else if (y >= 0xe000) y -= 0x800;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Build a {@link Labels} array from a record: pairs sorted by name in byte order.
 * @example labelsFromRecord({ __name__: "up", job: "api" }) // ["__name__", "up", "job", "api"]
 */
export function labelsFromRecord(record: Readonly<Record<string, string>>): string[] {
  const names = Object.keys(record).sort(compareUtf8);
  const out: string[] = new Array(names.length * 2);
  for (let i = 0; i < names.length; i++) {
    out[2 * i] = names[i];
    out[2 * i + 1] = record[names[i]];
  }
  return out;
}

/** The value of a label, or undefined. */
export function getLabel(labels: Labels, name: string): string | undefined {
  for (let i = 0; i < labels.length; i += 2) if (labels[i] === name) return labels[i + 1];
  return undefined;
}

/** Render labels the way PromQL shows a series: `name{a="b",c="d"}`, cut at `max` characters. */
export function describeLabels(labels: Labels, max = 240): string {
  let name = "";
  const parts: string[] = [];
  for (let i = 0; i + 1 < labels.length; i += 2) {
    if (labels[i] === "__name__") name = String(labels[i + 1]);
    else parts.push(`${String(labels[i])}=${JSON.stringify(String(labels[i + 1]))}`);
  }
  if (labels.length % 2 === 1) parts.push(`${String(labels[labels.length - 1])}=<missing>`);
  // As PromQL prints a series: no braces when the name is the only label.
  const s = parts.length === 0 && name !== "" ? name : `${name}{${parts.join(",")}}`;
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
