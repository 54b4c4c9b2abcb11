/**
 * The native `Histogram` message body, identical in remote write 1.0 and 2.0 but for
 * `start_timestamp` (field 17), which only 2.0 (rc.4) has.
 */

import type { ProtoWriter } from "./proto-writer.ts";
import type { BucketSpan, NativeHistogram, ResetHint } from "./types.ts";

const RESET_HINT: Readonly<Record<ResetHint, number>> = { unknown: 0, yes: 1, no: 2, gauge: 3 };

function writeSpans(w: ProtoWriter, tag: number, spans: readonly BucketSpan[] | undefined): void {
  if (spans === undefined) return;
  for (const s of spans) {
    w.ensure(2);
    w.byte(tag);
    const at = w.beginLength(1);
    if (s.offset !== 0) {
      w.ensure(1);
      w.byte(0x08); // offset = 1, sint32
      w.sint32(s.offset);
    }
    if (s.length !== 0) {
      w.ensure(1);
      w.byte(0x10); // length = 2, uint32
      w.uint32(s.length);
    }
    w.endLength(at, 1);
  }
}

function writePackedSint64(w: ProtoWriter, tag: number, values: readonly number[] | undefined): void {
  if (values === undefined || values.length === 0) return;
  w.ensure(1);
  w.byte(tag);
  const at = w.beginLength(1);
  for (let i = 0; i < values.length; i++) w.sint64(values[i]);
  w.endLength(at, 1);
}

function writePackedDouble(w: ProtoWriter, tag: number | readonly number[], values: readonly number[] | undefined): void {
  if (values === undefined || values.length === 0) return;
  const tagBytes = typeof tag === "number" ? [tag] : tag;
  w.ensure(tagBytes.length);
  for (const b of tagBytes) w.byte(b);
  const len = values.length * 8;
  w.uint32(len);
  for (let i = 0; i < values.length; i++) w.double(values[i]);
}

/** Writes the fields of one Histogram message (without its tag and length). */
export function writeHistogramBody(w: ProtoWriter, h: NativeHistogram, withStartTimestamp: boolean): void {
  w.ensure(40);
  if (h.float) {
    w.byte(0x11); // count_float = 2 (oneof: written even when zero)
    w.double(h.count);
  } else {
    w.byte(0x08); // count_int = 1 (oneof: written even when zero)
    w.int64(h.count);
  }
  if (!Object.is(h.sum, 0)) {
    w.ensure(1);
    w.byte(0x19); // sum = 3
    w.double(h.sum);
  }
  if (h.schema !== 0) {
    w.ensure(1);
    w.byte(0x20); // schema = 4, sint32
    w.sint32(h.schema);
  }
  if (!Object.is(h.zeroThreshold, 0)) {
    w.ensure(1);
    w.byte(0x29); // zero_threshold = 5
    w.double(h.zeroThreshold);
  }
  w.ensure(1);
  if (h.float) {
    w.byte(0x39); // zero_count_float = 7
    w.double(h.zeroCount);
  } else {
    w.byte(0x30); // zero_count_int = 6
    w.int64(h.zeroCount);
  }
  writeSpans(w, 0x42, h.negativeSpans); // negative_spans = 8
  writePackedSint64(w, 0x4a, h.negativeDeltas); // negative_deltas = 9
  writePackedDouble(w, 0x52, h.negativeCounts); // negative_counts = 10
  writeSpans(w, 0x5a, h.positiveSpans); // positive_spans = 11
  writePackedSint64(w, 0x62, h.positiveDeltas); // positive_deltas = 12
  writePackedDouble(w, 0x6a, h.positiveCounts); // positive_counts = 13
  const hint = h.resetHint === undefined ? 0 : RESET_HINT[h.resetHint];
  if (hint !== 0) {
    w.ensure(2);
    w.byte(0x70); // reset_hint = 14
    w.byte(hint);
  }
  if (h.timestamp !== 0) {
    w.ensure(1);
    w.byte(0x78); // timestamp = 15
    w.int64(h.timestamp);
  }
  writePackedDouble(w, [0x82, 0x01], h.customValues); // custom_values = 16
  if (withStartTimestamp && h.startTimestamp) {
    w.ensure(2);
    w.byte(0x88); // start_timestamp = 17
    w.byte(0x01);
    w.int64(h.startTimestamp);
  }
}
