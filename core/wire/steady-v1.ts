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

/**
 * The request's metadata as one string, compared by content (type, name, help, unit of each
 * entry, in order); JSON, so that no two lists share a key whatever their strings hold.
 */
function metadataKey(list: readonly MetricMetadata[]): string {
  let key = "";
  for (const m of list) key += JSON.stringify([m.type, m.metricFamilyName, m.help ?? "", m.unit ?? ""]);
  return key;
}

/**
 * The one sample of a series that can be rewritten in place: one sample and nothing else (no
 * exemplar, histogram, metadata of its own, start timestamp); else undefined.
 */
function soleSample(ts: Series): Sample | undefined {
  const samples = ts.samples;
  if (samples?.length !== 1 || ts.exemplars?.length || ts.histograms?.length || ts.metadata !== undefined) return undefined;
  return samples[0].startTimestamp === undefined ? samples[0] : undefined;
}

/** Where each series' one sample sits in the last full v1 request, and what it looked like. */
export class SteadyPlanV1 {
  private labels: Labels[] = [];
  private at: number[] = [];
  private shape: number[] = [];
  /** Series in the planned request; -1: no plan. */
  private count = -1;
  /** A full encode is running and every series so far could be rewritten later. */
  recording = false;
  private mode = "";
  private metadata = "";
  /** The writer holding the planned request, and that request's length. */
  private writer: ProtoWriter | undefined;
  private end = 0;

  /** A full encode of `n` series starts: the old plan no longer holds. */
  begin(n: number): void {
    this.count = -1;
    this.writer = undefined;
    this.recording = true;
    // No older label arrays pinned past this request's length.
    if (this.labels.length > n) this.labels.length = this.at.length = this.shape.length = n;
  }

  /**
   * Series `s` of the full encode (call while `recording`): its labels `frozen` or not, its
   * sample written at `sampleAt`. A series that could not be rewritten later ends the plan.
   */
  record(s: number, ts: Series, frozen: boolean, sampleAt: number): void {
    const sample = frozen ? soleSample(ts) : undefined;
    if (sample === undefined) {
      this.recording = false;
      return;
    }
    this.labels[s] = ts.labels;
    this.at[s] = sampleAt;
    this.shape[s] = shapeOf(sample);
  }

  /** The full encode into `w` ended after `n` series, rules `mode`, request metadata `metadata`. */
  commit(w: ProtoWriter, n: number, mode: string, metadata: readonly MetricMetadata[]): void {
    if (!this.recording) return;
    this.recording = false;
    this.count = n;
    this.mode = mode;
    this.metadata = metadataKey(metadata);
    this.writer = w;
    this.end = w.length;
  }

  /**
   * Rewrite the planned request in `w` with `series`' samples; false (the caller encodes in
   * full) when the request is not the planned one's steady-state successor.
   */
  patch(w: ProtoWriter, series: readonly Series[], mode: string, metadata: readonly MetricMetadata[]): boolean {
    const n = series.length;
    if (this.writer !== w || this.count !== n || this.mode !== mode || metadataKey(metadata) !== this.metadata) return false;
    const shape = this.shape;
    // Check every series first: a refusal must leave the buffer as it was (it is the previous
    // request, which the label reuse of the full encode that follows copies from).
    for (let s = 0; s < n; s++) {
      const ts = series[s];
      const sample = ts.labels === this.labels[s] ? soleSample(ts) : undefined;
      if (sample === undefined || !Number.isSafeInteger(sample.timestamp) || typeof sample.value !== "number" || shapeOf(sample) !== shape[s]) return false;
    }
    for (let s = 0; s < n; s++) {
      const sample = (series[s].samples as readonly Sample[])[0];
      // Past the TimeSeries.samples key and the Sample's one-byte length.
      w.seek(this.at[s] + 2);
      if ((shape[s] & 2) !== 0) {
        w.byte(0x09); // Sample.value, fixed64
        if ((shape[s] & 1) !== 0) w.staleNaN();
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
}
