/**
 * Encode + compress throughput: promwire against the libraries a user would pick instead, on the
 * same workloads, in the same run. Prints samples/s, bytes out and promwire's ratio to each peer.
 *
 * Peers (each from its natural input, a label record per series, conversion included as the
 * library itself does it):
 * - prometheus-remote-write: its `pushTimeseries` path minus the fetch (record → protobufjs
 *   objects, verify + encode, snappyjs).
 * - protobufjs + snappy-wasm: the same protobufjs static code, compressed with snappy-wasm.
 * - @bufbuild/protobuf: `create` + `toBinary` of the generated WriteRequest, snappy-wasm.
 */

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { create, toBinary } from "@bufbuild/protobuf";
import SnappyJS from "snappyjs";
import { WriteRequestSchema } from "../core/gen/prometheus/remote_pb.ts";
import { WriteRequestEncoder } from "../core/wire/encode.ts";
import { compress, initSnappy } from "../core/wire/snappy.ts";
import type { ProtocolVersion, Series } from "../core/wire/types.ts";
import { fmt, measure, table, type Measurement } from "./harness.ts";
import { w1, w2 } from "./workloads.ts";

const require = createRequire(import.meta.url);
initSnappy(readFileSync(new URL("snappy_bg.wasm", import.meta.resolve("snappy-wasm"))));
// prometheus-remote-write's generated protobufjs module (its own `serialize` uses exactly this).
const prom = require("prometheus-remote-write/prom.js") as {
  prometheus: { WriteRequest: { verify(o: unknown): string | null; encode(o: unknown): { finish(): Uint8Array } } };
};
const PbWriteRequest = prom.prometheus.WriteRequest;

interface RecordSeries {
  labels: Record<string, string>;
  samples: { value: number; timestamp: number }[];
}

function toRecords(series: Series[]): RecordSeries[] {
  return series.map((s) => {
    const labels: Record<string, string> = {};
    for (let i = 0; i < s.labels.length; i += 2) labels[s.labels[i]] = s.labels[i + 1];
    return { labels, samples: (s.samples ?? []).map((x) => ({ value: x.value, timestamp: x.timestamp })) };
  });
}

const kv = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

function protobufjsRequest(records: RecordSeries[]) {
  return {
    timeseries: records.map((t) => ({
      labels: kv(t.labels),
      samples: t.samples.map((s) => ({ value: s.value, timestamp: s.timestamp })),
    })),
  };
}

export interface EncodeRow {
  readonly workload: string;
  readonly name: string;
  readonly samples: number;
  readonly bytes: number;
  readonly m: Measurement;
}

export function runEncodeBench(budgetMs = 1500): EncodeRow[] {
  const rows: EncodeRow[] = [];
  const encoder = new WriteRequestEncoder();
  for (const [wname, series] of [["W1", w1()], ["W2", w2()]] as const) {
    const samples = series.reduce((n, s) => n + (s.samples?.length ?? 0), 0);
    const records = toRecords(series);
    const run = (name: string, fn: () => Uint8Array): void => {
      const bytes = fn().length;
      rows.push({ workload: wname, name, samples, bytes, m: measure(`${wname} ${name}`, fn, budgetMs) });
    };
    // Fresh label arrays: every label string is encoded on every request.
    for (const version of ["v1", "v2"] as ProtocolVersion[]) {
      run(`promwire ${version}`, () => compress(encoder.encodeView(series, { version })));
    }
    // Frozen label arrays, as Registry snapshots hand them out: labels encoded once, reused.
    const frozen = series.map((s) => ({ ...s, labels: Object.freeze([...s.labels]) }));
    for (const version of ["v1", "v2"] as ProtocolVersion[]) {
      run(`promwire ${version}, frozen labels`, () => compress(encoder.encodeView(frozen, { version })));
    }
    run("prometheus-remote-write", () => {
      const req = protobufjsRequest(records);
      const err = PbWriteRequest.verify(req);
      if (err) throw new Error(err);
      return SnappyJS.compress(PbWriteRequest.encode(req).finish());
    });
    run("protobufjs + snappy-wasm", () => compress(PbWriteRequest.encode(protobufjsRequest(records)).finish()));
    run("@bufbuild/protobuf + snappy-wasm", () =>
      compress(
        toBinary(
          WriteRequestSchema,
          create(WriteRequestSchema, {
            timeseries: records.map((t) => ({
              labels: kv(t.labels),
              samples: t.samples.map((s) => ({ value: s.value, timestamp: BigInt(s.timestamp) })),
            })),
          }),
        ),
      ),
    );
  }
  return rows;
}

export function printEncodeTable(rows: readonly EncodeRow[]): string {
  const out: string[] = [];
  for (const wname of ["W1", "W2"]) {
    const group = rows.filter((r) => r.workload === wname);
    const v1 = group.find((r) => r.name === "promwire v1");
    const v1f = group.find((r) => r.name === "promwire v1, frozen labels");
    if (v1 === undefined) continue;
    out.push(`${wname}: ${group[0].samples} samples, encode + snappy, median of repeated runs (ratio = peer time ÷ promwire time)`);
    out.push(
      table(
        ["implementation", "ms/op", "samples/s", "bytes out", "÷ promwire v1", "÷ promwire v1 frozen"],
        group.map((r) => [
          r.name,
          r.m.medianMs.toFixed(2),
          fmt(r.samples / (r.m.medianMs / 1000)),
          String(r.bytes),
          (r.m.medianMs / v1.m.medianMs).toFixed(1),
          (r.m.medianMs / (v1f ?? v1).m.medianMs).toFixed(1),
        ]),
      ),
    );
    out.push("");
  }
  return out.join("\n");
}
