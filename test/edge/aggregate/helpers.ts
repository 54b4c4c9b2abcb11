// Shared pieces of the aggregation tests: a fake clock, writers that record what the aggregator
// writes (or fail, as an unreachable receiver does), and readers of the written series.
import type { WriterStats } from "../../../core/client/remote-write/options.ts";
import type { RemoteWriter } from "../../../core/client/remote-write/remote-writer.ts";
import { MetricsAggregatorBase, type MetricsAggregatorOptions } from "../../../core/edge/aggregate/aggregator.ts";
import type { RuntimeRemoteWriteOptions } from "../../../core/runtime/api.ts";
import type { Clock } from "../../../core/metrics/clock.ts";
import type { MetricMetadata, Series } from "../../../core/wire/types.ts";
import { MemoryNamespace } from "../../support/memory-durable-object.ts";

export class FakeClock implements Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  monotonic(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface Written {
  readonly series: readonly Series[];
  readonly metadata: readonly MetricMetadata[];
  readonly options: RuntimeRemoteWriteOptions;
  readonly delivered: boolean;
}

/** Writers that record each write; while `down`, every write fails (nothing delivered). */
export class CaptureWriters {
  readonly writes: Written[] = [];
  down = false;

  readonly factory = (options: RuntimeRemoteWriteOptions): RemoteWriter => {
    let samples = 0;
    let written: { series: readonly Series[]; metadata: readonly MetricMetadata[] } | undefined;
    let closed = false;
    const zero: WriterStats = { sent: 0, retried: 0, failed: 0, dropped: 0, pending: 0, requests: 0, retries: 0, abandoned: 0, spooled: 0, resent: 0, evicted: 0 };
    let stats = zero;
    return {
      collect() {
        throw new Error("not used by the aggregator");
      },
      collectEvery() {
        throw new Error("not used by the aggregator");
      },
      write: (series, metadata = []) => {
        written = { series, metadata };
        for (const s of series) samples += (s.samples?.length ?? 0) + (s.histograms?.length ?? 0);
      },
      writeText() {
        throw new Error("not used by the aggregator");
      },
      flush: async () => stats,
      close: async () => {
        if (!closed) {
          closed = true;
          const delivered = !this.down;
          if (written !== undefined) this.writes.push({ ...written, options, delivered });
          stats = delivered ? { ...zero, sent: samples } : { ...zero, failed: samples };
        }
        return stats;
      },
      stats: () => stats,
      metrics: { collect: () => [] },
      protocol: "v1",
      get closed() {
        return closed;
      },
    };
  };

  /** The last delivered write. */
  last(): Written | undefined {
    return this.writes.filter((w) => w.delivered).at(-1);
  }
}

/** `name{a="1"}` for flat labels with `__name__`. */
export function seriesKey(labels: readonly string[]): string {
  let name = "";
  const rest: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === "__name__") name = labels[i + 1];
    else rest.push(`${labels[i]}=${JSON.stringify(labels[i + 1])}`);
  }
  return `${name}{${rest.join(",")}}`;
}

/** Float values of a write by series key (stale markers as "stale"). */
export function floatValues(w: Written | undefined): Map<string, number | "stale"> {
  const out = new Map<string, number | "stale">();
  for (const s of w?.series ?? []) {
    const last = s.samples?.at(-1);
    if (last !== undefined) out.set(seriesKey(s.labels), last.stale ? "stale" : last.value);
  }
  return out;
}

/** An in-memory namespace of aggregator objects writing through `writers`. */
export function aggregatorNamespace(writers: CaptureWriters, options: MetricsAggregatorOptions = {}, env: Record<string, string> = { PROMWIRE_REMOTE_WRITE_URL: "http://receiver.test/api/v1/write" }): MemoryNamespace {
  return new MemoryNamespace((ctx) => new MetricsAggregatorBase(ctx, env, writers.factory, options));
}
