/**
 * The compiled reference sender as a bench row: a built `go-w1` binary (Prometheus's own
 * remote-write pipeline in Go: gogo-generated `prompb` Marshal + golang/snappy, on the same W1/W2
 * workloads, byte-identical uncompressed requests). The project never builds Go: the row appears
 * only when `PROMWIRE_BENCH_GO` names a built binary.
 *
 * Each call runs the binary once with GOMAXPROCS=1 and one timed round, and returns its figure
 * for "build+marshal+snappy (reused bufs)": building the request from label pairs, marshalling it
 * into a reused buffer and snappy-compressing it, which is what promwire's rows measure too.
 */
import { spawnSync } from "node:child_process";

/** ms per request of one go-w1 round, per workload, and the compressed size it reported. */
export interface GoRound {
  readonly w1: number;
  readonly w2: number;
  readonly w1Bytes: number;
  readonly w2Bytes: number;
}

const PATH = "build+marshal+snappy (reused bufs)";

/** Path of the reference binary, or undefined when the row is not wanted. */
export function goReferenceBinary(): string | undefined {
  const bin = process.env.PROMWIRE_BENCH_GO;
  return bin === undefined || bin === "" ? undefined : bin;
}

/**
 * One invocation: a warm-up round and one timed round of `ops` requests per path (go-w1 times
 * every path it knows; only the sender path is read).
 */
export function runGoRound(bin: string, ops: number): GoRound {
  const r = spawnSync(bin, ["-procs", "1", "-rounds", "1", "-ops", String(ops)], {
    env: { ...process.env, GOMAXPROCS: "1" },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`${bin} exited with ${r.status ?? r.signal}: ${r.stderr || r.error?.message}`);
  if (/MISMATCH/.test(r.stdout)) throw new Error(`${bin}: its requests are not byte-identical to promwire's:\n${r.stdout}`);
  const row = (wl: string): [number, number] => {
    const line = r.stdout.split("\n").find((l) => l.startsWith(`${wl} `) && l.includes(PATH));
    const m = line?.slice(line.indexOf(PATH) + PATH.length).trim().split(/\s+/);
    if (m === undefined || m.length < 3) throw new Error(`${bin}: no "${PATH}" row for ${wl} in:\n${r.stdout}`);
    return [Number(m[0]), Number(m[2])];
  };
  const [w1, w1Bytes] = row("W1");
  const [w2, w2Bytes] = row("W2");
  return { w1, w2, w1Bytes, w2Bytes };
}
