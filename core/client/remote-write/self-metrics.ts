/**
 * The writer's own metrics, as exposition families a user can push along (`rw.collect(rw.metrics)`)
 * or expose. Names follow Prometheus' `prometheus_remote_storage_*` counterparts.
 */

import type { ExpositionSample, MetricFamily } from "../../exposition/model.ts";
import type { Collectable } from "../../metrics/collectable.ts";

/** Request duration buckets, seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class SelfMetrics implements Collectable {
  samplesSent = 0;
  samplesFailed = 0;
  samplesDropped = 0;
  samplesRetried = 0;
  retries = 0;
  pending = 0;
  /** Batches in flight now (shards in use). */
  shards = 0;
  /** Samples written to the spool, delivered from it, and deleted from it to stay under `maxBytes`. */
  spooled = 0;
  resent = 0;
  evicted = 0;
  private readonly bucketCounts = new Array<number>(BUCKETS.length).fill(0);
  private durationSum = 0;
  private durationCount = 0;

  /** Record one attempt's duration in seconds. */
  observeDuration(seconds: number): void {
    this.durationSum += seconds;
    this.durationCount++;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) this.bucketCounts[i]++;
  }

  /** The families; `maxShards` is the writer's, `extra` families (the spool's) are appended. */
  collect(maxShards = 1, extra: readonly MetricFamily[] = []): MetricFamily[] {
    const counter = (name: string, help: string, value: number): MetricFamily => ({
      name,
      type: "counter",
      help,
      samples: [{ name, labels: [], value }],
    });
    const buckets: ExpositionSample[] = BUCKETS.map((le, i) => ({
      name: "promwire_request_duration_seconds_bucket",
      labels: ["le", String(le)],
      value: this.bucketCounts[i],
    }));
    buckets.push({ name: "promwire_request_duration_seconds_bucket", labels: ["le", "+Inf"], value: this.durationCount });
    const gauge = (name: string, help: string, value: number): MetricFamily => ({
      name,
      type: "gauge",
      help,
      samples: [{ name, labels: [], value }],
    });
    return [
      counter("promwire_samples_sent_total", "Samples the receiver accepted.", this.samplesSent),
      counter("promwire_samples_failed_total", "Samples given up on: refused, undeliverable within the retry budget, or unencodable.", this.samplesFailed),
      counter("promwire_samples_dropped_total", "Oldest pending samples dropped to stay under the pending limit.", this.samplesDropped),
      counter("promwire_samples_retried_total", "Samples sent again after a failed attempt.", this.samplesRetried),
      counter("promwire_retries_total", "Requests sent again after a failed attempt.", this.retries),
      gauge("promwire_samples_pending", "Samples waiting to be sent.", this.pending),
      gauge("promwire_shards", "Requests in flight now (shards in use).", this.shards),
      gauge("promwire_shards_max", "Requests in flight at most (the shards option).", maxShards),
      ...extra,
      {
        name: "promwire_request_duration_seconds",
        type: "histogram",
        help: "Duration of remote-write attempts.",
        samples: [
          ...buckets,
          { name: "promwire_request_duration_seconds_sum", labels: [], value: this.durationSum },
          { name: "promwire_request_duration_seconds_count", labels: [], value: this.durationCount },
        ],
      },
    ];
  }
}
