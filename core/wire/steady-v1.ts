/**
 * The steady state of a Registry sender: every flush sends the same series (a snapshot hands out
 * the same frozen label arrays each collect, familiesToSeries keeps its frozen series label sets)
 * with one new sample each. Such a v1 request differs from the previous one only in the bytes of
 * each sample's value and timestamp, and only there when each sample keeps its shape (a value
 * zero or not, stale or not; a timestamp's varint length). So the previous request's buffer is
 * rewritten in place: per series one identity compare, the sample's checks, 8 + 6 bytes written;
 * no label bytes copied, nothing allocated.
 *
 * The plan is recorded by a full encode (encode-v1.ts) and holds only for the buffer it was
 * recorded in, as long as no other v1 request was written over it (encode.ts alternates two
 * buffers and patches only the last one). Anything else — another series, a label array not
 * frozen, a sample of another shape, an exemplar, a histogram, other metadata, an invalid sample —
 * and the caller encodes in full (which also throws the precise error for an invalid sample).
 * Byte-for-byte equal to a full encode: test/wire/steady-v1.property.test.ts.
 */

import { type ProtoWriter, varintSize } from "./proto-writer.ts";
import type { Labels, MetricMetadata, Sample, Series } from "./types.ts";

/** A sample's shape: bit 0 stale, bit 1 value field present, bits 2+ timestamp varint bytes. */
function shapeOf(sample: Sample): number {
  const t = sample.timestamp;
  const stale = !!sample.stale;
  const hasValue = stale || !Object.is(sample.value, 0);
  return (stale ? 1 : 0) | (hasValue ? 2 : 0) | ((t === 0 ? 0 : t > 0 ? varintSize(t) : 10) << 2);
}

/** Metadata as compared between requests: type, name, help, unit of each entry, in order. */
function metadataFields(list: readonly MetricMetadata[]): string[] {
  const out = new Array<string>(list.length * 4);
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    out[i * 4] = String(m.type);
    out[i * 4 + 1] = m.metricFamilyName;
    out[i * 4 + 2] = m.help ?? "";
    out[i * 4 + 3] = m.unit ?? "";
  }
  return out;
}

/** Where each series' one sample sits in the last full v1 request, and what it looked like. */
export class SteadyPlanV1 {
  private labels: (Labels | undefined)[] = [];
  private at = new Int32Array(0);
  private shape = new Uint8Array(0);
  /** Series in the planned request; -1: no plan. */
  private count = -1;
  private recording = false;
  private mode = "";
  private metadata: readonly string[] = [];
  /** The writer holding the planned request, and that request's length. */
  private writer: ProtoWriter | undefined;
  private end = 0;

  /** A full encode of `n` series starts: the old plan no longer holds. */
  begin(n: number): void {
    this.count = -1;
    this.writer = undefined;
    this.recording = true;
    if (this.at.length < n) {
      const size = Math.max(n, this.at.length * 2);
      this.at = new Int32Array(size);
      this.shape = new Uint8Array(size);
    }
    // No older label arrays pinned past this request's length.
    if (this.labels.length > n) this.labels.length = n;
  }

  /**
   * Series `s` of the full encode: `labels` frozen (else pass `undefined`: no plan), its one
   * sample written at `sampleAt`.
   */
  record(s: number, labels: Labels | undefined, sampleAt: number, sample: Sample): void {
    if (!this.recording) return;
    if (labels === undefined) {
      this.recording = false;
      return;
    }
    this.labels[s] = labels;
    this.at[s] = sampleAt;
    this.shape[s] = shapeOf(sample);
  }

  /** This series cannot be patched later: the request gets no plan. */
  refuse(): void {
    this.recording = false;
  }

  /** The full encode into `w` ended after `n` series, rules `mode`, request metadata `metadata`. */
  commit(w: ProtoWriter, n: number, mode: string, metadata: readonly MetricMetadata[]): void {
    if (!this.recording) return;
    this.recording = false;
    this.count = n;
    this.mode = mode;
    this.metadata = metadataFields(metadata);
    this.writer = w;
    this.end = w.length;
  }

  /** Forget the plan (its buffer is about to be written over). */
  drop(): void {
    this.count = -1;
    this.writer = undefined;
  }

  /**
   * Rewrite the planned request in `w` with `series`' samples; false (the caller encodes in
   * full) when the request is not the planned one's steady-state successor.
   */
  patch(w: ProtoWriter, series: readonly Series[], mode: string, metadata: readonly MetricMetadata[]): boolean {
    const n = series.length;
    if (this.writer !== w || this.count !== n || n === 0 || this.mode !== mode || !this.sameMetadata(metadata)) return false;
    const labels = this.labels;
    const shape = this.shape;
    // Check every series first: a refusal must leave the buffer as it was (it is the previous
    // request, which the label reuse of the full encode that follows copies from).
    for (let s = 0; s < n; s++) {
      const ts = series[s];
      if (ts.labels !== labels[s]) return false;
      const samples = ts.samples;
      if (samples === undefined || samples.length !== 1) return false;
      if ((ts.exemplars !== undefined && ts.exemplars.length > 0) || (ts.histograms !== undefined && ts.histograms.length > 0) || ts.metadata !== undefined) return false;
      const sample = samples[0];
      if (!Number.isSafeInteger(sample.timestamp) || typeof sample.value !== "number" || sample.startTimestamp !== undefined) return false;
      if (shapeOf(sample) !== shape[s]) return false;
    }
    const at = this.at;
    for (let s = 0; s < n; s++) {
      const sample = (series[s].samples as readonly Sample[])[0];
      const code = shape[s];
      // Past the TimeSeries.samples key and the Sample's one-byte length.
      w.seek(at[s] + 2);
      if ((code & 2) !== 0) {
        w.byte(0x09); // Sample.value, fixed64
        if ((code & 1) !== 0) w.staleNaN();
        else w.double(sample.value);
      }
      if (sample.timestamp !== 0) {
        w.byte(0x10); // Sample.timestamp, varint
        w.int64(sample.timestamp);
      }
    }
    w.seek(this.end);
    return true;
  }

  private sameMetadata(list: readonly MetricMetadata[]): boolean {
    // By content, not identity: a caller may reuse one array (or its objects) with other values.
    const prev = this.metadata;
    if (list.length * 4 !== prev.length) return false;
    for (let i = 0; i < list.length; i++) {
      const m = list[i];
      if (String(m.type) !== prev[i * 4] || m.metricFamilyName !== prev[i * 4 + 1] || (m.help ?? "") !== prev[i * 4 + 2] || (m.unit ?? "") !== prev[i * 4 + 3]) return false;
    }
    return true;
  }
}
