// A real Pushgateway for tests: Debian's `prometheus-pushgateway` on a free 127.0.0.1 port, with
// the admin API so tests can wipe it between cases.
import { freePort } from "./free-port.ts";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { eventually } from "../shared/harness.ts";

export interface Pushgateway {
  readonly url: string;
  /** `PUT /api/v1/admin/wipe`: drop every group. */
  wipe(): Promise<void>;
  /** `GET /api/v1/metrics` → its `data` array. */
  metrics(): Promise<PushgatewayGroup[]>;
  /**
   * `metrics()` once `until` holds for it. Pushgateway 1.5.1 answers DELETE (and wipe) with 202
   * and applies it a moment later, so a read right after may still show the group: poll, bounded
   * (default 5 s), and return the last read either way so the caller's assertion shows it.
   */
  metricsWhen(until: (groups: PushgatewayGroup[]) => boolean, timeoutMs?: number): Promise<PushgatewayGroup[]>;
  /** `metrics()` once every group is gone (after a DELETE or a wipe). */
  metricsWhenEmpty(): Promise<PushgatewayGroup[]>;
  stop(): Promise<void>;
}

/** One group as `/api/v1/metrics` reports it. */
export interface PushgatewayGroup {
  labels: Record<string, string>;
  [metric: string]: unknown;
}

const BINARY = "prometheus-pushgateway";

export function pushgatewayInstalled(): boolean {
  return spawnSync(BINARY, ["--version"], { stdio: "ignore" }).status === 0;
}


export async function startPushgateway(): Promise<Pushgateway> {
  if (!pushgatewayInstalled()) {
    throw new Error(`${BINARY} not found: install it with \`apt-get install -y prometheus-pushgateway\` (Debian/Ubuntu)`);
  }
  let lastError: unknown;
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const child: ChildProcess = spawn(
      BINARY,
      [`--web.listen-address=127.0.0.1:${port}`, "--web.enable-admin-api", "--persistence.file=", "--log.level=warn"],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const res = await fetch(`${url}/-/ready`);
        if (res.ok) {
          const metrics = async (): Promise<PushgatewayGroup[]> => {
            const r = await fetch(`${url}/api/v1/metrics`);
            if (!r.ok) throw new Error(`/api/v1/metrics: HTTP ${r.status}: ${await r.text()}`);
            return ((await r.json()) as { data: PushgatewayGroup[] }).data;
          };
          const metricsWhen = (until: (groups: PushgatewayGroup[]) => boolean, timeoutMs?: number): Promise<PushgatewayGroup[]> => eventually(metrics, until, timeoutMs);
          const metricsWhenEmpty = (): Promise<PushgatewayGroup[]> => metricsWhen((g) => g.length === 0);
          return {
            url,
            async wipe() {
              const r = await fetch(`${url}/api/v1/admin/wipe`, { method: "PUT" });
              if (r.status !== 202 && r.status !== 200) throw new Error(`wipe: HTTP ${r.status}`);
              const left = await metricsWhenEmpty();
              if (left.length > 0) throw new Error(`wipe: ${left.length} groups still there after 5 s`);
            },
            metrics,
            metricsWhen,
            metricsWhenEmpty,
            stop: () =>
              new Promise<void>((resolve) => {
                if (child.exitCode !== null) return resolve();
                child.once("exit", () => resolve());
                child.kill("SIGTERM");
              }),
          };
        }
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    lastError = new Error(`pushgateway did not become ready on port ${port}: ${stderr}`);
    child.kill("SIGKILL");
  }
  throw lastError;
}
