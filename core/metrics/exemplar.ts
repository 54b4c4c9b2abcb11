/**
 * Exemplars: a few labels (usually `trace_id`) tying one observation to a trace. OpenMetrics 1.0
 * ("Exemplars"): the label names and values together must not exceed 128 UTF-8 characters
 * (code points), which client_golang enforces as `ExemplarMaxRunes`.
 */

import { LabelError } from "../errors.ts";
import { compareUtf8, isLegacyLabelName, isWellFormed } from "../wire/label-rules.ts";
import type { Exemplar } from "../wire/types.ts";

/** The exemplar labels a caller passes: label name → value. */
export type ExemplarLabels = Readonly<Record<string, string>>;

/** OpenMetrics' limit on the combined length of an exemplar's label names and values. */
export const EXEMPLAR_MAX_RUNES = 128;

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair is one code point; count its high half only.
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/**
 * Build a frozen {@link Exemplar} for `metric`, checking label names, well-formed values and the
 * 128-character limit. Throws {@link LabelError}.
 *
 * @example
 * makeExemplar("http_requests_total", { trace_id: "4bf92f3577b34da6" }, 1, Date.now())
 */
export function makeExemplar(metric: string, labels: ExemplarLabels, value: number, timestamp: number): Exemplar {
  const names = Object.keys(labels).sort(compareUtf8);
  const flat: string[] = [];
  let runes = 0;
  for (const name of names) {
    const v = labels[name];
    if (!isLegacyLabelName(name)) {
      throw new LabelError("label-name-invalid", metric, name, "exemplar label names must match [a-zA-Z_][a-zA-Z0-9_]*");
    }
    if (typeof v !== "string" || !isWellFormed(v)) {
      throw new LabelError("label-value-invalid", metric, name, "exemplar label values must be well-formed strings");
    }
    runes += runeCount(name) + runeCount(v);
    flat.push(name, v);
  }
  if (runes > EXEMPLAR_MAX_RUNES) {
    throw new LabelError(
      "exemplar-too-long",
      metric,
      names.join(","),
      `exemplar labels are ${runes} UTF-8 characters long; OpenMetrics allows at most ${EXEMPLAR_MAX_RUNES}`,
    );
  }
  return Object.freeze({ labels: Object.freeze(flat), value, timestamp });
}
