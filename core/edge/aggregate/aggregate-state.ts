/**
 * The aggregator's cumulative state: one entry per series (label set and sample name) holding the
 * sum of every isolate's increments, the latest gauge value, or the merged native histogram;
 * per isolate the last report number applied; per family its metadata and label sets.
 *
 * Everything lives in memory and in the object's transactional storage, one key per entry, so
 * that a restarted or evicted object carries on from where it was (a counter never goes back).
 * Changes are collected as dirty keys and written by {@link AggregateState.persist} with no
 * `await` in between — Durable Objects commit such a run of writes atomically, so a report is
 * either applied with its sequence number or not at all.
 */

import { OVERFLOW_LABEL_VALUE } from "../../metrics/metric.ts";
import type { MetricMetadata, MetricType, Series } from "../../wire/types.ts";
import type { ParsedBatch, ParsedFamily, ParsedSeries, RefusalRule, SeriesKind } from "./report-parse.ts";
import type { ReportAck } from "./report.ts";
import { addSparse, cloneSparse, isEmptySparse, sparseToWire, type SparseHistogram } from "./sparse-histogram.ts";

/** The part of Durable Object storage the state uses (the KV API: works with SQLite- and KV-backed objects). */
export interface AggregatorStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  list<T = unknown>(options: { prefix: string; startAfter?: string; limit?: number }): Promise<Map<string, T>>;
  put<T>(entries: Record<string, T>): Promise<void>;
  delete(keys: string[]): Promise<number>;
  getAlarm(): Promise<number | null>;
  setAlarm(scheduledTime: number): Promise<void>;
}

/** Settings of the state. */
export interface StateOptions {
  /** Label sets per family; past it new ones go to the overflow label set. */
  readonly maxSeriesPerMetric: number;
  /** A series no report listed for this long is marked stale, ms. */
  readonly staleAfterMs: number;
  /** A stale series is forgotten (its total dropped) after this long without a report, ms. */
  readonly forgetAfterMs: number;
  /** An isolate's last report number is kept this long after its last report, ms. */
  readonly isolateRetentionMs: number;
}

interface Entry {
  readonly key: string;
  readonly id: string;
  readonly labels: string[];
  readonly family: string;
  readonly set: string;
  kind: SeriesKind;
  value: number;
  t: number;
  h: SparseHistogram | undefined;
  /** Last report that listed it (aggregator clock), and the value of that as last stored. */
  seen: number;
  savedSeen: number;
  /** 0 live; 1 stale, marker not yet delivered; 2 stale, marker delivered (or none needed). */
  stale: 0 | 1 | 2;
}

interface StoredEntry {
  readonly l: string[];
  readonly f: string;
  readonly k: SeriesKind;
  readonly v: number;
  readonly t: number;
  readonly h?: SparseHistogram;
  readonly seen: number;
  readonly st: 0 | 1 | 2;
}

interface Family {
  type: MetricType;
  help: string | undefined;
  unit: string | undefined;
  /** Label set (labels without `__name__` and `le`) → entries holding it. */
  readonly sets: Map<string, number>;
}

interface IsolateRecord {
  seq: number;
  at: number;
}

/** Counters of the object's own work, kept in storage with the rest. */
export interface SelfCounts {
  shard: number | undefined;
  shards: number | undefined;
  applied: number;
  duplicates: number;
  refused: Record<string, number>;
  overflow: Record<string, number>;
  writesOk: number;
  writesFailed: number;
  /** Timestamp of the last samples written, ms: the next are later. */
  lastTs: number;
}

const SELF_KEY = "x:self";
const PAGE = 1000;
/** Durable Object storage takes at most 128 keys per put or delete. */
const BATCH_KEYS = 128;

function hashKey(id: string, probe: number): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ probe;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return `s:${(a >>> 0).toString(16).padStart(8, "0")}${(b >>> 0).toString(16).padStart(8, "0")}${probe === 0 ? "" : `:${probe}`}`;
}

/** Labels without `__name__` and `le`: the label set the cardinality cap counts. */
function setKey(labels: readonly string[]): string {
  const rest: string[] = [];
  for (let i = 0; i < labels.length; i += 2) if (labels[i] !== "__name__" && labels[i] !== "le") rest.push(labels[i], labels[i + 1]);
  return JSON.stringify(rest);
}

