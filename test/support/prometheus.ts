// A real Prometheus for tests: Debian's `prometheus` (2.42) on a free 127.0.0.1 port with a
// temporary data directory, the remote-write receiver, native histograms and exemplar storage
// (flags: `prometheus --help`). The config file is JSON, which YAML accepts.
import { freePort } from "./free-port.ts";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One `scrape_configs` entry, as Prometheus's YAML config has it (snake_case keys). */
export type ScrapeConfig = Record<string, unknown>;

export interface PrometheusOptions {
  /** `scrape_configs` of the config file. Default: none. */
  readonly scrapeConfigs?: readonly ScrapeConfig[];
  /** `global.scrape_interval` (default `1s`, so tests need not wait long for a scrape). */
  readonly scrapeInterval?: string;
  /** More command-line flags. */
  readonly extraArgs?: readonly string[];
}

/** An instant-vector or range result as `/api/v1/query` returns it. */
export interface PromSeriesResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export interface PromExemplarResult {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

export interface Prometheus {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `GET /api/v1/query` → `data.result` (throws on a non-success answer). */
  query(promql: string, time?: number): Promise<PromSeriesResult[]>;
  /** `GET /api/v1/query_exemplars` → `data` (times in seconds). */
  queryExemplars(promql: string, start: number, end: number): Promise<PromExemplarResult[]>;
  /** Stop the server and delete its data directory. */
  stop(): Promise<void>;
}

const BINARY = "prometheus";

export function prometheusInstalled(): boolean {
  return spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0;
}


async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (!res.ok || body.status !== "success") throw new Error(`${url}: HTTP ${res.status}: ${body.error ?? JSON.stringify(body)}`);
  return body.data;
}

/**
 * Start Prometheus and wait until `/-/ready` answers. Fails with an install hint when the binary
 * is missing, and retries on another port if the chosen one was taken meanwhile.
 *
 * @example
 * const prom = await startPrometheus({ scrapeConfigs: [{ job_name: "app", static_configs: [{ targets: ["127.0.0.1:8080"] }] }] });
 * const up = await prom.query("up");
 * await prom.stop();
 */
export async function startPrometheus(opts: PrometheusOptions = {}): Promise<Prometheus> {
  if (!prometheusInstalled()) {
    throw new Error(`${BINARY} not found: install it with \`apt-get install -y prometheus\` (Debian/Ubuntu)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "promwire-prometheus-"));
  const config = join(dir, "prometheus.yml");
  const interval = opts.scrapeInterval ?? "1s";
  writeFileSync(
    config,
    JSON.stringify({ global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: "1m" }, scrape_configs: opts.scrapeConfigs ?? [] }),
  );
  let lastError: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      BINARY,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-remote-write-receiver",
        "--enable-feature=native-histograms,exemplar-storage",
        "--log.level=warn",
        ...(opts.extraArgs ?? []),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${url}/-/ready`);
        if (res.ok) {
          return {
            url,
            query: (promql, time) =>
              api<{ result: PromSeriesResult[] }>(
                `${url}/api/v1/query?query=${encodeURIComponent(promql)}${time === undefined ? "" : `&time=${time / 1000}`}`,
              ).then((d) => d.result),
            queryExemplars: (promql, start, end) =>
              api<PromExemplarResult[]>(`${url}/api/v1/query_exemplars?query=${encodeURIComponent(promql)}&start=${start}&end=${end}`),
            stop: () =>
              new Promise<void>((resolve) => {
                const done = (): void => {
                  rmSync(dir, { recursive: true, force: true });
                  resolve();
                };
                if (child.exitCode !== null) return done();
                child.once("exit", done);
                child.kill("SIGTERM");
              }),
          };
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    lastError = new Error(`prometheus did not become ready on port ${port}: ${stderr}`);
    child.kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
