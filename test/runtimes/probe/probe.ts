// Cold start and remote-write round trip, measured inside one runtime (scripts/runtime-bench.mjs
// runs it in a fresh process per runtime and prints the table):
// - importMs: the adapter module's import (snappy WASM instantiated, Effect and core loaded);
// - firstRequestMs: from before the import to the moment the first encoded, compressed request
//   is handed to fetch (registry, counter, writer, collect, encode, snappy included);
// - firstWriteMs: until that first write is acknowledged;
// - round trips: `collect` + `flush` against the local receiver, repeated (median, p90).
import type { AdapterModule } from "../../shared/harness.ts";

export interface ProbeResult {
  importMs: number;
  firstRequestMs: number;
  firstWriteMs: number;
  rttMedianMs: number;
  rttP90Ms: number;
  rounds: number;
}

export async function probe(load: () => Promise<AdapterModule>, url: string, rounds = 50): Promise<ProbeResult> {
  const t0 = performance.now();
  const promwire = await load();
  const tImport = performance.now();
  let tRequest: number | undefined;
  const registry = new promwire.Registry();
  const counter = new promwire.Counter({ name: "probe_runs_total", help: "Probe runs.", registry });
  counter.inc();
  const rw = promwire.remoteWrite({
    url,
    flushOnExit: false,
    fetch: (input, init) => {
      tRequest ??= performance.now();
      return fetch(input, init);
    },
  });
  rw.collect(registry);
  const first = await rw.flush();
  const tWritten = performance.now();
  if (first.sent !== 1) throw new Error(`first write: ${JSON.stringify(first)}`);
  const rtts: number[] = [];
  for (let i = 0; i < rounds; i++) {
    counter.inc();
    const a = performance.now();
    rw.collect(registry);
    await rw.flush();
    rtts.push(performance.now() - a);
  }
  const stats = await rw.close();
  if (stats.failed !== 0 || stats.sent !== rounds + 1) throw new Error(`round trips: ${JSON.stringify(stats)}`);
  rtts.sort((a, b) => a - b);
  const at = (q: number): number => rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))];
  return {
    importMs: tImport - t0,
    firstRequestMs: (tRequest ?? NaN) - t0,
    firstWriteMs: tWritten - t0,
    rttMedianMs: at(0.5),
    rttP90Ms: at(0.9),
    rounds,
  };
}
