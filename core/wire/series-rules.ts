/**
 * The remote-write rules every series must keep, checked as the encoders walk it (spec 1.0
 * "Labels", 2.0 "labels_refs"): labels sorted by name in byte order, names unique and valid,
 * `__name__` present and valid, timestamps safe integers in increasing order, histograms whose
 * bucket counts match their spans. A broken rule throws an {@link EncodeError} naming the series.
 *
 * Label names repeat across series at the same position, so validity is cached per position by
 * string identity: validation costs one pointer compare per label in the steady state.
 */

import { EncodeError, type EncodeRule } from "../errors.ts";
import { unpinned } from "../unpinned-string.ts";
import {
  compareUtf8,
  describeLabels,
  isValidLabelName,
  isValidMetricName,
  isWellFormed,
  type NameValidation,
} from "./label-rules.ts";
import type { BucketSpan, Exemplar, Labels, NativeHistogram, Sample } from "./types.ts";

export class SeriesRules {
  /** The last metric name that passed (undefined: none yet, so even "" is checked). */
  private lastMetricName: string | undefined;

  /** Encoded v1 label bytes of frozen label arrays that passed these rules (see encode-v1.ts). */
  readonly v1Frozen = {
    blocks: new WeakMap<Labels, Uint8Array>(),
    labelsAt: [] as (Labels | undefined)[],
    blockAt: [] as Uint8Array[],
  };

  constructor(readonly mode: NameValidation) {}

  fail(rule: EncodeRule, labels: Labels, detail: string): never {
    // The name cache may hold a half-checked series now: forget it.
    this.prevNames.length = 0;
    throw new EncodeError(rule, describeLabels(labels), detail);
  }

  /**
   * Names of the last series that passed: a series whose names match it slot by slot is known
   * to be sorted, unique and valid up to the first slot that differs.
   */
  private readonly prevNames: string[] = [];

  /**
   * Check the labels of a series; returns nothing, throws on the first broken rule.
   * `requireName` is false for exemplar labels.
   */
  checkLabels(labels: Labels, requireName: boolean): void {
    if (!Array.isArray(labels) || (labels.length & 1) !== 0) {
      this.fail("labels-malformed", Array.isArray(labels) ? labels : [], "labels must be a flat [name, value, …] array of even length");
    }
    const n = labels.length;
    const cache = this.prevNames;
    let hit = true;
    let hasName = false;
    let prev = "";
    for (let i = 0; i < n; i += 2) {
      const name = labels[i];
      const value = labels[i + 1];
      if (typeof value !== "string") this.fail("labels-malformed", labels, `label ${i / 2} is not a pair of strings`);
      const slot = i >> 1;
      if (!hit || cache[slot] !== name) {
        hit = false;
        this.checkName(labels, i, name, prev);
        cache[slot] = name;
      }
      prev = name;
      if (name === "__name__") {
        hasName = true;
        if (value !== this.lastMetricName) this.checkMetricName(labels, value);
      }
    }
    // Setting an array's length is a runtime call: only when the label count changed.
    if (cache.length !== n >> 1) cache.length = n >> 1;
    if (requireName && !hasName) this.fail("metric-name-missing", labels, "no __name__ label");
  }

  /**
   * Metric names that passed, so that series cycling through a few names (W1: ten) are not
   * re-scanned character by character; bounded, as high-cardinality names must not grow it.
   * Copies (unpinned-string.ts): it outlives the requests, and a name sliced from a parsed page
   * would keep that page alive.
   */
  private readonly validMetricNames = new Set<string>();

  private checkMetricName(labels: Labels, value: string): void {
    this.lastMetricName = value;
    if (this.validMetricNames.has(value)) return;
    if (!isValidMetricName(value, this.mode)) {
      this.lastMetricName = undefined;
      this.fail("metric-name-invalid", labels, `invalid metric name ${JSON.stringify(value)} (${this.mode} syntax)`);
    }
    if (this.validMetricNames.size >= 4096) this.validMetricNames.clear();
    this.validMetricNames.add(unpinned(value));
  }

  private checkName(labels: Labels, i: number, name: string, prev: string): void {
    if (typeof name !== "string") this.fail("labels-malformed", labels, `label ${i / 2} is not a pair of strings`);
    if (i > 0) {
      const order = this.mode === "utf8" ? compareUtf8(prev, name) : prev < name ? -1 : prev === name ? 0 : 1;
      if (order >= 0) {
        if (order === 0) this.fail("label-duplicate", labels, `duplicate label name ${JSON.stringify(name)}`);
        this.fail("labels-unsorted", labels, `label ${JSON.stringify(name)} comes after ${JSON.stringify(prev)}; labels must be sorted by name`);
      }
    }
    if (!isValidLabelName(name, this.mode)) {
      this.fail("label-name-invalid", labels, `invalid label name ${JSON.stringify(name)} (${this.mode} syntax)`);
    }
  }

