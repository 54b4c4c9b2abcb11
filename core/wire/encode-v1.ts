/**
 * Remote write 1.0: `prometheus.WriteRequest` (prompb/remote.proto, types.proto) written field by
 * field into a reused buffer. Byte-for-byte equal to `toBinary` of the generated messages
 * (test/wire/encode.property.test.ts): fields in field-number order, zero-valued proto3 scalars
 * omitted, oneof members always written, as protobuf-es does.
 */

import { EncodeError } from "../errors.ts";
import { getLabel } from "./label-rules.ts";
import { metricTypeNumber } from "./metadata.ts";
import { writeHistogramBody } from "./histogram-writer.ts";
import { type ProtoWriter, tag, varintSize, WireType } from "./proto-writer.ts";
import type { LabelReuse } from "./label-reuse.ts";
import type { SteadyPlanV1 } from "./steady-v1.ts";
import type { SeriesRules } from "./series-rules.ts";
import type { Exemplar, Labels, MetricMetadata, Series } from "./types.ts";


// WriteRequest
const WRITE_REQUEST_TIMESERIES = tag(1, WireType.LengthDelimited);
const WRITE_REQUEST_METADATA = tag(3, WireType.LengthDelimited);
// TimeSeries
const TIMESERIES_LABELS = tag(1, WireType.LengthDelimited);
const TIMESERIES_SAMPLES = tag(2, WireType.LengthDelimited);
const TIMESERIES_EXEMPLARS = tag(3, WireType.LengthDelimited);
const TIMESERIES_HISTOGRAMS = tag(4, WireType.LengthDelimited);
// Label
const LABEL_NAME = tag(1, WireType.LengthDelimited);
const LABEL_VALUE = tag(2, WireType.LengthDelimited);
// Sample
const SAMPLE_VALUE = tag(1, WireType.Bit64);
const SAMPLE_TIMESTAMP = tag(2, WireType.Varint);
// Exemplar (labels = 1 as in TimeSeries)
const EXEMPLAR_LABELS = tag(1, WireType.LengthDelimited);
const EXEMPLAR_VALUE = tag(2, WireType.Bit64);
const EXEMPLAR_TIMESTAMP = tag(3, WireType.Varint);
// MetricMetadata
const METADATA_TYPE = tag(1, WireType.Varint);
const METADATA_FAMILY_NAME = tag(2, WireType.LengthDelimited);
const METADATA_HELP = tag(4, WireType.LengthDelimited);
const METADATA_UNIT = tag(5, WireType.LengthDelimited);

/** A series of ~100–16,000 bytes is the common case: its length takes two varint bytes. */
const SERIES_LENGTH_RESERVE = 2;
/** Room for one sample message: key, length, value field (9), timestamp field (≤ 11). */
const MAX_SAMPLE_BYTES = 22;

/** `Label` messages of a label list, under `key` (TimeSeries.labels or Exemplar.labels). */
export function writeLabelsV1(w: ProtoWriter, rules: SeriesRules, key: number, labels: Labels, owner: Labels): void {
  let i = w.labelPairs(key, labels, 0);
  while (i < labels.length) {
    // A pair the fast path could not take (non-ASCII or long): the general way, then resume.
    const value = labels[i + 1];
    w.ensure(2);
    w.key(key);
    const at = w.fork(1);
    w.string(LABEL_NAME, labels[i]);
    if (!w.string(LABEL_VALUE, value)) rules.badValue(owner, value);
    w.join(at, 1);
    i = w.labelPairs(key, labels, i + 2);
  }
}

/**
 * A frozen label array cannot change (Registry snapshots hand out frozen arrays, reused across
 * collects), so its checked, encoded bytes are kept and copied with one memcpy next time.
 */
