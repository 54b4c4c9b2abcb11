/**
 * Remote write 1.0: `prometheus.WriteRequest` written field by field into a reused buffer.
 * Field numbers and wire types are spelled out as tag bytes (`(field << 3) | wireType`); the
 * byte-for-byte equality with `toBinary` of the generated messages is proven in
 * test/wire/encode.test.ts. Field order follows field numbers, zero-valued proto3 scalars are
 * omitted and oneof members are always written, exactly as protobuf-es does.
 */

import { EncodeError } from "../errors.ts";
import { getLabel } from "./label-rules.ts";
import { metricTypeNumber } from "./metadata.ts";
import { writeHistogramBody } from "./histogram-writer.ts";
import type { ProtoWriter } from "./proto-writer.ts";
import type { SeriesRules } from "./series-rules.ts";
import type { Exemplar, Labels, MetricMetadata, Series } from "./types.ts";

const TAG_TIMESERIES = 0x0a; // WriteRequest.timeseries = 1, LEN
const TAG_METADATA = 0x1a; // WriteRequest.metadata = 3, LEN
const TAG_LABEL = 0x0a; // TimeSeries.labels = 1 / Exemplar.labels = 1, LEN
const TAG_SAMPLE = 0x12; // TimeSeries.samples = 2, LEN
const TAG_EXEMPLAR = 0x1a; // TimeSeries.exemplars = 3, LEN
const TAG_HISTOGRAM = 0x22; // TimeSeries.histograms = 4, LEN
const TAG_NAME = 0x0a; // Label.name = 1
const TAG_VALUE = 0x12; // Label.value = 2
const TAG_SAMPLE_VALUE = 0x09; // Sample.value = 1, I64 (also Exemplar.value = 2 → 0x11)
const TAG_SAMPLE_TS = 0x10; // Sample.timestamp = 2, VARINT
const TAG_EXEMPLAR_VALUE = 0x11;
const TAG_EXEMPLAR_TS = 0x18;

/** A series of ~100–16,000 bytes is the common case: its length takes two varint bytes. */
const SERIES_LENGTH_RESERVE = 2;

export function writeLabelsV1(w: ProtoWriter, rules: SeriesRules, labels: Labels, owner: Labels): void {
  let i = w.asciiPairs(TAG_LABEL, labels, 0);
  while (i < labels.length) {
    // A pair the fast path could not take (non-ASCII or long): the general way, then resume.
    const value = labels[i + 1];
    w.ensure(2);
    w.byte(TAG_LABEL);
    const at = w.beginLength(1);
    w.stringField(TAG_NAME, labels[i]);
    if (!w.stringField(TAG_VALUE, value)) rules.badValue(owner, value);
    w.endLength(at, 1);
    i = w.asciiPairs(TAG_LABEL, labels, i + 2);
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
    const start = w.pos;
    writeLabelsV1(w, rules, labels, labels);
    block = w.buf.slice(start, w.pos);
    cache.blocks.set(labels, block);
  } else {
    w.bytes(block);
  }
  cache.labelsAt[index] = labels;
  cache.blockAt[index] = block;
}

function writeExemplarV1(w: ProtoWriter, rules: SeriesRules, e: Exemplar, owner: Labels): void {
  w.ensure(1);
  w.byte(TAG_EXEMPLAR);
  const at = w.beginLength(1);
  writeLabelsV1(w, rules, e.labels, owner);
  if (!Object.is(e.value, 0)) {
    w.ensure(1);
    w.byte(TAG_EXEMPLAR_VALUE);
    w.double(e.value);
  }
  if (e.timestamp) {
    w.ensure(1);
    w.byte(TAG_EXEMPLAR_TS);
    w.int64(e.timestamp);
  }
  w.endLength(at, 1);
}

export function encodeSeriesListV1(
  w: ProtoWriter,
  rules: SeriesRules,
  series: readonly Series[],
  metadata: readonly MetricMetadata[],
): void {
  let ownMetadata: Map<string, MetricMetadata> | undefined;
  for (let s = 0; s < series.length; s++) {
    const ts = series[s];
    const labels = ts.labels;
    w.ensure(1 + SERIES_LENGTH_RESERVE);
    w.byte(TAG_TIMESERIES);
    const at = w.beginLength(SERIES_LENGTH_RESERVE);
    if (Object.isFrozen(labels)) writeFrozenLabelsV1(w, rules, labels, s);
    else {
      rules.checkLabels(labels, true);
      writeLabelsV1(w, rules, labels, labels);
    }

    const samples = ts.samples;
    if (samples !== undefined && samples.length > 0) {
      rules.checkSamples(labels, samples);
      for (let j = 0; j < samples.length; j++) {
        const sample = samples[j];
        const t = sample.timestamp;
        w.ensure(22);
        w.byte(TAG_SAMPLE);
        const sat = w.beginLength(1);
        if (sample.stale) {
          w.byte(TAG_SAMPLE_VALUE);
          w.staleNaN();
        } else if (!Object.is(sample.value, 0)) {
          w.byte(TAG_SAMPLE_VALUE);
          w.double(sample.value);
        }
        if (t !== 0) {
          w.byte(TAG_SAMPLE_TS);
          w.int64(t);
        }
        w.endLength(sat, 1);
      }
    }
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
        w.byte(TAG_HISTOGRAM);
        const hat = w.beginLength(2);
        writeHistogramBody(w, histograms[j], false);
        w.endLength(hat, 2);
      }
    }
    w.endLength(at, SERIES_LENGTH_RESERVE);

    if (ts.metadata !== undefined) {
      const name = getLabel(labels, "__name__") as string;
      ownMetadata ??= new Map();
      if (!ownMetadata.has(name)) ownMetadata.set(name, { ...ts.metadata, metricFamilyName: name });
    }
  }

  // Keep the position caches no longer than this request, so they pin no older label arrays.
  const frozen = rules.v1Frozen;
  if (frozen.labelsAt.length > series.length) {
    frozen.labelsAt.length = series.length;
    frozen.blockAt.length = series.length;
  }

  const written = new Set<string>();
  for (const m of metadata) {
    writeMetadataV1(w, m);
    written.add(m.metricFamilyName);
  }
  if (ownMetadata !== undefined) {
    for (const m of ownMetadata.values()) if (!written.has(m.metricFamilyName)) writeMetadataV1(w, m);
  }
}

function writeMetadataV1(w: ProtoWriter, m: MetricMetadata): void {
  if (typeof m.metricFamilyName !== "string" || m.metricFamilyName === "") {
    throw new EncodeError("metadata-invalid", String(m.metricFamilyName), "metadata needs a metricFamilyName");
  }
  const type = metricTypeNumber(m.type, m.metricFamilyName);
  w.ensure(4);
  w.byte(TAG_METADATA);
  const at = w.beginLength(2);
  if (type !== 0) {
    w.byte(0x08); // type = 1
    w.byte(type);
  }
  const bad = (field: string): never => {
    throw new EncodeError("metadata-invalid", m.metricFamilyName, `metadata ${field} is not well-formed Unicode`);
  };
  if (!w.stringField(0x12, m.metricFamilyName)) bad("name"); // metric_family_name = 2
  if (m.help && !w.stringField(0x22, m.help)) bad("help"); // help = 4
  if (m.unit && !w.stringField(0x2a, m.unit)) bad("unit"); // unit = 5
  w.endLength(at, 2);
}