function overflowLabels(labels: readonly string[]): string[] {
  const out = labels.slice();
  for (let i = 0; i < out.length; i += 2) if (out[i] !== "__name__" && out[i] !== "le") out[i + 1] = OVERFLOW_LABEL_VALUE;
  return out;
}

async function listAll<T>(storage: AggregatorStorage, prefix: string): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  let startAfter: string | undefined;
  for (;;) {
    const page = await storage.list<T>({ prefix, limit: PAGE, ...(startAfter === undefined ? {} : { startAfter }) });
    for (const [k, v] of page) out.set(k, v);
    if (page.size < PAGE) return out;
    startAfter = [...page.keys()].at(-1);
  }
}

/** What {@link AggregateState.output} produced. */
export interface Output {
  readonly series: Series[];
  readonly metadata: MetricMetadata[];
  /** Entries whose stale marker is in `series`: confirm with {@link AggregateState.markersDelivered}. */
  readonly markers: readonly object[];
  /** Samples in `series`. */
  readonly samples: number;
}

/**
 * The state of one aggregator object.
 *
 * @example
 * const state = await AggregateState.load(ctx.storage, options);
 * const ack = state.apply(batch, Date.now());
 * await state.persist(ctx.storage);
 */
export class AggregateState {
  private readonly entries = new Map<string, Entry>();
  /** The same entries by storage key. */
  private readonly byKey = new Map<string, Entry>();
  private readonly families = new Map<string, Family>();
  private readonly isolates = new Map<string, IsolateRecord>();
  private self: SelfCounts = { shard: undefined, shards: undefined, applied: 0, duplicates: 0, refused: {}, overflow: {}, writesOk: 0, writesFailed: 0, lastTs: 0 };
  private readonly dirty = new Set<string>();
  private readonly deleted = new Set<string>();

  private constructor(private readonly options: StateOptions) {}

  /** The state as stored (empty for a new object). */
  static async load(storage: AggregatorStorage, options: StateOptions): Promise<AggregateState> {
    const s = new AggregateState(options);
    const [entries, families, isolates, self] = await Promise.all([
      listAll<StoredEntry>(storage, "s:"),
      listAll<{ type: MetricType; help?: string; unit?: string }>(storage, "f:"),
      listAll<IsolateRecord>(storage, "i:"),
      storage.get<SelfCounts>(SELF_KEY),
    ]);
    if (self !== undefined) s.self = { ...s.self, ...self };
    for (const [k, f] of families) s.families.set(k.slice(2), { type: f.type, help: f.help, unit: f.unit, sets: new Map() });
    for (const [k, r] of isolates) s.isolates.set(k.slice(2), { seq: r.seq, at: r.at });
    for (const [key, e] of entries) {
      const entry: Entry = { key, id: JSON.stringify(e.l), labels: e.l, family: e.f, set: setKey(e.l), kind: e.k, value: e.v, t: e.t, h: e.h, seen: e.seen, savedSeen: e.seen, stale: e.st };
      s.entries.set(entry.id, entry);
      s.byKey.set(key, entry);
      s.family(e.f).sets.set(entry.set, (s.family(e.f).sets.get(entry.set) ?? 0) + 1);
    }
    return s;
  }

