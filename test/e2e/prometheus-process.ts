// A real Prometheus (Debian's 2.42) the e2e suites can configure fully (remote_write to a
// receiver, scrape configs) and restart on the same port and data directory. The shared
// test/support/prometheus.ts covers the common case; this one adds restarts and any config.
import { freePort } from "../support/free-port.ts";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prometheusInstalled, type PromSeriesResult } from "../support/prometheus.ts";

export interface PrometheusProcess {
  readonly url: string;
  /** `/api/v1/query` → `data.result`; `time` in ms. */
  query(promql: string, time?: number): Promise<PromSeriesResult[]>;
  /**
   * SIGTERM, wait for the exit, stay down `pauseMs`, start again on the same port and data
   * directory, wait until ready.
   */
  restart(pauseMs?: number): Promise<{ downMs: number }>;
  stop(): Promise<void>;
}


/**
 * Start Prometheus with `config` (the YAML config as an object; JSON is valid YAML).
 * @example const prom = await startPrometheusProcess({ global: { scrape_interval: "1s" } });
 */
export async function startPrometheusProcess(config: Record<string, unknown> = {}): Promise<PrometheusProcess> {
  if (!prometheusInstalled()) throw new Error("prometheus not found: install it with `apt-get install -y prometheus` (Debian/Ubuntu)");
  const dir = mkdtempSync(join(tmpdir(), "promwire-e2e-prom-"));
  const file = join(dir, "prometheus.yml");
  writeFileSync(file, JSON.stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let stderr = "";

  const launch = async (): Promise<void> => {
    stderr = "";
    child = spawn(
      "prometheus",
      [
        `--config.file=${file}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-remote-write-receiver",
        "--enable-feature=native-histograms,exemplar-storage",
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    throw new Error(`prometheus did not become ready on ${url}: ${stderr}`);
  };
  const halt = (): Promise<void> =>
    new Promise((resolve) => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });

  await launch();
  return {
    url,
    async query(promql, time) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}${time === undefined ? "" : `&time=${time / 1000}`}`);
      const body = (await res.json()) as { status: string; data: { result: PromSeriesResult[] }; error?: string };
      if (!res.ok || body.status !== "success") throw new Error(`query ${promql}: HTTP ${res.status}: ${body.error ?? ""}`);
      return body.data.result;
    },
    async restart(pauseMs = 0) {
      const t0 = Date.now();
      await halt();
      await new Promise((r) => setTimeout(r, pauseMs));
      await launch();
      return { downMs: Date.now() - t0 };
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Raw samples of a range-vector result, keyed by the series' labels: `[ms, value]` pairs. */
export function rawSamples(result: readonly PromSeriesResult[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const r of result) {
    const key = labelKey(r.metric);
    out.set(key, (r.values ?? []).map(([t, v]) => [Math.round(t * 1000), promNumber(v)]));
  }
  return out;
}

/** A sample value as the query API writes it (`+Inf`, `-Inf`, `NaN` or a decimal). */
export function promNumber(v: string): number {
  return v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v);
}

/** `name{a="1",b="2"}` with labels sorted, as both sides of a comparison can build it. */
export function labelKey(metric: Readonly<Record<string, string>>): string {
  const { __name__: name = "", ...rest } = metric;
  const pairs = Object.keys(rest)
    .sort()
    .map((k) => `${k}=${JSON.stringify(rest[k])}`);
  return `${name}{${pairs.join(",")}}`;
}

/** Flat `[name, value, …]` labels (with `__name__`) → {@link labelKey}. */
export function flatKey(labels: readonly string[]): string {
  const m: Record<string, string> = {};
  for (let i = 0; i < labels.length; i += 2) m[labels[i]] = labels[i + 1];
  return labelKey(m);
}

export { freePort };
