/**
 * Remote-write request encoding, both protocol versions. The encoder owns reusable buffers and
 * caches; {@link encodeWriteRequest} uses a shared one and returns a copy.
 */

import type { NameValidation } from "./label-rules.ts";
import { LabelReuse } from "./label-reuse.ts";
import { MetadataIndex } from "./metadata.ts";
import { ProtoWriter } from "./proto-writer.ts";
import { SeriesRules } from "./series-rules.ts";
import { SteadyPlanV1 } from "./steady-v1.ts";
import { encodeSeriesListV1 } from "./encode-v1.ts";
import { encodeSeriesListV2, V2State } from "./encode-v2.ts";
import type { SnappyCompressor } from "./snappy.ts";
import type { MetricMetadata, ProtocolVersion, Series } from "./types.ts";

/** Options of {@link encodeWriteRequest}. */
export interface EncodeOptions {
  /** `"v1"` (default): `prometheus.WriteRequest`; `"v2"`: `io.prometheus.write.v2.Request`. */
  readonly version?: ProtocolVersion;
  /**
   * Family metadata. v1 sends it as the request's `metadata` list; v2 attaches it to each series
   * whose metric name is the family name or the family name plus a sample suffix (`_total`,
   * `_bucket`, `_count`, `_sum`, `_created`, …).
   */
  readonly metadata?: readonly MetricMetadata[];
  /** Name syntax to enforce: `"legacy"` (default, accepted everywhere) or `"utf8"` (Prometheus 3). */
  readonly nameValidation?: NameValidation;
}

/**
 * A reusable encoder. Keeps its buffers between calls, so encoding in a loop allocates almost
 * nothing, and reuses what the previous request already encoded: the label bytes of v1 series
 * whose label strings are the same objects (label-reuse.ts), the interned symbols of v2, the
 * checked bytes of frozen label arrays. Memory: two output buffers, each the size of the largest
 * v1 request so far, and the previous request's label strings. Not safe to share between
 * concurrent users of the returned view.
 *
 * @example
 * const encoder = new WriteRequestEncoder();
 * const compressor = new SnappyCompressor();
 * for (;;) {
 *   const body = compressor.compressView(encoder.encodeView(await nextBatch()));
 *   await fetch(url, { method: "POST", body: body.slice(), headers });
 * }
 */
export class WriteRequestEncoder {
  // Small at first: a writer per Worker request must not cost 256 KB; the buffers double as needed.
  // Two, alternating between v1 requests: the previous one's bytes are reused (label-reuse.ts).
  private readonly outs = [new ProtoWriter(16 * 1024), new ProtoWriter(16 * 1024)] as const;
  private turn = 0;
  private readonly labelReuse = new LabelReuse();
  private readonly steady = new SteadyPlanV1();
  private readonly rules = { legacy: new SeriesRules("legacy"), utf8: new SeriesRules("utf8") };
  private v2: V2State | undefined;
  private lastMetadataList: readonly MetricMetadata[] | undefined;
  private lastMetadataIndex: MetadataIndex | undefined;

  /**
   * Encode `series` and return a **view** of the internal buffer, valid until the next call
   * (hand it to `snappy.compress` or a {@link SnappyCompressor}, which copy it). Throws {@link EncodeError} when a series
   * breaks a remote-write rule; nothing is written in that case.
   */
  encodeView(series: readonly Series[], options: EncodeOptions = {}): Uint8Array {
    // The buffer of the last v1 request is written here only by the steady-state rewrite (steady-v1.ts):
    // a full v1 encode and v2 use the other one.
    const out = this.outs[this.turn];
    out.reset();
    const rules = this.rules[options.nameValidation ?? "legacy"];
    const metadata = options.metadata ?? [];
    if (options.version === "v2") {
      this.v2 ??= new V2State();
      encodeSeriesListV2(out, rules, this.v2, series, metadata.length > 0 ? this.indexFor(metadata) : undefined);
    } else {
      // A Registry's steady state: the last request again with new samples, rewritten in place.
      const last = this.outs[1 - this.turn];
      if (this.steady.patch(last, series, rules.mode, metadata)) return last.view();
      encodeSeriesListV1(out, rules, series, metadata, { labels: this.labelReuse, prev: last }, this.steady);
      this.labelReuse.commit(rules.mode);
      this.turn = 1 - this.turn;
    }
    return out.view();
  }

  /** Like {@link encodeView}, but returns bytes the caller owns. */
  encode(series: readonly Series[], options: EncodeOptions = {}): Uint8Array {
    return this.encodeView(series, options).slice();
  }

  private indexFor(list: readonly MetricMetadata[]): MetadataIndex {
    if (list !== this.lastMetadataList || this.lastMetadataIndex === undefined) {
      this.lastMetadataList = list;
      this.lastMetadataIndex = new MetadataIndex(list);
    }
    return this.lastMetadataIndex;
  }
}

let shared: WriteRequestEncoder | undefined;

/**
 * Encode series as an uncompressed remote-write request (compress with `snappy.compress`).
 *
 * @example
 * const bytes = encodeWriteRequest(
 *   [{ labels: ["__name__", "up", "job", "api"], samples: [{ value: 1, timestamp: Date.now() }] }],
 *   { version: "v2", metadata: [{ metricFamilyName: "up", type: "gauge", help: "Target up." }] },
 * );
 */
export function encodeWriteRequest(series: readonly Series[], options: EncodeOptions = {}): Uint8Array {
  shared ??= new WriteRequestEncoder();
  return shared.encode(series, options);
}