  /** A label value the writer could not encode: only a lone surrogate does that. */
  badValue(labels: Labels, value: string): never {
    this.fail("label-value-invalid", labels, `label value ${JSON.stringify(value)} is not well-formed Unicode (lone surrogate)`);
  }

  timestamp(labels: Labels, ts: number, what: string): void {
    if (!Number.isSafeInteger(ts)) this.fail("timestamp-invalid", labels, `${what} ${String(ts)} is not an integer number of milliseconds`);
  }

  checkSamples(labels: Labels, samples: readonly Sample[]): void {
    let prev = -Infinity;
    for (let j = 0; j < samples.length; j++) {
      const s = samples[j];
      const ts = s.timestamp;
      if (!Number.isSafeInteger(ts)) this.timestamp(labels, ts, "sample timestamp");
      if (ts <= prev) {
        this.fail("samples-unordered", labels, `sample timestamp ${ts} does not increase (previous ${prev})`);
      }
      prev = ts;
      if (typeof s.value !== "number") this.fail("value-invalid", labels, `sample value ${String(s.value)} is not a number`);
      if (s.startTimestamp !== undefined) this.timestamp(labels, s.startTimestamp, "start timestamp");
    }
  }

  checkExemplar(labels: Labels, e: Exemplar): void {
    if (e.timestamp !== undefined) this.timestamp(labels, e.timestamp, "exemplar timestamp");
    if (typeof e.value !== "number") this.fail("exemplar-invalid", labels, "exemplar value is not a number");
    const el = e.labels;
    if (!Array.isArray(el) || (el.length & 1) !== 0) this.fail("exemplar-invalid", labels, "exemplar labels must be a flat array of even length");
    for (let i = 0; i < el.length; i += 2) {
      const name = el[i];
      const value = el[i + 1];
      if (typeof name !== "string" || typeof value !== "string" || !isValidLabelName(name, this.mode)) {
        this.fail("exemplar-invalid", labels, `invalid exemplar label ${JSON.stringify(name)}`);
      }
      if (!isWellFormed(value)) this.badValue(labels, value);
      if (i > 0 && compareUtf8(el[i - 2], name) >= 0) {
        this.fail("exemplar-invalid", labels, `exemplar labels must be sorted and unique (${JSON.stringify(name)})`);
      }
    }
  }

  checkHistograms(labels: Labels, hs: readonly NativeHistogram[]): void {
    let prev = -Infinity;
    for (const h of hs) {
      this.timestamp(labels, h.timestamp, "histogram timestamp");
      if (h.timestamp <= prev) this.fail("samples-unordered", labels, `histogram timestamp ${h.timestamp} does not increase (previous ${prev})`);
      prev = h.timestamp;
      if (h.startTimestamp !== undefined) this.timestamp(labels, h.startTimestamp, "start timestamp");
      const bad = (why: string): never => this.fail("histogram-invalid", labels, why);
      if (!Number.isInteger(h.schema) || !((h.schema >= -4 && h.schema <= 8) || h.schema === -53)) bad(`schema ${h.schema} is not -4..8 or -53`);
      if (h.float) {
        if (h.negativeDeltas?.length || h.positiveDeltas?.length) bad("a float histogram carries absolute counts, not deltas");
      } else {
        if (h.negativeCounts?.length || h.positiveCounts?.length) bad("an integer histogram carries deltas, not absolute counts");
        if (!Number.isSafeInteger(h.count) || h.count < 0) bad(`count ${h.count} is not a non-negative integer`);
        if (!Number.isSafeInteger(h.zeroCount) || h.zeroCount < 0) bad(`zero count ${h.zeroCount} is not a non-negative integer`);
        for (const d of [...(h.negativeDeltas ?? []), ...(h.positiveDeltas ?? [])]) {
          if (!Number.isSafeInteger(d)) bad(`bucket delta ${d} is not an integer`);
        }
      }
      const spans = (side: string, spans: readonly BucketSpan[] | undefined, buckets: number): void => {
        let total = 0;
        for (const s of spans ?? []) {
          if (!Number.isInteger(s.offset) || s.offset < -0x80000000 || s.offset > 0x7fffffff) bad(`${side} span offset ${s.offset} is not an int32`);
          if (!Number.isInteger(s.length) || s.length < 0 || s.length > 0xffffffff) bad(`${side} span length ${s.length} is not a uint32`);
          total += s.length;
        }
        if (total !== buckets) bad(`${side} spans cover ${total} buckets but ${buckets} are given`);
      };
      spans("negative", h.negativeSpans, (h.float ? h.negativeCounts : h.negativeDeltas)?.length ?? 0);
      spans("positive", h.positiveSpans, (h.float ? h.positiveCounts : h.positiveDeltas)?.length ?? 0);
      if (h.schema === -53 && !h.customValues?.length) bad("custom-bucket histograms (schema -53) need custom_values");
    }
  }
}
