/**
 * The remote-write writer, Promise API. Writes enqueue and return at once; an Effect loop
 * (sender.ts) batches, sends and retries in the background; `flush()` and `close()` wait for it.
 */

import * as Effect from "effect/Effect";
import * as Fiber from "effect/Fiber";
import { ClosedError, RejectedError } from "../errors.ts";
import { WriteRequestEncoder } from "../wire/encode.ts";
import { compareUtf8, getLabel } from "../wire/label-rules.ts";
import { MetadataIndex } from "../wire/metadata.ts";
import type { Labels, MetricMetadata, ProtocolVersion, Series } from "../wire/types.ts";
import { splitUrlCredentials } from "./auth.ts";
import { seriesFromFamilies, seriesFromText } from "./families.ts";
import type { FetchLike } from "./http.ts";
import type { Entry } from "./pending.ts";
import { resolveOptions, type RemoteWriteOptions, type WriterStats } from "./remote-write-options.ts";
import type { Collectable } from "./self-metrics.ts";
import { senderLoop, type SenderDeps } from "./sender.ts";
import { WriterState } from "./writer-state.ts";

/** Options of {@link RemoteWriter.close}. */
export interface CloseOptions {
  /**
   * Before stopping, send a stale marker for every series this writer delivered, so that a
   * finished job's series end at once instead of lingering for 5 minutes in queries.
   */
  readonly markStale?: boolean;
  /**
   * Stop waiting after this long, ms: the attempt in flight is aborted and whatever is not yet
   * delivered is counted as failed (reported once to `onError`, reason `"closed"`). Default: wait
   * until everything is delivered or its retry budget is spent.
   */
  readonly timeoutMs?: number;
}

/** A remote-write writer. */
export interface RemoteWriter {
  /** Snapshot a registry (or any {@link Collectable}) now, stamp it with the current time, enqueue. */
  collect(source: Collectable): void;
  /** Enqueue series as they are. `metadata` describes their families (sent per request). */
  write(series: readonly Series[], metadata?: readonly MetricMetadata[]): void;
  /** Parse Prometheus text or OpenMetrics and enqueue it; samples without a timestamp get the current time. */
  writeText(text: string): void;
  /** Resolves once everything enqueued before the call is delivered, failed or dropped. */
  flush(): Promise<WriterStats>;
  /** Flush, refuse further data, stop. Idempotent: every call returns the same promise. */
  close(options?: CloseOptions): Promise<WriterStats>;
  /** Counts so far. */
  stats(): WriterStats;
  /** The writer's own metrics (`promwire_samples_sent_total`, …), to push along or expose. */
  readonly metrics: Collectable;
  /** The protocol in use: `"v1"` after a v2 → v1 fallback. */
  readonly protocol: ProtocolVersion;
  /** True once `close()` was called: writes throw {@link ClosedError}. */
  readonly closed: boolean;
}

function sortedPairs(record: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(record ?? {}).sort((a, b) => compareUtf8(a[0], b[0]));
}

