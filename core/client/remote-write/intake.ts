/**
 * What happens to series when a writer takes them: external labels merged in, the timestamp
 * policy applied, metadata attached once per family, series longer than a request cut into
 * request-sized entries, and the pending limit enforced (oldest samples dropped and counted).
 * Plain code on the shared state: a write never waits.
 */

import { compareUtf8, getLabel } from "../../wire/label-rules.ts";
import { MetadataIndex } from "../../wire/metadata.ts";
import type { Labels, MetricMetadata, Series } from "../../wire/types.ts";
import { notify } from "./notify.ts";
import type { RemoteWriteOptions, ResolvedOptions } from "./options.ts";
import type { Entry } from "./pending.ts";
import type { WriterState } from "./state.ts";

function sortedPairs(record: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(record ?? {}).sort((a, b) => compareUtf8(a[0], b[0]));
}

/**
 * Merge external labels into sorted series labels; the series' own label wins (as Prometheus'
 * `external_labels`).
 * @example mergeLabels(["__name__", "up"], [["job", "api"]]) // ["__name__", "up", "job", "api"]
 */
export function mergeLabels(labels: Labels, external: readonly [string, string][]): Labels {
  if (external.length === 0) return labels;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < labels.length || j < external.length) {
    const order = i >= labels.length ? 1 : j >= external.length ? -1 : compareUtf8(labels[i], external[j][0]);
    if (order < 0) {
      out.push(labels[i], labels[i + 1]);
      i += 2;
    } else if (order > 0) {
      out.push(external[j][0], external[j][1]);
      j++;
    } else {
      out.push(labels[i], labels[i + 1]);
      i += 2;
      j++;
    }
  }
  return out;
}

/** A writer's intake: turns written series into pending entries. */
export class Intake {
  private readonly external: [string, string][];
  /** Metadata per family name, reused while it does not change (the encoder dedupes by identity). */
  private readonly metadataByName = new Map<string, MetricMetadata>();

  constructor(
    private readonly state: WriterState,
    private readonly options: RemoteWriteOptions,
    private readonly resolved: ResolvedOptions,
    private readonly now: () => number,
  ) {
    this.external = sortedPairs(options.externalLabels);
  }

  private push(e: Omit<Entry, "seq" | "at">): number {
    const t = this.now();
    if (this.state.queue.isEmpty) this.state.queueSince = t;
    return this.state.queue.push({ ...e, at: t });
  }

  /**
   * Enqueue series. Returns whether the sender loop should be woken now (new data on an empty
   * queue, or a full request's worth waiting) rather than at the flush deadline.
   */
  add(series: readonly Series[], metadata: readonly MetricMetadata[] | undefined): boolean {
    const { state, options } = this;
    const index = metadata !== undefined && metadata.length > 0 ? new MetadataIndex(metadata) : undefined;
    const max = this.resolved.maxSamplesPerRequest;
    const wasEmpty = state.queue.isEmpty;
    let dropped = 0;
    const policy = options.timestamps;
    const stampedAt = policy === undefined ? 0 : this.now();
    for (const s of series) {
      const labels = mergeLabels(s.labels, this.external);
      let samples = s.samples ?? [];
      let histograms = s.histograms ?? [];
      if (samples.length + histograms.length === 0) continue;
      if (policy !== undefined) {
        // Restamp against what was sent before (after external labels: the series as sent).
        const stamped = policy.apply([{ labels, samples, histograms }], stampedAt)[0];
        if (stamped === undefined) continue;
        samples = stamped.samples ?? [];
        histograms = stamped.histograms ?? [];
      }
      const meta = this.metadataFor(s, index);
      const exemplars = s.exemplars ?? [];
      if (samples.length + histograms.length <= max) {
        dropped += this.push({ labels, samples, histograms, exemplars, metadata: meta });
        continue;
      }
      for (let i = 0; i < samples.length; i += max) {
        dropped += this.push({ labels, samples: samples.slice(i, i + max), histograms: [], exemplars: i === 0 ? exemplars : [], metadata: meta });
      }
      for (let i = 0; i < histograms.length; i += max) {
        dropped += this.push({ labels, samples: [], histograms: histograms.slice(i, i + max), exemplars: [], metadata: meta });
      }
    }
    state.metrics.pending = state.queue.samples;
    if (dropped > 0) {
      state.metrics.samplesDropped += dropped;
      notify(options.onDrop, dropped, "pending-limit");
    }
    return wasEmpty || state.queue.samples >= max;
  }

  private metadataFor(s: Series, index: MetadataIndex | undefined): MetricMetadata | undefined {
    const name = getLabel(s.labels, "__name__") ?? "";
    if (s.metadata !== undefined) {
      let meta = this.metadataByName.get(name);
      if (meta === undefined || meta.type !== s.metadata.type || meta.help !== s.metadata.help || meta.unit !== s.metadata.unit) {
        meta = { metricFamilyName: name, ...s.metadata };
        this.metadataByName.set(name, meta);
      }
      return meta;
    }
    // The index hands back the very MetricMetadata objects it was built from.
    return index?.lookup(name) as MetricMetadata | undefined;
  }
}
