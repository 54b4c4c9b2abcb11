/**
 * Remote write 2.0 (rc.4): `io.prometheus.write.v2.Request`. Every string goes once into the
 * request's symbol table (which must start with ""); series carry varint references. Series are
 * written to a scratch buffer while the table fills, then the table and the series are joined,
 * because `symbols` (field 4) precedes `timeseries` (field 5) on the wire.
 */

import { EncodeError } from "../errors.ts";
import { getLabel, isWellFormed } from "./label-rules.ts";
import { type MetadataIndex, metricTypeNumber } from "./metadata.ts";
import { writeHistogramBody } from "./histogram-writer.ts";
import { ProtoWriter } from "./proto-writer.ts";
import type { SeriesRules } from "./series-rules.ts";
import type { Labels, Series, SeriesMetadata } from "./types.ts";

const TAG_SYMBOL = 0x22; // Request.symbols = 4, LEN
const TAG_TIMESERIES = 0x2a; // Request.timeseries = 5, LEN
const TAG_LABELS_REFS = 0x0a; // TimeSeries.labels_refs = 1 (packed) / Exemplar.labels_refs = 1
const TAG_SAMPLE = 0x12; // TimeSeries.samples = 2
const TAG_HISTOGRAM = 0x1a; // TimeSeries.histograms = 3
const TAG_EXEMPLAR = 0x22; // TimeSeries.exemplars = 4
const TAG_METADATA = 0x2a; // TimeSeries.metadata = 5

/** The symbol table of one request. */
class SymbolTable {
  private readonly refs = new Map<string, number>();
  readonly symbols: string[] = [];
  /** Per label position, the last string seen and its ref: label names almost always hit. */
  readonly labelCache = new RefCache();
  readonly exemplarCache = new RefCache();

  reset(): void {
    this.refs.clear();
    this.symbols.length = 0;
    this.labelCache.clear();
    this.exemplarCache.clear();
    this.add("");
  }

  private add(s: string): number {
    const ref = this.symbols.length;
    this.symbols.push(s);
    this.refs.set(s, ref);
    return ref;
  }

  /** Ref of `s`; `slot` is its position in a label list, for the identity cache. Returns -1 for a lone surrogate. */
  ref(s: string, cache: RefCache, slot: number): number {
    if (cache.strings[slot] === s) return cache.refs[slot];
    const ref = this.lookup(s);
    if (ref >= 0) {
      cache.strings[slot] = s;
      cache.refs[slot] = ref;
    }
    return ref;
  }

  /** Ref of `s` without the identity cache. Returns -1 for a lone surrogate. */
  lookup(s: string): number {
    const ref = this.refs.get(s);
    if (ref !== undefined) return ref;
    return isWellFormed(s) ? this.add(s) : -1;
  }
}

/** Last string and ref per label position. */
class RefCache {
  readonly strings: string[] = [];
  readonly refs: number[] = [];
  clear(): void {
    this.strings.length = 0;
    this.refs.length = 0;
  }
}

/** Reusable v2 state: the symbol table and the scratch buffer for series. */
export class V2State {
  readonly table = new SymbolTable();
  readonly body = new ProtoWriter(64 * 1024);
  /** Identity cache for metadata lookups by metric name. */
  lastMetricName: string | undefined;
  lastMetadata: SeriesMetadata | undefined;
}

function writeRefs(w: ProtoWriter, rules: SeriesRules, table: SymbolTable, labels: Labels, owner: Labels, cache: RefCache): void {
  w.ensure(1);
  w.byte(TAG_LABELS_REFS);
  const at = w.beginLength(1);
  for (let i = 0; i < labels.length; i += 2) {
    const value = labels[i + 1];
    if (value.length === 0) continue; // an empty label is an absent label
    const nameRef = table.ref(labels[i], cache, i);
    const valueRef = table.ref(value, cache, i + 1);
    if (nameRef < 0 || valueRef < 0) rules.badValue(owner, nameRef < 0 ? labels[i] : value);
    w.uint32(nameRef);
    w.uint32(valueRef);
  }
  if (w.pos === at + 1) w.pos = at - 1; // no refs: packed fields are omitted when empty
  else w.endLength(at, 1);
}