/** Merge external labels into sorted series labels; the series' own label wins. */
function mergeLabels(labels: Labels, external: readonly [string, string][]): Labels {
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

/** Starts the sender loop: on Effect's default runtime, or inside an Effect user's context. */
export type LoopRunner = (loop: Effect.Effect<void>) => Fiber.Fiber<void>;

/**
 * Create a remote-write writer.
 *
 * @example
 * const rw = remoteWrite({ url: "http://localhost:9090/api/v1/write", auth: { username, password } });
 * rw.collect(registry);   // returns at once
 * await rw.close();       // flush, then stop
 */
export function remoteWrite(options: RemoteWriteOptions): RemoteWriter {
  return makeRemoteWriter(options, (loop) => Effect.runFork(loop));
}

/**
 * {@link remoteWrite} with a chosen loop runner (see `effect.ts`).
 * @example const rw = makeRemoteWriter({ url }, (loop) => Effect.runForkWith(context)(loop));
 */
export function makeRemoteWriter(options: RemoteWriteOptions, run: LoopRunner): RemoteWriter {
  const resolved = resolveOptions(options);
  const { url, auth } = splitUrlCredentials(options.url, options.auth);
  const now = options.now ?? Date.now;
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const state = new WriterState(resolved.protocol, resolved.maxPendingSamples);
  const external = sortedPairs(options.externalLabels);
  const deps: SenderDeps = {
    url,
    http: { fetch: fetchFn, auth, headers: options.headers, timeoutMs: resolved.timeoutMs, now },
    options: resolved,
    encoder: new WriteRequestEncoder(),
    now,
    random: options.random ?? Math.random,
    // Without an onError, failures are logged: silently losing data is the one thing not to do.
    onError: options.onError ?? ((e) => (options.log ?? console.warn)(`promwire: ${e.message}`)),
    onRetry: options.onRetry,
    log: options.log ?? ((m) => console.warn(m)),
  };
  let fiber: Fiber.Fiber<void> | undefined;
  let closing: Promise<WriterStats> | undefined;
  const metadataByName = new Map<string, MetricMetadata>();

  const push = (e: Omit<Entry, "seq" | "at">): number => {
    const t = now();
    if (state.queue.isEmpty) state.queueSince = t;
    return state.queue.push({ ...e, at: t });
  };

  const enqueue = (series: readonly Series[], metadata: readonly MetricMetadata[] | undefined): void => {
    const index = metadata !== undefined && metadata.length > 0 ? new MetadataIndex(metadata) : undefined;
    const max = resolved.maxSamplesPerRequest;
    const wasEmpty = state.queue.isEmpty;
    let dropped = 0;
    const policy = options.timestamps;
    const stampedAt = policy === undefined ? 0 : now();
    for (const s of series) {
      const labels = mergeLabels(s.labels, external);
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
      const name = getLabel(s.labels, "__name__") ?? "";
      let meta: MetricMetadata | undefined;
      if (s.metadata !== undefined) {
        meta = metadataByName.get(name);
        if (meta === undefined || meta.type !== s.metadata.type || meta.help !== s.metadata.help || meta.unit !== s.metadata.unit) {
          meta = { metricFamilyName: name, ...s.metadata };
          metadataByName.set(name, meta);
        }
      } else if (index !== undefined) {
        // The index hands back the very MetricMetadata objects it was built from.
        meta = index.lookup(name) as MetricMetadata | undefined;
      }
      const exemplars = s.exemplars ?? [];
      if (samples.length + histograms.length <= max) {
        dropped += push({ labels, samples, histograms, exemplars, metadata: meta });
        continue;
      }
      for (let i = 0; i < samples.length; i += max) {
        dropped += push({ labels, samples: samples.slice(i, i + max), histograms: [], exemplars: i === 0 ? exemplars : [], metadata: meta });
      }
      for (let i = 0; i < histograms.length; i += max) {
        dropped += push({ labels, samples: [], histograms: histograms.slice(i, i + max), exemplars: [], metadata: meta });
      }
    }
    state.metrics.pending = state.queue.samples;
    if (state.queue.isEmpty && dropped === 0) return;
    if (dropped > 0) {
      state.metrics.samplesDropped += dropped;
      try {
        options.onDrop?.(dropped);
      } catch {
        // A throwing callback must not break the caller's write.
      }
    }
    fiber ??= run(senderLoop(state, deps));
    if (wasEmpty || state.queue.samples >= max) state.signal();
  };

  const guard = (): void => {
    if (state.closed) throw new ClosedError();
  };

  const writer: RemoteWriter = {
    collect(source) {
      guard();
      const { series, metadata } = seriesFromFamilies(source.collect(), now(), state.protocol);
      enqueue(series, metadata);
    },
    write(series, metadata) {
      guard();
      enqueue(series, metadata);
    },
    writeText(text) {
      guard();
      const { series, metadata } = seriesFromText(text, now(), state.protocol);
      enqueue(series, metadata);
    },
    async flush() {
      await state.whenSettled();
      return state.stats();
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        state.closed = true;
        let gaveUp = false;
        const drain = async (): Promise<void> => {
          await state.whenSettled();
          if (!gaveUp && closeOptions.markStale && state.delivered.size > 0) {
            const t = now();
            const stale: Series[] = [];
            for (const { labels, last } of state.delivered.values()) {
              stale.push({ labels, samples: [{ value: Number.NaN, timestamp: Math.max(t, last + 1), stale: true }] });
            }
            // Labels already carry the external labels; merging again is a no-op.
            enqueue(stale, undefined);
            await state.whenSettled();
          }
        };
        const limit = closeOptions.timeoutMs;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut =
          limit === undefined
            ? false
            : await Promise.race([
                drain().then(() => false),
                new Promise<boolean>((resolve) => {
                  timer = setTimeout(() => resolve(true), limit);
                }),
              ]);
        if (limit === undefined) await drain();
        if (timer !== undefined) clearTimeout(timer);
        if (timedOut) {
          gaveUp = true;
          if (fiber !== undefined) await Effect.runPromise(Fiber.interrupt(fiber));
          fiber = undefined;
          const lost = state.abandon();
          if (lost > 0) {
            try {
              options.onError?.(new RejectedError("closed", lost, 0), { samples: lost, attempts: 0 });
            } catch {
              // ignore
            }
          }
        }
        state.stopping = true;
        state.signal();
        if (fiber !== undefined) await Effect.runPromise(Fiber.join(fiber));
        return state.stats();
      })();
      return closing;
    },
    stats: () => state.stats(),
    metrics: {
      collect: () => {
        state.metrics.pending = state.queue.samples;
        return state.metrics.collect();
      },
    },
    get protocol() {
      return state.protocol;
    },
    get closed() {
      return state.closed;
    },
  };
  return writer;
}

