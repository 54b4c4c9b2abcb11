/**
 * The metrics aggregator: a Durable Object that takes the isolates' reports, keeps the merged
 * totals in its storage and remote-writes them — one series per label set, without an `isolate`
 * label — from an alarm every flush interval.
 *
 * Runtime-agnostic: what it needs of Durable Objects is the small {@link AggregatorContext}
 * (storage with alarms, `blockConcurrencyWhile`), and its writers come from the runtime's
 * `remoteWrite` — so the Workers adapter makes the class in one line and vitest drives it with an
 * in-memory storage.
 *
 * Requests: `POST /report` (JSON batch, see report.ts) → 200 with `{ acked, applied, duplicates }`,
 * or 4xx with `{ error, detail }` for a batch that can never be applied (counted, nothing
 * changed); 500 only if storage failed, in which case nothing was applied either.
 * `GET /stats` → the object's counts as JSON.
 */

import type { RemoteWriteOptions } from "../../client/remote-write/options.ts";
import type { RemoteWriter } from "../../client/remote-write/remote-writer.ts";
import { remoteWriteOptionsFromEnv } from "../../runtime/env-config.ts";
import type { RuntimeRemoteWriteOptions } from "../../runtime/api.ts";
import { systemClock, type Clock } from "../../metrics/clock.ts";
import { closeWithin, DEFAULT_FLUSH_DEADLINE_MS, EDGE_REMOTE_WRITE_DEFAULTS } from "../flush.ts";
import { AggregateState, type AggregatorStorage } from "./aggregate-state.ts";
import { parseBatch, type RefusalRule } from "./report-parse.ts";
import { REPORT_PATH } from "./report.ts";

export type { AggregatorStorage } from "./aggregate-state.ts";

/** The part of a Durable Object's state (`ctx`) the aggregator uses. */
export interface AggregatorContext {
  readonly storage: AggregatorStorage;
  blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
}

/** Options of {@link makeMetricsAggregator} (and `metricsAggregator()` in `promwire/workers`). */
export interface MetricsAggregatorOptions<Env = unknown> {
  /**
   * Remote-write options, or a function of the object's `env` returning them. Without a `url`,
   * it and the credentials come from `env` as for `withMetrics`: `PROMWIRE_REMOTE_WRITE_URL`,
   * `PROMWIRE_USERNAME` / `PROMWIRE_PASSWORD` or `PROMWIRE_BEARER_TOKEN`, `PROMWIRE_PROTOCOL`,
   * `PROMWIRE_EXTERNAL_LABELS`.
   */
  readonly remoteWrite?: Partial<RemoteWriteOptions> | ((env: Env) => Partial<RemoteWriteOptions>);
  /** Time between two remote writes, ms. Default `PROMWIRE_FLUSH_INTERVAL_MS` from `env`, else 10,000. */
  readonly flushIntervalMs?: number;
  /** A label set no isolate reported for this long is marked stale (a stale marker is written), ms. Default 300,000. */
  readonly staleAfterMs?: number;
  /** A stale label set is forgotten after this long without reports; if it comes back it starts from zero, ms. Default 3,600,000. */
  readonly forgetAfterMs?: number;
  /** Label sets per metric family; past it new ones share one `__overflow__` label set. Default 1,000. */
  readonly maxSeriesPerMetric?: number;
  /** Largest report body taken, bytes (larger: 413). Default 1 MiB. */
  readonly maxReportBytes?: number;
  /** Longest time one remote write may take, ms (what is not delivered is sent again by the next alarm). Default 25,000. */
  readonly pushTimeoutMs?: number;
  /** Metric and label name rules reports are checked against (`"utf8"` for Prometheus 3). Default `"legacy"`. */
  readonly nameValidation?: "legacy" | "utf8";
  /** Time source. Default the system clock. */
  readonly clock?: Clock;
}

/** Makes a writer: the runtime's `remoteWrite`. */
export type AggregatorWriterFactory = (options: RuntimeRemoteWriteOptions) => RemoteWriter;

/** What the aggregator's `GET /stats` answers. */
export interface AggregatorStats {
  readonly shard: number | undefined;
  readonly shards: number | undefined;
  readonly series: { readonly live: number; readonly stale: number };
  readonly families: number;
  readonly isolates: number;
  readonly reports: { readonly applied: number; readonly duplicates: number };
  readonly refused: Readonly<Record<string, number>>;
  readonly overflow: Readonly<Record<string, number>>;
  readonly writes: { readonly ok: number; readonly failed: number };
  readonly lastWrite: { readonly at: number; readonly samples: number; readonly sent: number; readonly failed: number; readonly error?: string } | undefined;
  readonly alarmAt: number | null;
}

