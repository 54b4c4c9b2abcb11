// A real Pushgateway for tests: Debian's `prometheus-pushgateway` on a free 127.0.0.1 port, with
// the admin API so tests can wipe it between cases.
import { freePort } from "./free-port.ts";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";

export interface Pushgateway {
  readonly url: string;
  /** `PUT /api/v1/admin/wipe`: drop every group. */
  wipe(): Promise<void>;
  /** `GET /api/v1/metrics` → its `data` array. */
  metrics(): Promise<PushgatewayGroup[]>;
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
          return {
            url,
            async wipe() {
              const r = await fetch(`${url}/api/v1/admin/wipe`, { method: "PUT" });
              if (r.status !== 202 && r.status !== 200) throw new Error(`wipe: HTTP ${r.status}`);
            },
            async metrics() {
              const r = await fetch(`${url}/api/v1/metrics`);
              if (!r.ok) throw new Error(`/api/v1/metrics: HTTP ${r.status}: ${await r.text()}`);
              return ((await r.json()) as { data: PushgatewayGroup[] }).data;
            },
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