  private family(name: string): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { type: "unknown", help: undefined, unit: undefined, sets: new Map() };
      this.families.set(name, f);
    }
    return f;
  }

  /** Apply a batch's reports not applied before (by sequence number), in order. */
  apply(batch: ParsedBatch, now: number): ReportAck {
    if (this.self.shard !== batch.shard || this.self.shards !== batch.shards) {
      this.self.shard = batch.shard;
      this.self.shards = batch.shards;
      this.dirty.add(SELF_KEY);
    }
    const rec = this.isolates.get(batch.isolate) ?? { seq: 0, at: now };
    let applied = 0;
    let duplicates = 0;
    for (const r of batch.reports) {
      if (r.seq <= rec.seq) {
        duplicates++;
        continue;
      }
      for (const f of r.families) this.applyFamily(f, now);
      rec.seq = r.seq;
      applied++;
    }
    rec.at = now;
    this.isolates.set(batch.isolate, rec);
    this.dirty.add(`i:${batch.isolate}`);
    this.self.applied += applied;
    this.self.duplicates += duplicates;
    this.dirty.add(SELF_KEY);
    return { acked: rec.seq, applied, duplicates };
  }

  /** Count a refused request. */
  refused(rule: RefusalRule): void {
    this.self.refused[rule] = (this.self.refused[rule] ?? 0) + 1;
    this.dirty.add(SELF_KEY);
  }

  private applyFamily(f: ParsedFamily, now: number): void {
    const fam = this.family(f.name);
    if (fam.type !== f.type || fam.help !== f.help || fam.unit !== f.unit) {
      fam.type = f.type;
      fam.help = f.help;
      fam.unit = f.unit;
      this.dirty.add(`f:${f.name}`);
    }
    for (const s of f.series) {
      let labels = s.labels;
      let id = JSON.stringify(labels);
      let e = this.entries.get(id);
      if (e === undefined) {
        let set = setKey(labels);
        if (!fam.sets.has(set) && fam.sets.size >= this.options.maxSeriesPerMetric) {
          const over = overflowLabels(labels);
          if (setKey(over) !== set) {
            // Cardinality cap: past it, new label sets share one overflow label set.
            labels = over;
            id = JSON.stringify(labels);
            set = setKey(labels);
            e = this.entries.get(id);
            this.self.overflow[f.name] = (this.self.overflow[f.name] ?? 0) + 1;
            this.dirty.add(SELF_KEY);
          }
        }
        e ??= this.create(id, labels, f.name, set, s);
      }
      this.merge(e, s, now);
    }
  }

  private create(id: string, labels: string[], family: string, set: string, s: ParsedSeries): Entry {
    let probe = 0;
    let key = hashKey(id, probe);
    while (this.byKey.has(key)) key = hashKey(id, ++probe);
    const e: Entry = { key, id, labels, family, set, kind: s.kind, value: s.kind === "last" ? NaN : 0, t: -Infinity, h: undefined, seen: 0, savedSeen: 0, stale: 0 };
    this.entries.set(id, e);
    this.byKey.set(key, e);
    this.deleted.delete(key);
    const fam = this.family(family);
    fam.sets.set(set, (fam.sets.get(set) ?? 0) + 1);
    return e;
  }

  private merge(e: Entry, s: ParsedSeries, now: number): void {
    let changed = e.stale !== 0;
    if (e.kind !== s.kind) {
      // The family changed type (a new deployment): start this series over.
      e.kind = s.kind;
      e.value = s.kind === "last" ? NaN : 0;
      e.t = -Infinity;
      e.h = undefined;
      changed = true;
    }
    if (s.kind === "sum") {
      if (s.value !== 0) changed = true;
      e.value += s.value;
    } else if (s.kind === "last") {
      // Last write by time wins; a tie goes to the report applied later.
      if (s.t >= e.t) {
        changed ||= s.t !== e.t || !Object.is(s.value, e.value);
        e.value = s.value;
        e.t = s.t;
      }
    } else if (s.h !== undefined) {
      if (e.h === undefined) {
        e.h = cloneSparse(s.h);
        changed = true;
      } else if (!isEmptySparse(s.h) || s.h.sum !== 0) {
        addSparse(e.h, cloneSparse(s.h));
        changed = true;
      }
    }
    e.stale = 0;
    e.seen = now;
    // An unchanged series only refreshes its liveness: stored now and then, not on every report.
    if (changed || now - e.savedSeen > this.options.staleAfterMs / 4) this.dirty.add(e.key);
  }

  /**
   * Housekeeping at `now`: series idle past `staleAfterMs` become stale, stale ones idle past
   * `forgetAfterMs` are forgotten, isolates silent past their retention are dropped.
   */
  tick(now: number): void {
    const { staleAfterMs, forgetAfterMs, isolateRetentionMs } = this.options;
    for (const e of this.entries.values()) {
      if (e.stale === 0 && now - e.seen > staleAfterMs) {
        e.stale = 1;
        this.dirty.add(e.key);
      } else if (e.stale === 2 && now - e.seen > forgetAfterMs) {
        this.forget(e);
      }
    }
    for (const [id, r] of this.isolates) {
      if (now - r.at > isolateRetentionMs) {
        this.isolates.delete(id);
        this.deleted.add(`i:${id}`);
        this.dirty.delete(`i:${id}`);
      }
    }
  }

  private forget(e: Entry): void {
    this.entries.delete(e.id);
    this.byKey.delete(e.key);
    this.dirty.delete(e.key);
    this.deleted.add(e.key);
    const fam = this.family(e.family);
    const n = (fam.sets.get(e.set) ?? 1) - 1;
    if (n > 0) fam.sets.set(e.set, n);
    else fam.sets.delete(e.set);
  }

  /**
   * The series to write at `now`: every live series with its current value, a stale marker for
   * each newly stale float series (native histograms simply stop), and the object's own counts.
   */
  output(now: number): Output {
    const ts = Math.max(now, this.self.lastTs + 1);
    const series: Series[] = [];
    const markers: Entry[] = [];
    const live = new Set<string>();
    for (const e of this.entries.values()) {
      if (e.stale === 0) {
        live.add(e.family);
        if (e.kind === "native") {
          if (e.h !== undefined) series.push({ labels: e.labels, histograms: [sparseToWire(e.h, ts)] });
        } else if (!(e.kind === "last" && e.t === -Infinity)) {
          series.push({ labels: e.labels, samples: [{ value: e.value, timestamp: ts }] });
        }
      } else if (e.stale === 1) {
        if (e.kind === "native") {
          e.stale = 2;
          this.dirty.add(e.key);
        } else {
          series.push({ labels: e.labels, samples: [{ value: NaN, timestamp: ts, stale: true }] });
          markers.push(e);
        }
      }
    }
    const metadata: MetricMetadata[] = [];
    for (const name of live) {
      const f = this.families.get(name);
      if (f !== undefined) metadata.push({ metricFamilyName: name, type: f.type, ...(f.help === undefined ? {} : { help: f.help }), ...(f.unit === undefined ? {} : { unit: f.unit }) });
    }
    if (series.length > 0) this.selfSeries(series, metadata, ts, now);
    if (series.length > 0) {
      this.self.lastTs = ts;
      this.dirty.add(SELF_KEY);
    }
    return { series, metadata, markers, samples: series.length };
  }

  /** The object's own metrics, labelled with its shard so that several objects never write one series. */
  private selfSeries(series: Series[], metadata: MetricMetadata[], ts: number, now: number): void {
    const shard = String(this.self.shard ?? 0);
    const add = (name: string, labels: Record<string, string>, value: number): void => {
      const flat: [string, string][] = [["__name__", name], ["shard", shard], ...Object.entries(labels)];
      flat.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      series.push({ labels: flat.flat(), samples: [{ value, timestamp: ts }] });
    };
    add("promwire_aggregator_reports_total", { result: "applied" }, this.self.applied);
    add("promwire_aggregator_reports_total", { result: "duplicate" }, this.self.duplicates);
    for (const [reason, n] of Object.entries(this.self.refused)) add("promwire_aggregator_refused_total", { reason }, n);
    for (const [metric, n] of Object.entries(this.self.overflow)) add("promwire_aggregator_series_overflow_total", { metric }, n);
    add("promwire_aggregator_writes_total", { result: "ok" }, this.self.writesOk);
    add("promwire_aggregator_writes_total", { result: "failed" }, this.self.writesFailed);
    const stats = this.counts(now);
    add("promwire_aggregator_series", {}, stats.live);
    add("promwire_aggregator_isolates", {}, stats.isolates);
    metadata.push(
      { metricFamilyName: "promwire_aggregator_reports_total", type: "counter", help: "Isolate reports applied, and repeated ones ignored." },
      { metricFamilyName: "promwire_aggregator_refused_total", type: "counter", help: "Report requests refused (4xx), by reason." },
      { metricFamilyName: "promwire_aggregator_series_overflow_total", type: "counter", help: "Series updates sent to the overflow label set by the cardinality cap, per metric." },
      { metricFamilyName: "promwire_aggregator_writes_total", type: "counter", help: "Remote writes of the merged series, by result." },
      { metricFamilyName: "promwire_aggregator_series", type: "gauge", help: "Series held and written (not stale)." },
      { metricFamilyName: "promwire_aggregator_isolates", type: "gauge", help: "Isolates that reported within the stale time." },
    );
  }

  /** The stale markers of an output reached the receiver. */
  markersDelivered(markers: readonly object[]): void {
    for (const m of markers) {
      const e = m as Entry;
      if (e.stale === 1 && this.entries.get(e.id) === e) {
        e.stale = 2;
        this.dirty.add(e.key);
      }
    }
  }

  /** Count a remote write's outcome. */
  wrote(ok: boolean): void {
    if (ok) this.self.writesOk++;
    else this.self.writesFailed++;
    this.dirty.add(SELF_KEY);
  }

  /** Live and stale series, families, isolates seen within the stale time. */
  counts(now: number): { live: number; stale: number; families: number; isolates: number } {
    let live = 0;
    for (const e of this.entries.values()) if (e.stale === 0) live++;
    let isolates = 0;
    for (const r of this.isolates.values()) if (now - r.at <= this.options.staleAfterMs) isolates++;
    return { live, stale: this.entries.size - live, families: this.families.size, isolates };
  }

  /** The object's own counters. */
  get selfCounts(): Readonly<SelfCounts> {
    return this.self;
  }

  /**
   * When the next alarm should run: soon while anything is live or a marker is pending; at the
   * next forgetting or isolate expiry otherwise; never for an empty object.
   */
  nextAlarm(now: number, intervalMs: number): number | undefined {
    let next = Infinity;
    for (const e of this.entries.values()) {
      if (e.stale !== 2) return now + intervalMs;
      next = Math.min(next, e.seen + this.options.forgetAfterMs + 1);
    }
    for (const r of this.isolates.values()) next = Math.min(next, r.at + this.options.isolateRetentionMs + 1);
    return next === Infinity ? undefined : Math.max(next, now + intervalMs);
  }

  /** The current value of a series (tests and the stats endpoint). */
  valueOf(labels: readonly string[]): { kind: SeriesKind; value: number; h?: SparseHistogram; stale: number } | undefined {
    const e = this.entries.get(JSON.stringify(labels));
    return e === undefined ? undefined : { kind: e.kind, value: e.value, ...(e.h === undefined ? {} : { h: e.h }), stale: e.stale };
  }

  /**
   * Write every change since the last call: puts and deletes issued together with no `await`
   * in between, so that Durable Objects commit them as one.
   */
  persist(storage: AggregatorStorage): Promise<unknown> {
    const puts: [string, unknown][] = [];
    for (const key of this.dirty) {
      if (key === SELF_KEY) puts.push([key, { ...this.self }]);
      else if (key.startsWith("i:")) {
        const r = this.isolates.get(key.slice(2));
        if (r !== undefined) puts.push([key, { seq: r.seq, at: r.at }]);
      } else if (key.startsWith("f:")) {
        const f = this.families.get(key.slice(2));
        if (f !== undefined) puts.push([key, { type: f.type, ...(f.help === undefined ? {} : { help: f.help }), ...(f.unit === undefined ? {} : { unit: f.unit }) }]);
      } else {
        const e = this.byKey.get(key);
        if (e !== undefined) puts.push([key, this.stored(e)]);
      }
    }
    const deletes = [...this.deleted];
    this.dirty.clear();
    this.deleted.clear();
    const ops: Promise<unknown>[] = [];
    for (let i = 0; i < puts.length; i += BATCH_KEYS) ops.push(storage.put(Object.fromEntries(puts.slice(i, i + BATCH_KEYS))));
    for (let i = 0; i < deletes.length; i += BATCH_KEYS) ops.push(storage.delete(deletes.slice(i, i + BATCH_KEYS)));
    return Promise.all(ops);
  }

  private stored(e: Entry): StoredEntry {
    e.savedSeen = e.seen;
    return { l: e.labels, f: e.family, k: e.kind, v: e.value, t: e.t, ...(e.h === undefined ? {} : { h: e.h }), seen: e.seen, st: e.stale };
  }
}
