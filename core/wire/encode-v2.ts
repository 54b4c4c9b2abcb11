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
import { ProtoWriter, tag, varintSize, varintSize32, WireType } from "./proto-writer.ts";
import type { SeriesRules } from "./series-rules.ts";
import { unpinned } from "../unpinned-string.ts";
import type { Labels, Series, SeriesMetadata } from "./types.ts";


// Request
const REQUEST_SYMBOLS = tag(4, WireType.LengthDelimited);
const REQUEST_TIMESERIES = tag(5, WireType.LengthDelimited);
// TimeSeries
const TIMESERIES_LABELS_REFS = tag(1, WireType.LengthDelimited); // packed uint32
const TIMESERIES_SAMPLES = tag(2, WireType.LengthDelimited);
const TIMESERIES_HISTOGRAMS = tag(3, WireType.LengthDelimited);
const TIMESERIES_EXEMPLARS = tag(4, WireType.LengthDelimited);
const TIMESERIES_METADATA = tag(5, WireType.LengthDelimited);
// Sample
const SAMPLE_VALUE = tag(1, WireType.Bit64);
const SAMPLE_TIMESTAMP = tag(2, WireType.Varint);
const SAMPLE_START_TIMESTAMP = tag(3, WireType.Varint);
// Exemplar
const EXEMPLAR_LABELS_REFS = tag(1, WireType.LengthDelimited); // packed uint32
const EXEMPLAR_VALUE = tag(2, WireType.Bit64);
const EXEMPLAR_TIMESTAMP = tag(3, WireType.Varint);
// Metadata
const METADATA_TYPE = tag(1, WireType.Varint);
const METADATA_HELP_REF = tag(3, WireType.Varint);
const METADATA_UNIT_REF = tag(4, WireType.Varint);

/** v2 series are small (refs, not strings): most lengths fit one varint byte. */
const SERIES_LENGTH_RESERVE = 1;
/** Room for one sample message: key, length, value (9), timestamp (≤ 11), start timestamp (≤ 11). */
const MAX_SAMPLE_BYTES = 33;

/**
 * Interned strings (and their encoded bytes) kept across requests before the interner starts
 * afresh: bounded so that high-cardinality values (request ids, say) cannot grow it without end —
 * 16 MiB stays well inside a 128 MB Workers isolate.
 */
const MAX_INTERNED = 1 << 18;
const MAX_POOL_BYTES = 16 << 20;