/** The class a Worker re-exports and binds as a Durable Object. */
export interface MetricsAggregatorClass {
  new (ctx: AggregatorContext, env: unknown): MetricsAggregatorObject;
}

/** A Durable Object instance: `fetch` for reports and stats, `alarm` for the remote write. */
export interface MetricsAggregatorObject {
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

const DEFAULTS = {
  flushIntervalMs: 10_000,
  staleAfterMs: 300_000,
  forgetAfterMs: 3_600_000,
  maxSeriesPerMetric: 1_000,
  maxReportBytes: 1_048_576, // 1 MiB (literals: a bundler keeps an unused `a * b` at top level)
  pushTimeoutMs: DEFAULT_FLUSH_DEADLINE_MS,
} as const;

/** An isolate's last report number is kept this long, ms: far longer than an isolate lives. */
const ISOLATE_RETENTION_MS = 172_800_000; // 2 days
/** Fewest ms between alarms, whatever the configuration says. */
const MIN_INTERVAL_MS = 100;

const STATUS: Record<RefusalRule, number> = {
  method: 405,
  "content-type": 415,
  "too-large": 413,
  "not-json": 400,
  version: 400,
  "isolate-invalid": 400,
  "shard-invalid": 400,
  "reports-invalid": 400,
  "family-invalid": 400,
  "series-invalid": 400,
  "labels-invalid": 400,
  "value-invalid": 400,
  "histogram-invalid": 400,
  "too-many-series": 413,
};

function envString(env: unknown, name: string): string | undefined {
  const v = (env as Record<string, unknown> | undefined)?.[name];
  return typeof v === "string" ? v : undefined;
}

/** The body as text, or undefined when it is longer than `max` bytes (read no further than that). */
async function readLimited(request: Request, max: number): Promise<string | undefined> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > max) return undefined;
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(all);
}

/**
 * The aggregator Durable Object, for a runtime's writers: the Workers adapter exports
 * `MetricsAggregator` (a subclass with its `remoteWrite`, configured from `env`) and
 * `metricsAggregator(options)`. A class to extend, not one made by a function call, so that a
 * bundler drops it from Workers that never name it.
 *
 * @example
 * export class MetricsAggregator extends MetricsAggregatorBase {
 *   constructor(ctx: AggregatorContext, env: unknown) { super(ctx, env, remoteWrite, { staleAfterMs: 600_000 }); }
 * }
 */
export class MetricsAggregatorBase implements MetricsAggregatorObject {
  private state: AggregateState | undefined;
  private readonly ready: Promise<unknown>;
  private alarmAt: number | null = null;
  private lastWrite: AggregatorStats["lastWrite"];
  private readonly clock: Clock;
  private readonly o: Required<Omit<MetricsAggregatorOptions, "remoteWrite" | "nameValidation" | "flushIntervalMs" | "clock">> & { readonly intervalMs: number };