function writeFrozenLabelsV1(w: ProtoWriter, rules: SeriesRules, labels: Labels, index: number): void {
  const cache = rules.v1Frozen;
  // A writer usually re-sends the same series in the same order: check that slot before the WeakMap.
  let block = cache.labelsAt[index] === labels ? cache.blockAt[index] : cache.blocks.get(labels);
  if (block === undefined) {
    rules.checkLabels(labels, true);
    const start = w.length;
    writeLabelsV1(w, rules, TIMESERIES_LABELS, labels, labels);
    block = w.slice(start, w.length).slice();
    cache.blocks.set(labels, block);
  } else {
    w.bytes(block);
  }
  cache.labelsAt[index] = labels;
  cache.blockAt[index] = block;
}

/**
 * The samples of one series, checked as they are written (timestamps safe integers, strictly
 * increasing; values numbers). Each `Sample` message's length is known before it is written
 * (value: 9 bytes unless zero; timestamp: key + varint), so nothing is back-patched.
 */
function writeSamplesV1(w: ProtoWriter, rules: SeriesRules, labels: Labels, samples: NonNullable<Series["samples"]>): void {
  const n = samples.length;
  w.ensure(n * MAX_SAMPLE_BYTES);
  let prev = -Infinity;
  for (let j = 0; j < n; j++) {
    const sample = samples[j];
    const t = sample.timestamp;
    const v = sample.value;
    if (!(t > prev) || !Number.isSafeInteger(t) || typeof v !== "number" || (sample.startTimestamp !== undefined && !Number.isSafeInteger(sample.startTimestamp))) {
      rules.checkSamples(labels, samples); // throws the precise error
    }
    prev = t;
    const stale = !!sample.stale;
    const hasValue = stale || !Object.is(v, 0);
    const len = (hasValue ? 9 : 0) + (t === 0 ? 0 : t > 0 ? 1 + varintSize(t) : 11);
    w.key(TIMESERIES_SAMPLES);
    w.byte(len);
    if (hasValue) {
      w.key(SAMPLE_VALUE);
      if (stale) w.staleNaN();
      else w.double(v);
    }
    if (t !== 0) {
      w.key(SAMPLE_TIMESTAMP);
      w.int64(t);
    }
  }
}

function writeExemplarV1(w: ProtoWriter, rules: SeriesRules, e: Exemplar, owner: Labels): void {
  w.ensure(1);
  w.key(TIMESERIES_EXEMPLARS);
  const at = w.fork(1);
  writeLabelsV1(w, rules, EXEMPLAR_LABELS, e.labels, owner);
  w.ensure(20);
  if (!Object.is(e.value, 0)) {
    w.key(EXEMPLAR_VALUE);
    w.double(e.value);
  }
  if (e.timestamp) {
    w.key(EXEMPLAR_TIMESTAMP);
    w.int64(e.timestamp);
  }
  w.join(at, 1);
}

/**
 * Write the request's fields into `w`. With `reuse`, unchanged label sets are copied from `prev`,
 * the buffer of the previous request (see label-reuse.ts).
 */
