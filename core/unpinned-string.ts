/**
 * Strings that a long-lived cache may keep without keeping the text they came from.
 *
 * V8 represents a slice of 13 or more characters as a view into the string it was cut from: a
 * metric name parsed out of a page is a few bytes pointing at the whole page. A cache that
 * outlives the page (the encoder's names that passed validation, a chunker's metadata) and holds
 * such a name holds the page: writing a 50 MB page chunk by chunk kept every chunk that
 * introduced a new metric name alive, 120 MB more at the peak.
 */

/**
 * A flat copy of `s` that refers to nothing else: the concatenation is flattened into a new
 * string by `slice`, and the slice refers to that copy only. Costs one copy of `s`: for what
 * goes into a cache, not for every string that passes by.
 * @example names.add(unpinned(name)); // `name` may be a slice of a huge page
 */
export function unpinned(s: string): string {
  return ` ${s}`.slice(1);
}
