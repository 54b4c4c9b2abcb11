/**
 * A tiny benchmark harness: warm up, then time batches until a time budget is spent, and report
 * the median per-operation time (robust to a GC pause or a noisy neighbour on 2 cores).
 */

export interface Measurement {
  readonly name: string;
  readonly medianMs: number;
  readonly runs: number;
}

export function measure(name: string, fn: () => unknown, budgetMs = 1500, warmup = 5): Measurement {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const end = performance.now() + budgetMs;
  while (performance.now() < end || times.length < 5) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { name, medianMs: times[times.length >> 1], runs: times.length };
}

/** Render rows as an aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const fmt = (n: number, digits = 1): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(digits)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(digits)} k` : n.toFixed(digits);
