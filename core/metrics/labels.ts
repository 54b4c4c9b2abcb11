/**
 * Label names of a metric, typed: `labelNames: ["route", "method"] as const` makes the metric's
 * `labels({ route, method })` type-checked, and the same rules are enforced at run time with a
 * {@link LabelError} that names the metric and the label.
 */

import { LabelError } from "../errors.ts";
import type { Labels } from "../wire/types.ts";
import { compareUtf8, isLegacyLabelName, isWellFormed } from "../wire/label-rules.ts";

/** A label value as callers may pass it; numbers are rendered with `String(n)`. */
export type LabelValue = string | number;

/**
 * One value for each label name of a metric, and no other key. For a metric without label names
 * it is the empty set (an index signature of `never`, so an object literal with any key is an
 * error; a plain `{}` type would accept it).
 */
export type LabelValues<N extends string> = [N] extends [never] ? { readonly [name: string]: never } : { readonly [K in N]: LabelValue };

/** Validate a label name for a metric; `reserved` lists names the metric type keeps for itself. */
export function checkLabelName(metric: string, name: string, reserved: readonly string[]): void {
  if (typeof name !== "string" || !isLegacyLabelName(name)) {
    throw new LabelError("label-name-invalid", metric, String(name), "label names must match [a-zA-Z_][a-zA-Z0-9_]*");
  }
  if (name.startsWith("__")) {
    throw new LabelError("label-name-reserved", metric, name, "label names starting with __ are reserved for Prometheus");
  }
  if (reserved.includes(name)) {
    throw new LabelError("label-name-reserved", metric, name, `${JSON.stringify(name)} is set by the metric type itself`);
  }
}

/**
 * The label names of one metric, and how a label set becomes a child key and a frozen,
 * name-sorted {@link Labels} array.
 */
export class LabelSchema<N extends string> {
  /** The names in the order declared. */
  readonly names: readonly N[];
  /** Declared positions in byte order of the names: how to emit sorted labels. */
  private readonly order: readonly number[];

  constructor(
    readonly metric: string,
    names: readonly N[],
    reserved: readonly string[],
  ) {
    if (!Array.isArray(names)) {
      throw new LabelError("label-name-invalid", metric, String(names), "labelNames must be an array of strings");
    }
    const seen = new Set<string>();
    for (const n of names) {
      checkLabelName(metric, n, reserved);
      if (seen.has(n)) throw new LabelError("label-name-duplicate", metric, n, "label name declared twice");
      seen.add(n);
    }
    this.names = Object.freeze([...names]);
    this.order = this.names.map((_, i) => i).sort((a, b) => compareUtf8(this.names[a], this.names[b]));
  }

  /**
   * Check a label set and return its values as strings in declared order. Throws
   * {@link LabelError} for a missing or unexpected label or a value that is not a string or a
   * finite-or-not number.
   */
  values(given: LabelValues<N> | undefined): string[] {
    const names = this.names;
    const out = new Array<string>(names.length);
    const obj = (given ?? {}) as Readonly<Record<string, unknown>>;
    if (typeof obj !== "object" || obj === null) {
      throw new LabelError("label-value-invalid", this.metric, "", "labels must be an object of label name → value");
    }
    for (let i = 0; i < names.length; i++) {
      const v = obj[names[i]];
      if (typeof v === "string") out[i] = v;
      else if (typeof v === "number") out[i] = String(v);
      else if (v === undefined) throw new LabelError("label-missing", this.metric, names[i], "no value given for this label");
      else throw new LabelError("label-value-invalid", this.metric, names[i], `label value must be a string or a number, got ${typeof v}`);
    }
    let count = 0;
    for (const k in obj) {
      if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
      count++;
      if (count > names.length || !(names as readonly string[]).includes(k)) {
        throw new LabelError("label-unexpected", this.metric, k, `not a label of this metric (labels: ${names.join(", ") || "none"})`);
      }
    }
    return out;
  }

  /** A map key for a values array (length-prefixed, so no separator can collide). */
  key(values: readonly string[]): string {
    if (values.length === 1) return values[0];
    let k = "";
    for (const v of values) k += `${v.length}:${v}`;
    return k;
  }

  /** Check values of a new child: they must be well-formed Unicode (they go out as UTF-8). */
  checkValues(values: readonly string[]): void {
    for (let i = 0; i < values.length; i++) {
      if (!isWellFormed(values[i])) {
        throw new LabelError("label-value-invalid", this.metric, this.names[i], "label value is not well-formed Unicode (lone surrogate)");
      }
    }
  }

  /** Frozen `[name, value, …]` sorted by name in byte order. */
  frozenLabels(values: readonly string[]): Labels {
    const out: string[] = [];
    for (const i of this.order) out.push(this.names[i], values[i]);
    return Object.freeze(out);
  }
}

/**
 * Merge a child's labels with a registry's default labels (both sorted by name); the child's own
 * value wins on a name clash. Returns a frozen array, `own` itself when there is nothing to add.
 */
export function mergeLabels(own: Labels, defaults: Labels): Labels {
  if (defaults.length === 0) return own;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < own.length || j < defaults.length) {
    if (j >= defaults.length) {
      out.push(own[i], own[i + 1]);
      i += 2;
    } else if (i >= own.length) {
      out.push(defaults[j], defaults[j + 1]);
      j += 2;
    } else {
      const c = compareUtf8(own[i], defaults[j]);
      if (c <= 0) {
        out.push(own[i], own[i + 1]);
        i += 2;
        if (c === 0) j += 2;
      } else {
        out.push(defaults[j], defaults[j + 1]);
        j += 2;
      }
    }
  }
  return Object.freeze(out);
}

/** Frozen `labels` + one more pair at the end (`le`, `quantile`), as client_golang's text writes them. */
export function withExtraLabel(labels: Labels, name: string, value: string): Labels {
  return Object.freeze([...labels, name, value]);
}
