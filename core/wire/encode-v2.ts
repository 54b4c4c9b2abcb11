/**
 * Remote write 2.0 (rc.4): `io.prometheus.write.v2.Request`. Every string goes once into the
 * request's symbol table (which must start with ""); series carry varint references. Series are
 * written to a scratch buffer while the table fills, then the table and the series are joined,
 * because `symbols` (field 4) precedes `timeseries` (field 5) on the wire.
 */

import { EncodeError } from "../errors.ts";
import { getLabel } from "./label-rules.ts";
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

/** v2 series are small (refs, not strings): most lengths fit one varint byte. */
const SERIES_LENGTH_RESERVE = 1;

/**
 * Interned strings (and their encoded bytes) kept across requests before the interner starts
 * afresh: bounded so that high-cardinality values (request ids, say) cannot grow it without end —
 * 16 MiB stays well inside a 128 MB Workers isolate.
 */
const MAX_INTERNED = 1 << 18;
const MAX_POOL_BYTES = 16 << 20;

/**
 * The symbol table of one request, on top of an interner that lives across requests. Interning a
 * string writes its whole `symbols` field (tag, length, UTF-8) once into a pool; a request's
 * symbol section is then copied from the pool, in runs: when a request uses strings in the order
 * they were first interned (the steady state of a writer re-sending the same series), the whole
 * section is a single memcpy. A string seen before costs one Map lookup and a stamp check; a
 * frozen label array seen before costs no lookup at all (its interned ids are cached).
 */
class SymbolTable {
  private ids = new Map<string, number>();
  private count = 0;
  private readonly pool = new ProtoWriter(16 * 1024);
  private fieldStart = new Int32Array(4096);
  private fieldEnd = new Int32Array(4096);
  /** Per request: ref of an interned id, valid when `stamp[id] === generation`. */
  private refOf = new Int32Array(4096);
  private stamp = new Uint32Array(4096);
  private generation = 0;
  /** Interned ids of this request's symbols, in ref order. */
  private readonly symbolIds: number[] = [];
  /** Frozen label arrays → interned ids of their non-empty pairs. */
  frozenIds = new WeakMap<Labels, Uint32Array>();
  /** The frozen label arrays of the last request by series position, and their ids. */
  frozenAt: (Labels | undefined)[] = [];
  frozenIdsAt: Uint32Array[] = [];
  /** Per label position, the last string seen and its ref: label names almost always hit. */
  readonly labelCache = new RefCache();
  readonly exemplarCache = new RefCache();

  reset(): void {
    if (this.count > MAX_INTERNED || this.pool.pos > MAX_POOL_BYTES || this.generation === 0xffffffff) {
      this.ids = new Map();
      this.count = 0;
      this.pool.reset();
      this.frozenIds = new WeakMap();
      this.frozenAt = [];
      this.frozenIdsAt = [];
      this.stamp.fill(0);
      this.generation = 0;
    }
    this.generation++;
    this.symbolIds.length = 0;
    this.labelCache.clear();
    this.exemplarCache.clear();
    this.refById(this.idOf(""));
  }

  /** Interned id of `s`, or -1 for a lone surrogate. */
  idOf(s: string): number {
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const start = this.pool.pos;
    if (!this.pool.stringField(TAG_SYMBOL, s)) {
      this.pool.pos = start;
      return -1;
    }
    const id = this.count++;
    this.ids.set(s, id);
    if (id >= this.stamp.length) this.growIndex();
    this.fieldStart[id] = start;
    this.fieldEnd[id] = this.pool.pos;
    return id;
  }

  private growIndex(): void {
    const grow = <T extends Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(a.length * 2);
      b.set(a);
      return b;
    };
    this.stamp = grow(this.stamp, (n) => new Uint32Array(n));
    this.refOf = grow(this.refOf, (n) => new Int32Array(n));
    this.fieldStart = grow(this.fieldStart, (n) => new Int32Array(n));
    this.fieldEnd = grow(this.fieldEnd, (n) => new Int32Array(n));
  }

  /** This request's ref of an interned id, adding it to the symbols on first use. */
  refById(id: number): number {
    if (this.stamp[id] === this.generation) return this.refOf[id];
    const ref = this.symbolIds.length;
    this.symbolIds.push(id);
    this.stamp[id] = this.generation;
    this.refOf[id] = ref;
    return ref;
  }

  /** Varint refs of interned ids, straight into `w` (which has room for 5 bytes each). */
  writeRefsOfIds(w: ProtoWriter, ids: Uint32Array): void {
    const buf = w.buf;
    const stamp = this.stamp;
    const refOf = this.refOf;
    const generation = this.generation;
    let p = w.pos;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      let ref = stamp[id] === generation ? refOf[id] : this.refById(id);
      while (ref > 0x7f) {
        buf[p++] = (ref & 0x7f) | 0x80;
        ref >>>= 7;
      }
      buf[p++] = ref;
    }
    w.pos = p;
  }

  /** Write this request's `symbols` fields, copying contiguous pool ranges at once. */
  writeSymbols(out: ProtoWriter): void {
    const ids = this.symbolIds;
    const pool = this.pool.buf;
    let runStart = -1;
    let runEnd = -1;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const start = this.fieldStart[id];
      if (start !== runEnd) {
        if (runStart >= 0) out.bytes(pool.subarray(runStart, runEnd));
        runStart = start;
      }
      runEnd = this.fieldEnd[id];
    }
    if (runStart >= 0) out.bytes(pool.subarray(runStart, runEnd));
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
    const id = this.idOf(s);
    return id < 0 ? -1 : this.refById(id);
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
  readonly body = new ProtoWriter(16 * 1024);
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

/**
 * A frozen label array cannot change, so it is checked and interned once; later requests only
 * map its interned ids to this request's refs.
 */
function writeFrozenRefs(w: ProtoWriter, rules: SeriesRules, table: SymbolTable, labels: Labels, index: number): void {
  // A writer usually re-sends the same series in the same order: check that slot before the WeakMap.
  let ids = table.frozenAt[index] === labels ? table.frozenIdsAt[index] : table.frozenIds.get(labels);
  if (ids === undefined) {
    rules.checkLabels(labels, true);
    const list: number[] = [];
    for (let i = 0; i < labels.length; i += 2) {
      if (labels[i + 1].length === 0) continue;
      const a = table.idOf(labels[i]);
      const b = table.idOf(labels[i + 1]);
      if (a < 0 || b < 0) rules.badValue(labels, a < 0 ? labels[i] : labels[i + 1]);
      list.push(a, b);
    }
    ids = Uint32Array.from(list);
    table.frozenIds.set(labels, ids);
  }
  table.frozenAt[index] = labels;
  table.frozenIdsAt[index] = ids;
  w.ensure(2 + ids.length * 5);
  w.byte(TAG_LABELS_REFS);
  const at = w.beginLength(1);
  table.writeRefsOfIds(w, ids);
  w.endLength(at, 1);
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
    w.ensure(3);
    w.byte(TAG_TIMESERIES);
    const at = w.beginLength(SERIES_LENGTH_RESERVE);
    if (Object.isFrozen(labels)) writeFrozenRefs(w, rules, table, labels, s);
    else {
      rules.checkLabels(labels, true);
      writeRefs(w, rules, table, labels, labels, table.labelCache);
    }

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
    w.endLength(at, SERIES_LENGTH_RESERVE);
  }

  // Keep the position caches no longer than this request, so they pin no older label arrays.
  if (table.frozenAt.length > series.length) {
    table.frozenAt.length = series.length;
    table.frozenIdsAt.length = series.length;
  }
  table.writeSymbols(out);
  out.bytes(w.view());
}
