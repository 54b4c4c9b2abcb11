/**
 * The isolate side of aggregation: turns the isolate registry's changes into numbered reports
 * and delivers them to the aggregator object(s), at most one delivery at a time.
 *
 * Exactly-once, with an unreliable hop: a report is numbered (per isolate and aggregator object)
 * when it is made, and kept until the aggregator acknowledges its number. A delivery that failed
 * — whether or not the aggregator got it — is repeated with the same numbers, and the aggregator
 * applies each number once. Changes made while reports wait stay in the registry (nothing is
 * snapshotted past `maxPendingReports`), so an unreachable aggregator costs memory for at most
 * that many reports, and nothing is lost or counted twice. A report the aggregator refuses (4xx:
 * it can never be applied) is dropped and counted.
 */

import type { Registry } from "../../metrics/registry.ts";
import { systemClock, type Clock } from "../../metrics/clock.ts";
import { DeltaTracker } from "./deltas.ts";
import { REPORT_FORMAT_VERSION, REPORT_PATH, shardOf, type FamilyReport, type ReportAck } from "./report.ts";

/** The part of a Durable Object stub the reporter uses. */
export interface AggregatorStub {
  fetch(url: string, init: { method: string; headers: Record<string, string>; body: string }): Promise<Response>;
}

/** Options of {@link AggregateReporter.flush}. */
export interface ReportFlushOptions {
  /** The stub of aggregator object `shard`; made per invocation (Workers forbid I/O objects across requests). */
  readonly stub: (shard: number) => AggregatorStub;
  /** Least time between two flushes, ms. Default 10,000. */
  readonly intervalMs?: number;
  /** Flush even if the interval has not passed (still never two at once). */
  readonly force?: boolean;
  /** Give up on the deliveries after this long, ms (the reports stay for the next flush). Default 25,000. */
  readonly deadlineMs?: number;
}

/** Settings of an {@link AggregateReporter}. */
export interface ReporterOptions {
  /** Aggregator objects families are spread over. Default 1. */
  readonly shards?: number;
  /** Largest request body, bytes; reports are cut to fit. Default 512 KiB (the aggregator takes 1 MiB). */
  readonly maxBatchBytes?: number;
  /** Reports kept per aggregator object while unacknowledged. Default 16. */
  readonly maxPendingReports?: number;
  readonly clock?: Clock;
}

/** What a reporter did so far. */
export interface ReporterStats {
  /** Reports made. */
  readonly reports: number;
  /** Reports the aggregator acknowledged. */
  readonly acknowledged: number;
  /** Deliveries that failed (network, 5xx, timeout): their reports were kept and are sent again. */
  readonly failures: number;
  /** Reports dropped because the aggregator refused them (4xx). */
  readonly refused: number;
  /** Reports waiting for an acknowledgement. */
  readonly pending: number;
  /** Samples left out because they do not aggregate (summary quantiles, `_created`, custom buckets). */
  readonly skipped: number;
  /** Flushes started; calls that found the interval not passed; calls that found one running. */
  readonly flushes: number;
  readonly notDue: number;
  readonly busy: number;
  /** A flush is running. */
  readonly flushing: boolean;
  /** The last delivery error, if the last delivery failed. */
  readonly lastError: string | undefined;
}

/** What one flush did. */
export interface ReportFlushResult {
  /** Reports made by this flush. */
  readonly made: number;
  /** Reports acknowledged by this flush. */
  readonly acknowledged: number;
  /** Reports still waiting. */
  readonly pending: number;
  readonly error?: string;
}

interface Pending {
  readonly seq: number;
  readonly json: string;
}

interface Shard {
  seq: number;
  readonly outbox: Pending[];
}

/** How often a report lists every sample even when unchanged, so the aggregator knows they are alive, ms. */
export const FULL_REPORT_INTERVAL_MS = 60_000;

const DEFAULT_MAX_BATCH_BYTES = 524_288; // 512 KiB

/** UTF-8 length of a string, without encoding it. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1; // surrogate pairs: 2 + 2 = 4
  }
  return n;
}

/**
 * Reports one registry's changes to the aggregator.
 *
 * @example
 * const reporter = new AggregateReporter(iso.registry, () => iso.id, { shards: 2 });
 * const done = reporter.flush({ stub: (i) => env.PROMWIRE_AGGREGATOR.get(env.PROMWIRE_AGGREGATOR.idFromName(`promwire-aggregator-${i}`)) });
 * if (done) ctx.waitUntil(done);
 */
