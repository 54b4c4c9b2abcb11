/**
 * The native `Histogram` message body, identical in remote write 1.0 and 2.0 but for
 * `start_timestamp` (field 17), which only 2.0 (rc.4) has.
 */

import { type ProtoWriter, tag, WireType } from "./proto-writer.ts";
import type { BucketSpan, NativeHistogram, ResetHint } from "./types.ts";


// Histogram (prompb/types.proto; io/prometheus/write/v2/types.proto)
const COUNT_INT = tag(1, WireType.Varint); // oneof count
const COUNT_FLOAT = tag(2, WireType.Bit64); // oneof count
const SUM = tag(3, WireType.Bit64);
const SCHEMA = tag(4, WireType.Varint); // sint32
const ZERO_THRESHOLD = tag(5, WireType.Bit64);
const ZERO_COUNT_INT = tag(6, WireType.Varint); // oneof zero_count
const ZERO_COUNT_FLOAT = tag(7, WireType.Bit64); // oneof zero_count
const NEGATIVE_SPANS = tag(8, WireType.LengthDelimited);
const NEGATIVE_DELTAS = tag(9, WireType.LengthDelimited); // packed sint64
const NEGATIVE_COUNTS = tag(10, WireType.LengthDelimited); // packed double
const POSITIVE_SPANS = tag(11, WireType.LengthDelimited);
const POSITIVE_DELTAS = tag(12, WireType.LengthDelimited); // packed sint64
const POSITIVE_COUNTS = tag(13, WireType.LengthDelimited); // packed double
const RESET_HINT_FIELD = tag(14, WireType.Varint);
const TIMESTAMP = tag(15, WireType.Varint);
const CUSTOM_VALUES = tag(16, WireType.LengthDelimited); // packed double; a two-byte key
const START_TIMESTAMP = tag(17, WireType.Varint); // v2 only; a two-byte key
// BucketSpan
const SPAN_OFFSET = tag(1, WireType.Varint); // sint32
const SPAN_LENGTH = tag(2, WireType.Varint); // uint32

const RESET_HINT: Readonly<Record<ResetHint, number>> = { unknown: 0, yes: 1, no: 2, gauge: 3 };

function writeSpans(w: ProtoWriter, key: number, spans: readonly BucketSpan[] | undefined): void {
  if (spans === undefined) return;
  for (const s of spans) {
    w.ensure(2);
    w.key(key);
    const at = w.fork(1);
    if (s.offset !== 0) {
      w.ensure(1);
      w.key(SPAN_OFFSET);
      w.sint32(s.offset);
    }
    if (s.length !== 0) {
      w.ensure(1);
      w.key(SPAN_LENGTH);
      w.uint32(s.length);
    }
    w.join(at, 1);
  }
}

function writePackedSint64(w: ProtoWriter, key: number, values: readonly number[] | undefined): void {
  if (values === undefined || values.length === 0) return;
  w.ensure(1);
  w.key(key);
  const at = w.fork(1);
  for (let i = 0; i < values.length; i++) w.sint64(values[i]);
  w.join(at, 1);
}

function writePackedDouble(w: ProtoWriter, key: number, values: readonly number[] | undefined): void {
  if (values === undefined || values.length === 0) return;
  w.ensure(2);
  w.key(key);
  w.uint32(values.length * 8);
  w.ensure(values.length * 8);
  for (let i = 0; i < values.length; i++) w.double(values[i]);
}

/** Writes the fields of one Histogram message (without its key and length). */
export function writeHistogramBody(w: ProtoWriter, h: NativeHistogram, withStartTimestamp: boolean): void {
  w.ensure(60);
  // oneof members are written even when zero
  if (h.float) {
    w.key(COUNT_FLOAT);
    w.double(h.count);
  } else {
    w.key(COUNT_INT);
    w.int64(h.count);
  }
  if (!Object.is(h.sum, 0)) {
    w.key(SUM);
    w.double(h.sum);
  }
  if (h.schema !== 0) {
    w.key(SCHEMA);
    w.sint32(h.schema);
  }
  if (!Object.is(h.zeroThreshold, 0)) {
    w.key(ZERO_THRESHOLD);
    w.double(h.zeroThreshold);
  }
  if (h.float) {
    w.key(ZERO_COUNT_FLOAT);
    w.double(h.zeroCount);
  } else {
    w.key(ZERO_COUNT_INT);
    w.int64(h.zeroCount);
  }
  writeSpans(w, NEGATIVE_SPANS, h.negativeSpans);
  writePackedSint64(w, NEGATIVE_DELTAS, h.negativeDeltas);
  writePackedDouble(w, NEGATIVE_COUNTS, h.negativeCounts);
  writeSpans(w, POSITIVE_SPANS, h.positiveSpans);
  writePackedSint64(w, POSITIVE_DELTAS, h.positiveDeltas);
  writePackedDouble(w, POSITIVE_COUNTS, h.positiveCounts);
  w.ensure(26);
  const hint = h.resetHint === undefined ? 0 : RESET_HINT[h.resetHint];
  if (hint !== 0) {
    w.key(RESET_HINT_FIELD);
    w.byte(hint);
  }
  if (h.timestamp !== 0) {
    w.key(TIMESTAMP);
    w.int64(h.timestamp);
  }
  writePackedDouble(w, CUSTOM_VALUES, h.customValues);
  if (withStartTimestamp && h.startTimestamp) {
    w.ensure(12);
    w.key(START_TIMESTAMP);
    w.int64(h.startTimestamp);
  }
}