export function encodeSeriesListV2(
  out: ProtoWriter,
  rules: SeriesRules,
  state: V2State,
  series: readonly Series[],
  metadata: MetadataIndex | undefined,
): void {
  const { table, body: w } = state;
  table.reset();
  w.reset();
  state.lastMetricName = undefined;
  state.lastMetadata = undefined;

  for (let s = 0; s < series.length; s++) {
    const ts = series[s];
    const labels = ts.labels;
    rules.checkLabels(labels, true);
    w.ensure(3);
    w.byte(TAG_TIMESERIES);
    const at = w.beginLength(2);
    writeRefs(w, rules, table, labels, labels, table.labelCache);

    const samples = ts.samples;
    if (samples !== undefined && samples.length > 0) {
      rules.checkSamples(labels, samples);
      for (let j = 0; j < samples.length; j++) {
        const sample = samples[j];
        const t = sample.timestamp;
        w.ensure(33);
        w.byte(TAG_SAMPLE);
        const sat = w.beginLength(1);
        if (sample.stale) {
          w.byte(0x09); // value = 1
          w.staleNaN();
        } else if (!Object.is(sample.value, 0)) {
          w.byte(0x09);
          w.double(sample.value);
        }
        if (t !== 0) {
          w.byte(0x10); // timestamp = 2
          w.int64(t);
        }
        const st = sample.startTimestamp;
        if (st) {
          w.byte(0x18); // start_timestamp = 3
          w.int64(st);
        }
        w.endLength(sat, 1);
      }
    }
    const histograms = ts.histograms;
    if (histograms !== undefined && histograms.length > 0) {
      rules.checkHistograms(labels, histograms);
      for (let j = 0; j < histograms.length; j++) {
        w.ensure(1);
        w.byte(TAG_HISTOGRAM);
        const hat = w.beginLength(2);
        writeHistogramBody(w, histograms[j], true);
        w.endLength(hat, 2);
      }
    }
    const exemplars = ts.exemplars;
    if (exemplars !== undefined) {
      for (let j = 0; j < exemplars.length; j++) {
        const e = exemplars[j];
        rules.checkExemplar(labels, e);
        w.ensure(1);
        w.byte(TAG_EXEMPLAR);
        const eat = w.beginLength(1);
        if (e.labels.length > 0) writeRefs(w, rules, table, e.labels, labels, table.exemplarCache);
        if (!Object.is(e.value, 0)) {
          w.ensure(1);
          w.byte(0x11); // value = 2
          w.double(e.value);
        }
        if (e.timestamp) {
          w.ensure(1);
          w.byte(0x18); // timestamp = 3
          w.int64(e.timestamp);
        }
        w.endLength(eat, 1);
      }
    }
    let meta = ts.metadata;
    if (meta === undefined && metadata !== undefined) {
      const name = getLabel(labels, "__name__") as string;
      if (name !== state.lastMetricName) {
        state.lastMetricName = name;
        state.lastMetadata = metadata.lookup(name);
      }
      meta = state.lastMetadata;
    }
    if (meta !== undefined) {
      const type = metricTypeNumber(meta.type, getLabel(labels, "__name__") ?? "");
      const help = meta.help ? table.lookup(meta.help) : 0;
      const unit = meta.unit ? table.lookup(meta.unit) : 0;
      if (help < 0 || unit < 0) {
        throw new EncodeError("metadata-invalid", getLabel(labels, "__name__") ?? "", "metadata help or unit is not well-formed Unicode");
      }
      w.ensure(16);
      w.byte(TAG_METADATA);
      const mat = w.beginLength(1);
      if (type !== 0) {
        w.byte(0x08); // type = 1
        w.byte(type);
      }
      if (help !== 0) {
        w.byte(0x18); // help_ref = 3
        w.uint32(help);
      }
      if (unit !== 0) {
        w.ensure(1);
        w.byte(0x20); // unit_ref = 4
        w.uint32(unit);
      }
      w.endLength(mat, 1);
    }
    w.endLength(at, 2);
  }

  const symbols = table.symbols;
  for (let i = 0; i < symbols.length; i++) out.stringField(TAG_SYMBOL, symbols[i]);
  out.bytes(w.view());
}