/**
 * The symbol table of one request, on top of an interner that lives across requests. Interning a
 * string writes its whole `symbols` field (key, length, UTF-8) once into a pool; a request's
 * symbol section is then copied from the pool, in runs: when a request uses strings in the order
 * they were first interned (the steady state of a writer re-sending the same series), the whole
 * section is a single memcpy.
 *
 * Finding a string's interned id costs a Map lookup, except where a cheaper answer exists:
 * - a frozen label array seen before has its ids cached (no lookup at all);
 * - otherwise each label string is compared, by identity, with the string at the same position
 *   of the previous request (strings are immutable, so the same object means the same id): a
 *   writer re-sending the same label sets, in fresh arrays or not, skips the Map for all of them.
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
  /**
   * Interned ids of this request's symbols, in ref order (a typed array: `length = 0` on a JS
   * array drops its storage, and every request grew it again).
   */
  private symbolIds = new Int32Array(4096);
  private symbolCount = 0;
  /** Frozen label arrays → interned ids of their non-empty pairs. */
  frozenIds = new WeakMap<Labels, Uint32Array>();
  /** The frozen label arrays of the last request by series position, and their ids. */
  frozenAt: (Labels | undefined)[] = [];
  frozenIdsAt: Uint32Array[] = [];
  /**
   * Label strings of unfrozen series by position in the request (a running cursor over every
   * name and value), with their interned ids: the previous request's entries until overwritten.
   */
  private posStrings: string[] = [];
  private posIds = new Int32Array(4096);
  /** Refs of the label list being written. */
  scratch = new Uint32Array(64);

  reset(): void {
    if (this.count > MAX_INTERNED || this.pool.length > MAX_POOL_BYTES || this.generation === 0xffffffff) {
      this.ids = new Map();
      this.count = 0;
      this.pool.reset();
      this.frozenIds = new WeakMap();
      this.frozenAt = [];
      this.frozenIdsAt = [];
      this.posStrings = [];
      this.stamp.fill(0);
      this.generation = 0;
    }
    this.generation++;
    this.symbolCount = 0;
    this.refById(this.idOf(""));
  }

  /** Trim the position caches to this request, so they pin no older strings or label arrays. */
  trim(seriesCount: number, positions: number): void {
    if (this.frozenAt.length > seriesCount) {
      this.frozenAt.length = seriesCount;
      this.frozenIdsAt.length = seriesCount;
    }
    if (this.posStrings.length > positions) this.posStrings.length = positions;
  }

  /** Interned id of `s`, or -1 for a lone surrogate. */
  idOf(s: string): number {
    const known = this.ids.get(s);
    if (known !== undefined) return known;
    const start = this.pool.length;
    if (!this.pool.string(REQUEST_SYMBOLS, s)) return -1;
    const id = this.count++;
    // A copy: the interner outlives the request, and a string sliced from a parsed page would
    // keep the page alive (unpinned-string.ts). Only strings seen for the first time pay for it.
    this.ids.set(unpinned(s), id);
    if (id >= this.stamp.length) this.growIndex();
    this.fieldStart[id] = start;
    this.fieldEnd[id] = this.pool.length;
    return id;
  }

  /** Interned id of the label string `s` at request position `pos` (see the class comment). */
  idAt(s: string, pos: number): number {
    if (this.posStrings[pos] === s) return this.posIds[pos];
    const id = this.idOf(s);
    if (id >= 0) {
      if (pos >= this.posIds.length) this.posIds = grown(this.posIds, pos, (n) => new Int32Array(n));
      if (pos > this.posStrings.length) this.posStrings.length = pos; // holes only after a failed series
      this.posStrings[pos] = s;
      this.posIds[pos] = id;
    }
    return id;
  }

  private growIndex(): void {
    const n = this.count;
    this.stamp = grown(this.stamp, n, (k) => new Uint32Array(k));
    this.refOf = grown(this.refOf, n, (k) => new Int32Array(k));
    this.fieldStart = grown(this.fieldStart, n, (k) => new Int32Array(k));
    this.fieldEnd = grown(this.fieldEnd, n, (k) => new Int32Array(k));
  }

  /** This request's ref of an interned id, adding it to the symbols on first use. */
  refById(id: number): number {
    if (this.stamp[id] === this.generation) return this.refOf[id];
    const ref = this.symbolCount++;
    if (ref >= this.symbolIds.length) this.symbolIds = grown(this.symbolIds, ref, (n) => new Int32Array(n));
    this.symbolIds[ref] = id;
    this.stamp[id] = this.generation;
    this.refOf[id] = ref;
    return ref;
  }

  /** Room in {@link scratch} for `n` refs. */
  scratchFor(n: number): Uint32Array {
    if (this.scratch.length < n) this.scratch = new Uint32Array(Math.max(n, this.scratch.length * 2));
    return this.scratch;
  }

  /** Write this request's `symbols` fields, copying contiguous pool ranges at once. */
  writeSymbols(out: ProtoWriter): void {
    const ids = this.symbolIds;
    let runStart = -1;
    let runEnd = -1;
    for (let i = 0; i < this.symbolCount; i++) {
      const id = ids[i];
      const start = this.fieldStart[id];
      if (start !== runEnd) {
        if (runStart >= 0) out.copyFrom(this.pool, runStart, runEnd);
        runStart = start;
      }
      runEnd = this.fieldEnd[id];
    }
    if (runStart >= 0) out.copyFrom(this.pool, runStart, runEnd);
  }

  /** Ref of `s` (help, unit, exemplar labels), or -1 for a lone surrogate. */
  lookup(s: string): number {
    const id = this.idOf(s);
    return id < 0 ? -1 : this.refById(id);
  }
}

/** A typed array at least `need + 1` long with `a`'s content. */
function grown<T extends Int32Array | Uint32Array>(a: T, need: number, make: (n: number) => T): T {
  let n = a.length * 2;
  while (n <= need) n *= 2;
  const b = make(n);
  b.set(a);
  return b;
}

/** Reusable v2 state: the symbol table and the scratch buffer for series. */
export class V2State {
  readonly table = new SymbolTable();
  readonly body = new ProtoWriter(16 * 1024);
  /** Identity cache for metadata lookups by metric name. */
  lastMetricName: string | undefined;
  lastMetadata: SeriesMetadata | undefined;
}

/** A packed `labels_refs` field from `count` refs in the table's scratch, under `key`. */
function writeRefList(w: ProtoWriter, table: SymbolTable, key: number, count: number): void {
  if (count === 0) return; // packed fields are omitted when empty
  const refs = table.scratch;
  let size = 0;
  for (let i = 0; i < count; i++) size += varintSize32(refs[i]);
  w.ensure(6 + size);
  w.key(key);
  w.uint32(size);
  w.varints(refs, 0, count);
}

/**
 * `labels_refs` of an unfrozen series; `cursor` is its first label position in the request.
 * Returns the cursor after it.
 */
