/**
 * Turning pending entries into request bodies (plain TS: the encode path stays out of Effect).
 * A batch that breaks a remote-write rule is narrowed down to the offending series, which are
 * reported and never sent — Prometheus answers 500 to some malformed input, and a retry loop on
 * it would never end. A body over the size limit is split in halves until each part fits.
 */

import { EncodeError, RejectedError } from "../../errors.ts";
import type { NameValidation } from "../../wire/label-rules.ts";
import { compress } from "../../wire/snappy.ts";
import type { WriteRequestEncoder } from "../../wire/encode.ts";
import type { MetricMetadata, ProtocolVersion, Series } from "../../wire/types.ts";
import { createdSeriesFromStartTimestamps } from "../../exposition/to-series.ts";
import { entrySize, type Entry } from "./pending.ts";

/** One request body ready to send, and what it carries. */
export interface EncodedRequest {
  readonly version: ProtocolVersion;
  readonly entries: readonly Entry[];
  readonly floatSamples: number;
  readonly histogramSamples: number;
  /** Snappy-compressed protobuf. */
  readonly body: Uint8Array;
  /** Uncompressed size. */
  readonly rawBytes: number;
}

/** Entries that will never be sent, and why. */
export interface RejectedEntries {
  readonly entries: readonly Entry[];
  readonly error: EncodeError | RejectedError;
}

export interface EncodeOutcome {
  readonly requests: EncodedRequest[];
  readonly rejected: RejectedEntries[];
}

export interface BatchEncodeOptions {
  readonly version: ProtocolVersion;
  /** Largest uncompressed body to send. */
  readonly maxBytes: number;
  readonly nameValidation: NameValidation;
}

function toSeries(e: Entry): Series {
  return { labels: e.labels, samples: e.samples, histograms: e.histograms, exemplars: e.exemplars };
}

function metadataOf(entries: readonly Entry[]): MetricMetadata[] {
  const set = new Set<MetricMetadata>();
  for (const e of entries) if (e.metadata !== undefined) set.add(e.metadata);
  return [...set];
}

function splitEntry(e: Entry): [Entry, Entry] {
  const n = entrySize(e);
  const half = Math.ceil(n / 2);
  const s1 = Math.min(half, e.samples.length);
  const h1 = half - s1;
  return [
    { ...e, samples: e.samples.slice(0, s1), histograms: e.histograms.slice(0, h1) },
    { ...e, samples: e.samples.slice(s1), histograms: e.histograms.slice(h1), exemplars: [] },
  ];
}

/**
 * Encode entries into one or more compressed requests.
 * @example const { requests, rejected } = encodeBatch(encoder, queue.take(2000), { version: "v1", maxBytes: 4 << 20, nameValidation: "legacy" });
 */
export function encodeBatch(encoder: WriteRequestEncoder, entries: readonly Entry[], options: BatchEncodeOptions): EncodeOutcome {
  const out: EncodeOutcome = { requests: [], rejected: [] };
  encodeInto(encoder, entries, options, out);
  return out;
}

/** Series for the request; in v1, start timestamps come back as `_created` series (see to-series.ts). */
function requestSeries(entries: readonly Entry[], version: ProtocolVersion): Series[] {
  const series = entries.map(toSeries);
  if (version !== "v1") return series;
  const created = createdSeriesFromStartTimestamps(series, (i) => entries[i].metadata);
  return created.length === 0 ? series : [...series, ...created];
}

function encodeInto(encoder: WriteRequestEncoder, entries: readonly Entry[], options: BatchEncodeOptions, out: EncodeOutcome): void {
  if (entries.length === 0) return;
  let view: Uint8Array;
  try {
    view = encoder.encodeView(requestSeries(entries, options.version), {
      version: options.version,
      metadata: metadataOf(entries),
      nameValidation: options.nameValidation,
    });
  } catch (err) {
    if (!(err instanceof EncodeError)) throw err;
    if (entries.length === 1) {
      out.rejected.push({ entries, error: err });
      return;
    }
    // Narrow down: encode each entry alone, keep the good ones.
    const good: Entry[] = [];
    for (const e of entries) {
      try {
        encoder.encodeView(requestSeries([e], options.version), { version: options.version, metadata: metadataOf([e]), nameValidation: options.nameValidation });
        good.push(e);
      } catch (inner) {
        if (!(inner instanceof EncodeError)) throw inner;
        out.rejected.push({ entries: [e], error: inner });
      }
    }
    if (good.length < entries.length) encodeInto(encoder, good, options, out);
    else throw err; // Only the combination fails (cannot happen with per-series rules); surface it.
    return;
  }
  if (view.length > options.maxBytes) {
    if (entries.length > 1) {
      const mid = entries.length >> 1;
      encodeInto(encoder, entries.slice(0, mid), options, out);
      encodeInto(encoder, entries.slice(mid), options, out);
      return;
    }
    const e = entries[0];
    if (entrySize(e) > 1) {
      const [a, b] = splitEntry(e);
      encodeInto(encoder, [a], options, out);
      encodeInto(encoder, [b], options, out);
      return;
    }
    out.rejected.push({ entries, error: new RejectedError("too-large", entrySize(e), 0) });
    return;
  }
  let floatSamples = 0;
  let histogramSamples = 0;
  for (const e of entries) {
    floatSamples += e.samples.length;
    histogramSamples += e.histograms.length;
  }
  out.requests.push({ version: options.version, entries, floatSamples, histogramSamples, body: compress(view), rawBytes: view.length });
}