  constructor(
    private readonly ctx: AggregatorContext,
    private readonly env: unknown,
    private readonly remoteWrite: AggregatorWriterFactory,
    private readonly options: MetricsAggregatorOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    const fromEnv = Number(envString(env, "PROMWIRE_FLUSH_INTERVAL_MS") ?? NaN);
    const interval = options.flushIntervalMs ?? (Number.isFinite(fromEnv) && fromEnv >= 0 ? fromEnv : DEFAULTS.flushIntervalMs);
    this.o = {
      intervalMs: Math.max(MIN_INTERVAL_MS, interval),
      staleAfterMs: options.staleAfterMs ?? DEFAULTS.staleAfterMs,
      forgetAfterMs: options.forgetAfterMs ?? DEFAULTS.forgetAfterMs,
      maxSeriesPerMetric: options.maxSeriesPerMetric ?? DEFAULTS.maxSeriesPerMetric,
      maxReportBytes: options.maxReportBytes ?? DEFAULTS.maxReportBytes,
      pushTimeoutMs: options.pushTimeoutMs ?? DEFAULTS.pushTimeoutMs,
    };
    // No request or alarm is delivered before the stored state is in memory.
    this.ready = ctx.blockConcurrencyWhile(async () => {
      this.state = await AggregateState.load(ctx.storage, {
        maxSeriesPerMetric: this.o.maxSeriesPerMetric,
        staleAfterMs: this.o.staleAfterMs,
        forgetAfterMs: Math.max(this.o.forgetAfterMs, this.o.staleAfterMs),
        isolateRetentionMs: ISOLATE_RETENTION_MS,
      });
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  async fetch(request: Request): Promise<Response> {
    await this.ready;
    const state = this.state as AggregateState;
    const url = new URL(request.url);
    if (url.pathname === "/stats" && request.method === "GET") return Response.json(this.stats(state));
    if (url.pathname !== REPORT_PATH) return Response.json({ error: "not-found", detail: `POST ${REPORT_PATH} or GET /stats` }, { status: 404 });
    const refuse = async (rule: RefusalRule, detail: string): Promise<Response> => {
      state.refused(rule);
      await state.persist(this.ctx.storage);
      return Response.json({ error: rule, detail }, { status: STATUS[rule] });
    };
    if (request.method !== "POST") return refuse("method", `${request.method} ${REPORT_PATH}: use POST`);
    const type = request.headers.get("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) return refuse("content-type", `content-type must be application/json, got ${JSON.stringify(type)}`);
    const text = await readLimited(request, this.o.maxReportBytes);
    if (text === undefined) return refuse("too-large", `body larger than ${this.o.maxReportBytes} bytes`);
    const batch = parseBatch(text, { maxSeries: 200_000, nameValidation: this.options.nameValidation ?? "legacy" });
    if ("rule" in batch) return refuse(batch.rule, batch.detail);
    const now = this.clock.now();
    const ack = state.apply(batch, now);
    const writes = state.persist(this.ctx.storage);
    const alarm = this.alarmAt === null ? this.schedule(now + this.o.intervalMs) : undefined;
    // Answered only once stored: an acknowledged report survives any restart.
    await Promise.all([writes, alarm]);
    return Response.json(ack);
  }

  private schedule(at: number): Promise<void> {
    this.alarmAt = at;
    return this.ctx.storage.setAlarm(at);
  }

  async alarm(): Promise<void> {
    await this.ready;
    const state = this.state as AggregateState;
    this.alarmAt = null;
    const now = this.clock.now();
    try {
      state.tick(now);
      const out = state.output(now);
      if (out.series.length > 0) {
        let writer: RemoteWriter | undefined;
        try {
          writer = this.writer(out.samples);
          writer.write(out.series, out.metadata);
          const r = await closeWithin(writer, { deadlineMs: this.o.pushTimeoutMs, clock: this.clock });
          const ok = r.failed === 0 && r.dropped === 0;
          // Totals need no retry of their own: the next alarm writes them again, newer.
          if (ok) state.markersDelivered(out.markers);
          state.wrote(ok);
          this.lastWrite = { at: now, samples: out.samples, sent: r.sent, failed: r.failed + r.dropped };
        } catch (e) {
          await writer?.close({ timeoutMs: 0 }).catch(() => undefined);
          state.wrote(false);
          const error = e instanceof Error ? e.message : String(e);
          this.lastWrite = { at: now, samples: out.samples, sent: 0, failed: out.samples, error };
          console.error(`promwire: aggregator could not write: ${error}`);
        }
      }
    } finally {
      const when = state.nextAlarm(this.clock.now(), this.o.intervalMs);
      await Promise.all([state.persist(this.ctx.storage), when === undefined || this.alarmAt !== null ? undefined : this.schedule(when)]);
    }
  }

  private writer(samples: number): RemoteWriter {
    const given = typeof this.options.remoteWrite === "function" ? this.options.remoteWrite(this.env) : (this.options.remoteWrite ?? {});
    const resolved = remoteWriteOptionsFromEnv((name) => envString(this.env, name), given);
    return this.remoteWrite({
      ...EDGE_REMOTE_WRITE_DEFAULTS,
      maxSamplesPerRequest: 2_000,
      // Every series is written each time: room for all of them.
      maxPendingSamples: Math.max(EDGE_REMOTE_WRITE_DEFAULTS.maxPendingSamples, 2 * samples),
      ...resolved,
      flushOnExit: false,
    });
  }

  private stats(state: AggregateState): AggregatorStats {
    const c = state.counts(this.clock.now());
    const s = state.selfCounts;
    return {
      shard: s.shard,
      shards: s.shards,
      series: { live: c.live, stale: c.stale },
      families: c.families,
      isolates: c.isolates,
      reports: { applied: s.applied, duplicates: s.duplicates },
      refused: { ...s.refused },
      overflow: { ...s.overflow },
      writes: { ok: s.writesOk, failed: s.writesFailed },
      lastWrite: this.lastWrite,
      alarmAt: this.alarmAt,
    };
  }
}
