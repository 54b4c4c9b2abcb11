// A real Prometheus for tests, the one launcher every suite uses: Debian's `prometheus` (2.42) on a
// free 127.0.0.1 port with a temporary data directory, the remote-write receiver, native
// histograms and exemplar storage (flags: `prometheus --help`), any config (JSON, which YAML
// accepts), and restarts on the same port and data directory.
import { freePort } from "./free-port.ts";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { request as httpsRequest } from "node:https";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One `scrape_configs` entry, as Prometheus's YAML config has it (snake_case keys). */
export type ScrapeConfig = Record<string, unknown>;

export interface PrometheusOptions {
  /** The whole config file (as an object); when given, `scrapeConfigs` and `scrapeInterval` are not used. */
  readonly config?: Record<string, unknown>;
  /** `scrape_configs` of the config file. Default: none. */
  readonly scrapeConfigs?: readonly ScrapeConfig[];
  /** `global.scrape_interval` (default `1s`, so tests need not wait long for a scrape). */
  readonly scrapeInterval?: string;
  /** More command-line flags. */
  readonly extraArgs?: readonly string[];
  /**
   * Serve HTTPS: Prometheus' `--web.config.file` (`tls_server_config`, e.g. with
   * `client_auth_type: RequireAndVerifyClientCert`), and the CA and client certificate (PEM) the
   * launcher's own readiness checks and queries use.
   */
  readonly https?: { readonly webConfig: Record<string, unknown>; readonly ca: string; readonly cert?: string; readonly key?: string };
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
  /**
   * SIGTERM, wait for the exit, stay down `pauseMs`, start again on the same port and data
   * directory, wait until ready.
   */
  restart(pauseMs?: number): Promise<{ downMs: number }>;
  /** SIGTERM and wait for the exit, keeping the port and data directory for {@link up}. */
  down(): Promise<void>;
  /** Start again on the same port and data directory after {@link down}; waits until ready. */
  up(): Promise<void>;
  /** Stop the server and delete its data directory. */
  stop(): Promise<void>;
}

const BINARY = "prometheus";

export function prometheusInstalled(): boolean {
  return spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0;
}


type Get = (url: string) => Promise<{ status: number; text: string }>;

const plainGet: Get = async (url) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};

/** GET over HTTPS with a CA and client certificate (Node's fetch takes neither). */
function httpsGet(tls: { ca: string; cert?: string; key?: string }): Get {
  return (url) =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(url, { ca: tls.ca, cert: tls.cert, key: tls.key, agent: false }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.end();
    });
}

async function api<T>(get: Get, url: string): Promise<T> {
  const res = await get(url);
  const body = JSON.parse(res.text) as { status: string; data: T; error?: string };
  if (res.status !== 200 || body.status !== "success") throw new Error(`${url}: HTTP ${res.status}: ${body.error ?? JSON.stringify(body)}`);
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
    JSON.stringify(opts.config ?? { global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: "1m" }, scrape_configs: opts.scrapeConfigs ?? [] }),
  );
  let child: ChildProcess | undefined;
  let url = "";
  const scheme = opts.https === undefined ? "http" : "https";
  const get: Get = opts.https === undefined ? plainGet : httpsGet(opts.https);
  const webArgs: string[] = [];
  if (opts.https !== undefined) {
    const web = join(dir, "web.yml");
    writeFileSync(web, JSON.stringify(opts.https.webConfig));
    webArgs.push(`--web.config.file=${web}`);
  }

  /** Start on `port`; false when it did not come up (e.g. the port was taken meanwhile). */
  const launch = async (port: number): Promise<string | undefined> => {
    const proc = spawn(
      BINARY,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-remote-write-receiver",
        "--enable-feature=native-histograms,exemplar-storage",
        "--log.level=warn",
        ...webArgs,
        ...(opts.extraArgs ?? []),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child = proc;
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      try {
        if ((await get(`${scheme}://127.0.0.1:${port}/-/ready`)).status === 200) return undefined;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill("SIGKILL");
    return `prometheus did not become ready on port ${port}: ${stderr}`;
  };
  const halt = (): Promise<void> =>
    new Promise((resolve) => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });

  let failure: string | undefined;
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    failure = await launch(port);
    if (failure === undefined) {
      url = `${scheme}://127.0.0.1:${port}`;
      break;
    }
  }
  if (failure !== undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(failure);
  }
  const port = Number(new URL(url).port);
  return {
    url,
    query: (promql, time) =>
      api<{ result: PromSeriesResult[] }>(get, `${url}/api/v1/query?query=${encodeURIComponent(promql)}${time === undefined ? "" : `&time=${time / 1000}`}`).then((d) => d.result),
    queryExemplars: (promql, start, end) => api<PromExemplarResult[]>(get, `${url}/api/v1/query_exemplars?query=${encodeURIComponent(promql)}&start=${start}&end=${end}`),
    async restart(pauseMs = 0) {
      const t0 = Date.now();
      await halt();
      await new Promise((r) => setTimeout(r, pauseMs));
      const failed = await launch(port);
      if (failed !== undefined) throw new Error(failed);
      return { downMs: Date.now() - t0 };
    },
    down: halt,
    async up() {
      const failed = await launch(port);
      if (failed !== undefined) throw new Error(failed);
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