export function encodeSeriesListV1(
  w: ProtoWriter,
  rules: SeriesRules,
  series: readonly Series[],
  metadata: readonly MetricMetadata[],
  reuse?: { readonly labels: LabelReuse; readonly prev: ProtoWriter },
  plan?: SteadyPlanV1,
): void {
  plan?.begin(series.length);
  let ownMetadata: Map<string, MetricMetadata> | undefined;
  const frozenCache = rules.v1Frozen;
  const layout = reuse?.labels;
  const prevBuffer = layout !== undefined && layout.begin(rules.mode) ? reuse?.prev : undefined;
  for (let s = 0; s < series.length; s++) {
    const ts = series[s];
    const labels = ts.labels;
    w.ensure(1 + SERIES_LENGTH_RESERVE);
    w.key(WRITE_REQUEST_TIMESERIES);
    const at = w.fork(SERIES_LENGTH_RESERVE);
    // Position caches first: a hit needs no isFrozen call (a runtime call). Only frozen arrays
    // are in the frozen one; the other compares strings, whatever the array.
    const blockStart = w.length;
    let reusable: Labels | undefined;
    let from: number;
    let frozen = false;
    if (frozenCache.labelsAt[s] === labels) {
      w.bytes(frozenCache.blockAt[s]);
      frozen = true;
    } else if (prevBuffer !== undefined && layout !== undefined && (from = layout.previousBlock(s, labels)) >= 0) {
      // The same string objects as last time: the same checked bytes (strings are immutable).
      w.copyFrom(prevBuffer, from, layout.previousEnd(s));
      reusable = labels;
    } else if (Object.isFrozen(labels)) {
      writeFrozenLabelsV1(w, rules, labels, s);
      frozen = true;
    } else {
      rules.checkLabels(labels, true);
      writeLabelsV1(w, rules, TIMESERIES_LABELS, labels, labels);
      reusable = labels;
    }
    const blockEnd = w.length;

    const samples = ts.samples;
    if (samples !== undefined && samples.length > 0) writeSamplesV1(w, rules, labels, samples);
    const exemplars = ts.exemplars;
    if (exemplars !== undefined) {
      for (let j = 0; j < exemplars.length; j++) {
        rules.checkExemplar(labels, exemplars[j]);
        writeExemplarV1(w, rules, exemplars[j], labels);
      }
    }
    const histograms = ts.histograms;
    if (histograms !== undefined && histograms.length > 0) {
      rules.checkHistograms(labels, histograms);
      for (let j = 0; j < histograms.length; j++) {
        w.ensure(1);
        w.key(TIMESERIES_HISTOGRAMS);
        const hat = w.fork(2);
        writeHistogramBody(w, histograms[j], false);
        w.join(hat, 2);
      }
    }
    const before = w.length;
    w.join(at, SERIES_LENGTH_RESERVE);
    // join moved the content when the length took another number of bytes than reserved.
    const moved = w.length - before;
    layout?.record(s, reusable, blockStart + moved, blockEnd + moved);
    // A later request may rewrite this one in place (steady-v1.ts).
    if (plan?.recording) plan.record(s, ts, frozen || Object.isFrozen(labels), blockEnd + moved);

    if (ts.metadata !== undefined) {
      const name = getLabel(labels, "__name__") as string;
      ownMetadata ??= new Map();
      if (!ownMetadata.has(name)) ownMetadata.set(name, { ...ts.metadata, metricFamilyName: name });
    }
  }

  // Keep the position caches no longer than this request, so they pin no older label arrays.
  if (frozenCache.labelsAt.length > series.length) {
    frozenCache.labelsAt.length = series.length;
    frozenCache.blockAt.length = series.length;
  }

  if (metadata.length === 0 && ownMetadata === undefined) {
    plan?.commit(w, series.length, rules.mode, metadata);
    return;
  }
  const written = new Set<string>();
  for (const m of metadata) {
    writeMetadataV1(w, m);
    written.add(m.metricFamilyName);
  }
  if (ownMetadata !== undefined) {
    for (const m of ownMetadata.values()) if (!written.has(m.metricFamilyName)) writeMetadataV1(w, m);
  }
  plan?.commit(w, series.length, rules.mode, metadata);
}

function writeMetadataV1(w: ProtoWriter, m: MetricMetadata): void {
  if (typeof m.metricFamilyName !== "string" || m.metricFamilyName === "") {
    throw new EncodeError("metadata-invalid", String(m.metricFamilyName), "metadata needs a metricFamilyName");
  }
  const type = metricTypeNumber(m.type, m.metricFamilyName);
  w.ensure(5);
  w.key(WRITE_REQUEST_METADATA);
  const at = w.fork(2);
  if (type !== 0) {
    w.key(METADATA_TYPE);
    w.byte(type);
  }
  const bad = (field: string): never => {
    throw new EncodeError("metadata-invalid", m.metricFamilyName, `metadata ${field} is not well-formed Unicode`);
  };
  if (!w.string(METADATA_FAMILY_NAME, m.metricFamilyName)) bad("name");
  if (m.help && !w.string(METADATA_HELP, m.help)) bad("help");
  if (m.unit && !w.string(METADATA_UNIT, m.unit)) bad("unit");
  w.join(at, 2);
}
