/** Human-readable rendering of decoded series and received requests (used by decode and receive). */
import { describeLabels } from "../core/wire/label-rules.ts";
import type { DecodedWriteRequest, Series } from "../core/wire/types.ts";
import type { ReceivedRequest } from "./receiver.ts";

function num(v: number): string {
  return Number.isNaN(v) ? "NaN" : v === Infinity ? "+Inf" : v === -Infinity ? "-Inf" : String(v);
}

export function formatSeries(s: Series): string[] {
  const lines: string[] = [];
  const name = describeLabels(s.labels, 10_000);
  for (const x of s.samples ?? []) {
    const extra = x.startTimestamp ? ` st=${x.startTimestamp}` : "";
    lines.push(`${name} ${x.stale ? "StaleNaN" : num(x.value)} ${x.timestamp}${extra}`);
  }
  for (const h of s.histograms ?? []) {
    lines.push(`${name} {${h.float ? "float " : ""}histogram count=${num(h.count)} sum=${num(h.sum)} schema=${h.schema} zero=${num(h.zeroCount)}} ${h.timestamp}`);
  }
  for (const e of s.exemplars ?? []) lines.push(`  # exemplar ${describeLabels(e.labels).replace(/^/, "")} ${num(e.value)}${e.timestamp ? ` ${e.timestamp}` : ""}`);
  if (s.metadata) lines.push(`  # ${s.metadata.type}${s.metadata.unit ? ` unit=${s.metadata.unit}` : ""}${s.metadata.help ? ` help=${JSON.stringify(s.metadata.help)}` : ""}`);
  if (lines.length === 0) lines.push(`${name} (no samples)`);
  return lines;
}

export function formatWriteRequest(r: DecodedWriteRequest): string {
  const lines = [`remote write ${r.version}: ${r.series.length} series`];
  for (const s of r.series) lines.push(...formatSeries(s));
  for (const m of r.metadata) lines.push(`# metadata ${m.metricFamilyName} ${m.type}${m.unit ? ` unit=${m.unit}` : ""}${m.help ? ` help=${JSON.stringify(m.help)}` : ""}`);
  return lines.join("\n");
}

/** Samples printed per Pushgateway family. */
const MAX_SAMPLES_SHOWN = 20;

export function formatReceived(r: ReceivedRequest): string {
  const head = Object.entries(r.headers)
    .filter(([k]) => /^(content-|x-prometheus|user-agent|authorization)/.test(k))
    .map(([k, v]) => `  ${k}: ${v}`)
    .join("\n");
  if (r.kind === "remote-write") return `POST ${r.path} (${r.bytes} bytes)\n${head}\n${formatWriteRequest(r.request)}\n`;
  const g = Object.entries(r.grouping).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",");
  const fam: string[] = [];
  for (const f of r.families) {
    fam.push(`  # ${f.name} (${f.type}, ${f.samples.length} samples${f.nativeHistograms?.length ? `, ${f.nativeHistograms.length} native histograms` : ""})`);
    for (const x of f.samples.slice(0, MAX_SAMPLES_SHOWN)) {
      const pairs: string[] = [];
      for (let i = 0; i < x.labels.length; i += 2) pairs.push(`${x.labels[i]}=${JSON.stringify(x.labels[i + 1])}`);
      fam.push(`  ${x.name}${pairs.length ? `{${pairs.join(",")}}` : ""} ${num(x.value)}`);
    }
    if (f.samples.length > MAX_SAMPLES_SHOWN) fam.push(`  … ${f.samples.length - MAX_SAMPLES_SHOWN} more`);
  }
  return `${r.method} ${r.path} → Pushgateway group {${g}}\n${head}${fam.length ? `\n${fam.join("\n")}` : ""}\n`;
}