export class AggregateReporter {
  private readonly tracker = new DeltaTracker();
  private readonly shards: Shard[];
  private readonly maxBatchBytes: number;
  private readonly maxPending: number;
  private readonly clock: Clock;
  private inFlight: { since: number; deadlineMs: number } | undefined;
  private lastStart: number | undefined;
  private lastFull: number | undefined;
  private counts = { reports: 0, acknowledged: 0, failures: 0, refused: 0, flushes: 0, notDue: 0, busy: 0 };
  private lastError: string | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly isolateId: () => string,
    options: ReporterOptions = {},
  ) {
    const n = options.shards ?? 1;
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`shards must be a positive integer, got ${String(n)}`);
    this.shards = Array.from({ length: n }, () => ({ seq: 0, outbox: [] }));
    this.maxBatchBytes = Math.max(1024, options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES);
    this.maxPending = Math.max(1, options.maxPendingReports ?? 16);
    this.clock = options.clock ?? systemClock;
  }

  /** Milliseconds until `intervalMs` will have passed since the last flush started (0: due now). */
  nextFlushIn(intervalMs: number): number {
    return this.lastStart === undefined ? 0 : Math.max(0, this.lastStart + intervalMs - this.clock.now());
  }

  get flushing(): boolean {
    return this.inFlight !== undefined;
  }

  stats(): ReporterStats {
    return { ...this.counts, pending: this.shards.reduce((n, s) => n + s.outbox.length, 0), skipped: this.tracker.skipped, flushing: this.flushing, lastError: this.lastError };
  }

  /**
   * Snapshot the changes into reports and deliver every waiting report, if the interval has
   * passed and no other flush is running; else undefined. Hand the promise to `ctx.waitUntil`.
   * It never rejects.
   */
  flush(options: ReportFlushOptions): Promise<ReportFlushResult> | undefined {
    const now = this.clock.now();
    const deadlineMs = options.deadlineMs ?? 25_000;
    if (this.inFlight !== undefined) {
      // A flush cancelled with its request never settles: do not wait for it forever.
      if (now - this.inFlight.since <= 2 * this.inFlight.deadlineMs) {
        this.counts.busy++;
        return undefined;
      }
      this.inFlight = undefined;
    }
    if (!options.force && this.lastStart !== undefined && now - this.lastStart < (options.intervalMs ?? 10_000)) {
      this.counts.notDue++;
      return undefined;
    }
    const mine = { since: now, deadlineMs };
    this.inFlight = mine;
    this.lastStart = now;
    this.counts.flushes++;
    return this.run(options, now, deadlineMs)
      .catch((e: unknown): ReportFlushResult => ({ made: 0, acknowledged: 0, pending: this.stats().pending, error: String(e) }))
      .finally(() => {
        if (this.inFlight === mine) this.inFlight = undefined;
      });
  }

  private async run(options: ReportFlushOptions, now: number, deadlineMs: number): Promise<ReportFlushResult> {
    const made = this.snapshot(now);
    const before = this.counts.acknowledged;
    const deadline = this.clock.monotonic() + deadlineMs;
    const errors = await Promise.all(this.shards.map((s, i) => (s.outbox.length === 0 ? undefined : this.deliver(i, s, options, deadline))));
    const error = errors.find((e) => e !== undefined);
    this.lastError = error;
    return { made, acknowledged: this.counts.acknowledged - before, pending: this.stats().pending, ...(error === undefined ? {} : { error }) };
  }

  /** Turn the registry's changes into reports, unless an outbox is full (the changes then wait in the registry). */
  private snapshot(now: number): number {
    if (this.shards.some((s) => s.outbox.length >= this.maxPending)) return 0;
    const full = this.lastFull === undefined || now - this.lastFull >= FULL_REPORT_INTERVAL_MS;
    if (full) this.lastFull = now;
    const families = this.tracker.take(this.registry.collect(), now, full);
    const perShard: string[][] = this.shards.map(() => []);
    for (const f of families) {
      const parts = perShard[shardOf(f.name, this.shards.length)];
      for (const part of this.familyJson(f)) parts.push(part);
    }
    let made = 0;
    perShard.forEach((parts, i) => {
      const shard = this.shards[i];
      // Pack families into reports that each fit a request on their own.
      let cur: string[] = [];
      let size = 0;
      const close = (): void => {
        if (cur.length === 0) return;
        const seq = ++shard.seq;
        shard.outbox.push({ seq, json: `{"seq":${seq},"time":${now},"families":[${cur.join(",")}]}` });
        made++;
        cur = [];
        size = 0;
      };
      for (const p of parts) {
        const bytes = utf8Length(p);
        if (size + bytes > this.maxBatchBytes - 512) close();
        cur.push(p);
        size += bytes + 1;
      }
      close();
    });
    this.counts.reports += made;
    return made;
  }

  /** A family as JSON, cut into several when it would not fit one request. */
  private familyJson(f: FamilyReport): string[] {
    const whole = JSON.stringify(f);
    const limit = this.maxBatchBytes - 1024;
    if (utf8Length(whole) <= limit) return [whole];
    const out: string[] = [];
    const head = JSON.stringify({ ...f, series: [] }).slice(0, -2); // without the closing `]}`
    let cur: string[] = [];
    let size = head.length;
    for (const s of f.series) {
      const j = JSON.stringify(s);
      const bytes = utf8Length(j) + 1;
      if (cur.length > 0 && size + bytes > limit) {
        out.push(`${head}${cur.join(",")}]}`);
        cur = [];
        size = head.length;
      }
      cur.push(j);
      size += bytes;
    }
    if (cur.length > 0) out.push(`${head}${cur.join(",")}]}`);
    return out;
  }

  /** Send a shard's outbox in batches, oldest first, until it is empty or a delivery fails. */
  private async deliver(index: number, shard: Shard, options: ReportFlushOptions, deadline: number): Promise<string | undefined> {
    let stub: AggregatorStub;
    try {
      stub = options.stub(index);
    } catch (e) {
      this.counts.failures++;
      return `aggregator ${index}: ${e instanceof Error ? e.message : String(e)}`;
    }
    while (shard.outbox.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      for (const p of shard.outbox) {
        const bytes = utf8Length(p.json) + 1;
        if (batch.length > 0 && size + bytes > this.maxBatchBytes - 256) break;
        batch.push(p);
        size += bytes;
      }
      const body = `{"v":${REPORT_FORMAT_VERSION},"isolate":${JSON.stringify(this.isolateId())},"shard":${index},"shards":${this.shards.length},"reports":[${batch.map((p) => p.json).join(",")}]}`;
      const left = deadline - this.clock.monotonic();
      if (left <= 0) return `aggregator ${index}: deadline passed with ${shard.outbox.length} reports waiting`;
      let res: Response;
      try {
        res = await within(stub.fetch(`https://promwire-aggregator${REPORT_PATH}`, { method: "POST", headers: { "content-type": "application/json" }, body }), left);
      } catch (e) {
        this.counts.failures++;
        return `aggregator ${index}: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (res.ok) {
        let ack: Partial<ReportAck> = {};
        try {
          ack = (await res.json()) as Partial<ReportAck>;
        } catch {
          // an answer that is not ours: treat as a failed delivery below
        }
        const acked = typeof ack.acked === "number" ? ack.acked : -1;
        const done = shard.outbox.filter((p) => p.seq <= acked).length;
        if (done === 0) {
          this.counts.failures++;
          return `aggregator ${index}: HTTP ${res.status} without an acknowledgement`;
        }
        shard.outbox.splice(0, done);
        this.counts.acknowledged += done;
        continue;
      }
      const text = (await res.text().catch(() => "")).slice(0, 200);
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        // Refused: these reports can never be applied; keep the rest moving.
        shard.outbox.splice(0, batch.length);
        this.counts.refused += batch.length;
        console.error(`promwire: aggregator ${index} refused ${batch.length} report(s): HTTP ${res.status} ${text}`);
        continue;
      }
      this.counts.failures++;
      return `aggregator ${index}: HTTP ${res.status} ${text}`;
    }
    return undefined;
  }
}

/** `p`, or a rejection after `ms` (the request itself cannot be cancelled: its answer is then ignored). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms)} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
