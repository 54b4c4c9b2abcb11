// A real VictoriaMetrics for tests: Debian's `victoria-metrics` (1.79) on a free 127.0.0.1 port
// with a temporary data directory. `-search.latencyOffset=0s` makes fresh samples queryable at
// once, and `flush()` (`GET /internal/force_flush`) must run before querying (NOTES.md).
import { freePort } from "./free-port.ts";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PromSeriesResult } from "./prometheus.ts";

export interface VictoriaMetrics {
  /** Base URL; remote write goes to `${url}/api/v1/write`. */
  readonly url: string;
  /** Make everything written so far searchable. */
  flush(): Promise<void>;
  /** `GET /api/v1/query` (after a flush) → `data.result`. `time` in ms. */
  query(promql: string, time?: number): Promise<PromSeriesResult[]>;
  /** `GET /api/v1/export` (after a flush): every raw sample of the matching series, as JSON lines. */
  exportRaw(match: string): Promise<{ metric: Record<string, string>; values: number[]; timestamps: number[] }[]>;
  stop(): Promise<void>;
}

const BINARY = "victoria-metrics";

export function victoriaMetricsInstalled(): boolean {
  const r = spawnSync(BINARY, ["-version"], { stdio: "ignore" });
  return r.error === undefined && r.status === 0;
}


/**
 * Start VictoriaMetrics and wait for `/health`. Fails with an install hint when the binary is missing.
 * `extraArgs` are added to the command line (e.g. `-search.maxUniqueTimeseries=2000000`).
 * @example
 * const vm = await startVictoriaMetrics();
 * // remote write to `${vm.url}/api/v1/write`, then:
 * const result = await vm.query("up");
 */
export async function startVictoriaMetrics(extraArgs: readonly string[] = []): Promise<VictoriaMetrics> {
  if (!victoriaMetricsInstalled()) {
    throw new Error(`${BINARY} not found: install it with \`apt-get install -y victoria-metrics\` (Debian/Ubuntu)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "promwire-vm-"));
  let lastError: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      BINARY,
      [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${join(dir, "data")}`, "-search.latencyOffset=0s", "-loggerLevel=ERROR", "-retentionPeriod=100y", ...extraArgs],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${url}/health`);
        if (res.ok) {
          const flush = async (): Promise<void> => {
            const r = await fetch(`${url}/internal/force_flush`);
            if (!r.ok) throw new Error(`force_flush: HTTP ${r.status}`);
          };
          return {
            url,
            flush,
            async query(promql, time) {
              await flush();
              const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}${time === undefined ? "" : `&time=${time / 1000}`}`);
              const body = (await res.json()) as { status: string; data: { result: PromSeriesResult[] }; error?: string };
              if (!res.ok || body.status !== "success") throw new Error(`query ${promql}: HTTP ${res.status}: ${body.error ?? ""}`);
              return body.data.result;
            },
            async exportRaw(match) {
              await flush();
              const res = await fetch(`${url}/api/v1/export?match[]=${encodeURIComponent(match)}`);
              if (!res.ok) throw new Error(`export: HTTP ${res.status}: ${await res.text()}`);
              return (await res.text())
                .split("\n")
                .filter((l) => l.trim() !== "")
                .map((l) => JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] });
            },
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
    lastError = new Error(`victoria-metrics did not become ready on port ${port}: ${stderr}`);
    child.kill("SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}
