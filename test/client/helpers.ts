// Shared helpers for the transport tests.
import type { FaultServer } from "../support/fault-server.ts";
import type { Series } from "../../core/wire/types.ts";

export const T0 = 1_700_000_000_000;

/** `n` series `test_metric{i="<k>"}` with one sample each at `ts`, value k. */
export function makeSeries(n: number, ts: number, offset = 0): Series[] {
  const out: Series[] = [];
  for (let k = offset; k < offset + n; k++) {
    out.push({ labels: ["__name__", "test_metric", "i", String(k)], samples: [{ value: k, timestamp: ts }] });
  }
  return out;
}

/** Every (labels, timestamp, value) the server accepted, as strings, in arrival order. */
export function acceptedSamples(server: FaultServer): string[] {
  const out: string[] = [];
  for (const r of server.accepted()) {
    for (const s of r.decoded?.series ?? []) {
      for (const x of s.samples ?? []) out.push(`${s.labels.join(",")}@${x.timestamp}=${x.stale ? "stale" : x.value}`);
    }
  }
  return out;
}

export function expectedSamples(series: readonly Series[], extra: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const s of series) {
    const labels = [...s.labels, ...extra];
    for (const x of s.samples ?? []) out.push(`${labels.join(",")}@${x.timestamp}=${x.value}`);
  }
  return out;
}

/** Fast retry settings for tests. */
export const FAST_RETRY = { minBackoffMs: 5, maxBackoffMs: 20, maxAttempts: 5, maxAgeMs: 10_000 } as const;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Samples (as {@link acceptedSamples} writes them) grouped by series, each series' in arrival
 * order: what a writer guarantees once several requests are in flight (the order between series
 * is not kept, the order within each series is).
 */
export function perSeries(samples: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of samples) {
    const at = s.lastIndexOf("@");
    (out[s.slice(0, at)] ??= []).push(s.slice(at + 1));
  }
  return out;
}