function writeSeriesRefs(w: ProtoWriter, rules: SeriesRules, table: SymbolTable, labels: Labels, cursor: number): number {
  const refs = table.scratchFor(labels.length);
  let count = 0;
  for (let i = 0; i < labels.length; i += 2) {
    const value = labels[i + 1];
    if (value.length === 0) continue; // an empty label is an absent label
    const name = labels[i];
    const a = table.idAt(name, cursor++);
    const b = table.idAt(value, cursor++);
    if (a < 0 || b < 0) rules.badValue(labels, a < 0 ? name : value);
    refs[count++] = table.refById(a);
    refs[count++] = table.refById(b);
  }
  writeRefList(w, table, TIMESERIES_LABELS_REFS, count);
  return cursor;
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
  const refs = table.scratchFor(ids.length);
  for (let i = 0; i < ids.length; i++) refs[i] = table.refById(ids[i]);
  writeRefList(w, table, TIMESERIES_LABELS_REFS, ids.length);
}

/** Samples of one series, checked as they are written (see encode-v1.ts). */
function writeSamplesV2(w: ProtoWriter, rules: SeriesRules, labels: Labels, samples: NonNullable<Series["samples"]>): void {
  const n = samples.length;
  w.ensure(n * MAX_SAMPLE_BYTES);
  let prev = -Infinity;
  for (let j = 0; j < n; j++) {
    const sample = samples[j];
    const t = sample.timestamp;
    const v = sample.value;
    const st = sample.startTimestamp;
    if (!(t > prev) || !Number.isSafeInteger(t) || typeof v !== "number" || (st !== undefined && !Number.isSafeInteger(st))) {
      rules.checkSamples(labels, samples); // throws the precise error
    }
    prev = t;
    const stale = !!sample.stale;
    const hasValue = stale || !Object.is(v, 0);
    const len =
      (hasValue ? 9 : 0) +
      (t === 0 ? 0 : t > 0 ? 1 + varintSize(t) : 11) +
      (!st ? 0 : st > 0 ? 1 + varintSize(st) : 11);
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
    if (st) {
      w.key(SAMPLE_START_TIMESTAMP);
      w.int64(st);
    }
  }
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
  let cursor = 0;

  for (let s = 0; s < series.length; s++) {
    const ts = series[s];
    const labels = ts.labels;
    w.ensure(1 + SERIES_LENGTH_RESERVE);
    w.key(REQUEST_TIMESERIES);
    const at = w.fork(SERIES_LENGTH_RESERVE);
    if (table.frozenAt[s] === labels || Object.isFrozen(labels)) writeFrozenRefs(w, rules, table, labels, s);
    else {
      rules.checkLabels(labels, true);
      cursor = writeSeriesRefs(w, rules, table, labels, cursor);
    }

    const samples = ts.samples;
    if (samples !== undefined && samples.length > 0) writeSamplesV2(w, rules, labels, samples);
    const histograms = ts.histograms;
    if (histograms !== undefined && histograms.length > 0) {
      rules.checkHistograms(labels, histograms);
      for (let j = 0; j < histograms.length; j++) {
        w.ensure(1);
        w.key(TIMESERIES_HISTOGRAMS);
        const hat = w.fork(2);
        writeHistogramBody(w, histograms[j], true);
        w.join(hat, 2);
      }
    }
    const exemplars = ts.exemplars;
    if (exemplars !== undefined) {
      for (let j = 0; j < exemplars.length; j++) {
        const e = exemplars[j];
        rules.checkExemplar(labels, e);
        w.ensure(1);
        w.key(TIMESERIES_EXEMPLARS);
        const eat = w.fork(1);
        const el = e.labels;
        const refs = table.scratchFor(el.length);
        let count = 0;
        for (let i = 0; i < el.length; i += 2) {
          if (el[i + 1].length === 0) continue;
          const a = table.lookup(el[i]);
          const b = table.lookup(el[i + 1]);
          if (a < 0 || b < 0) rules.badValue(labels, a < 0 ? el[i] : el[i + 1]);
          refs[count++] = a;
          refs[count++] = b;
        }
        writeRefList(w, table, EXEMPLAR_LABELS_REFS, count);
        w.ensure(20);
        if (!Object.is(e.value, 0)) {
          w.key(EXEMPLAR_VALUE);
          w.double(e.value);
        }
        if (e.timestamp) {
          w.key(EXEMPLAR_TIMESTAMP);
          w.int64(e.timestamp);
        }
        w.join(eat, 1);
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
      w.key(TIMESERIES_METADATA);
      const mat = w.fork(1);
      if (type !== 0) {
        w.key(METADATA_TYPE);
        w.byte(type);
      }
      if (help !== 0) {
        w.key(METADATA_HELP_REF);
        w.uint32(help);
      }
      if (unit !== 0) {
        w.ensure(1);
        w.key(METADATA_UNIT_REF);
        w.uint32(unit);
      }
      w.join(mat, 1);
    }
    w.join(at, SERIES_LENGTH_RESERVE);
  }

  table.trim(series.length, cursor);
  table.writeSymbols(out);
  out.copyFrom(w, 0, w.length);
}
