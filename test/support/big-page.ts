// A generated exposition page of any size, written to a file without holding it in memory: the
// input for the CLI's bounded-memory test (test/cli/large-input.test.ts). Deterministic, so two
// runs write the same bytes. Its shape mixes what real pages hold: counters with several labels,
// gauges, classic histograms (HELP/TYPE, buckets, _sum, _count), and one family far larger than
// a parse chunk, so that chunking must cut inside a family and keep its TYPE context.
import { closeSync, openSync, writeSync } from "node:fs";

export interface BigPage {
  readonly bytes: number;
  /** Sample lines (each one series, no timestamps). */
  readonly samples: number;
  /** Sum of every sample value: read back from the receiver as a checksum. */
  readonly sum: number;
  /** Families (distinct TYPE lines). */
  readonly families: number;
}

/** Every series name starts with this, so one selector counts them all. */
export const BIG_PREFIX = "bigpage_";

/**
 * Write a text 0.0.4 page of at least `targetBytes` to `path`.
 * @example const page = writeBigPage("/tmp/big.prom", 50 * 1024 * 1024);
 */
export function writeBigPage(path: string, targetBytes: number): BigPage {
  const fd = openSync(path, "w");
  let bytes = 0;
  let samples = 0;
  let sum = 0;
  let families = 0;
  let buf: string[] = [];
  let bufLen = 0;
  const out = (line: string): void => {
    buf.push(line);
    bufLen += line.length + 1;
    if (bufLen > 1 << 20) flush();
  };
  const flush = (): void => {
    if (buf.length === 0) return;
    const text = `${buf.join("\n")}\n`;
    writeSync(fd, text);
    bytes += Buffer.byteLength(text);
    buf = [];
    bufLen = 0;
  };
  const sample = (line: string, value: number): void => {
    out(`${line} ${value}`);
    samples++;
    sum += value;
  };
  const methods = ["GET", "POST", "PUT", "DELETE"];
  const codes = ["200", "201", "404", "500", "503"];
  try {
    // One family larger than any parse chunk (about 12 MB).
    families++;
    out(`# HELP ${BIG_PREFIX}huge_bytes One family far larger than a parse chunk.`);
    out(`# TYPE ${BIG_PREFIX}huge_bytes gauge`);
    for (let i = 0; i < 120_000; i++) sample(`${BIG_PREFIX}huge_bytes{pod="pod-${i % 977}",volume="vol-${i}",zone="zone-${i % 7}"}`, i % 1000);
    for (let f = 0; bytes + bufLen < targetBytes; f++) {
      const kind = f % 3;
      families++;
      if (kind === 0) {
        const name = `${BIG_PREFIX}http_requests_${f}_total`;
        out(`# HELP ${name} Requests handled by handler group ${f}.`);
        out(`# TYPE ${name} counter`);
        for (let i = 0; i < 2_000; i++) {
          sample(`${name}{code="${codes[i % 5]}",handler="/api/v1/items/${i}",instance="10.0.${f % 250}.${i % 250}:9100",method="${methods[i % 4]}"}`, (i * 7 + f) % 100_000);
        }
      } else if (kind === 1) {
        const name = `${BIG_PREFIX}queue_depth_${f}`;
        out(`# HELP ${name} Items waiting.`);
        out(`# TYPE ${name} gauge`);
        for (let i = 0; i < 1_500; i++) sample(`${name}{queue="q-${i}",shard="${i % 16}"}`, (i * 13) % 5_000);
      } else {
        const name = `${BIG_PREFIX}latency_${f}_seconds`;
        out(`# HELP ${name} Request latency.`);
        out(`# TYPE ${name} histogram`);
        for (let i = 0; i < 150; i++) {
          const labels = `route="/r/${i}",status="${codes[i % 5]}"`;
          let cumulative = 0;
          for (const le of ["0.005", "0.01", "0.05", "0.1", "0.5", "1", "5", "+Inf"]) {
            cumulative += (i % 5) + 1;
            sample(`${name}_bucket{${labels},le="${le}"}`, cumulative);
          }
          sample(`${name}_sum{${labels}}`, i);
          sample(`${name}_count{${labels}}`, cumulative);
        }
      }
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { bytes, samples, sum, families };
}
