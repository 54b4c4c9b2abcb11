// `promwire run` end to end, as cron runs it: the CLI as a separate process wrapping real
// commands, against a real Pushgateway 1.5.1 and a real Prometheus 2.42. A command that exits 0,
// one that exits 3, one killed by SIGTERM (by itself, and forwarded from promwire run): the right
// metrics, the last success time kept from the earlier run, the command's stdio, exit status and
// signal preserved; metrics the command writes to $PROMWIRE_METRICS_FILE arrive; a malformed file
// is reported and the run's own metrics still arrive; a failed push never changes the exit
// status unless --fail-on-push-error; the --every heartbeat.
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseExposition } from "../../core/exposition/parse.ts";
import { bundleCli, ROOT } from "../cli/run-cli.ts";
import { startPrometheus, type Prometheus } from "../support/prometheus.ts";
import { startPushgateway, type Pushgateway } from "../support/pushgateway.ts";

interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

let cli: string;
let pg: Pushgateway;
let prom: Prometheus;
const HOST = hostname();

beforeAll(async () => {
  [cli, pg, prom] = await Promise.all([bundleCli("e2e-run"), startPushgateway(), startPrometheus()]);
}, 120_000);
afterAll(async () => {
  await Promise.all([pg?.stop(), prom?.stop()]);
});

/**
 * `node <cli> ...args` with a clean PROMWIRE_* environment. With `signal`, that signal is sent to
 * promwire run once the command printed `ready`.
 */
function promwire(args: readonly string[], opts: { env?: Record<string, string>; signal?: NodeJS.Signals; runtime?: readonly string[] } = {}): Promise<Ran> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PROMWIRE_")) env[k] = v;
  return new Promise((resolve, reject) => {
    const cmd = opts.runtime ?? [process.execPath];
    const child = spawn(cmd[0], [...cmd.slice(1), cli, ...args], { cwd: ROOT, env: { ...env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let signalled = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (opts.signal !== undefined && !signalled && stdout.includes("ready")) {
        signalled = true;
        child.kill(opts.signal);
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** What the Pushgateway exposes for the group of `job` on this host, `name → value` (+ labels for others). */
async function group(job: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${pg.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const f of parseExposition(text)) {
    for (const s of f.samples) {
      const labels: Record<string, string> = {};
      for (let i = 0; i < s.labels.length; i += 2) labels[s.labels[i]] = s.labels[i + 1];
      if (labels.job !== job || labels.instance !== HOST) continue;
      const extra = Object.entries(labels)
        .filter(([k]) => k !== "job" && k !== "instance")
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      out.set(extra === "" ? s.name : `${s.name}{${extra}}`, s.value);
    }
  }
  return out;
}

const sh = (script: string): string[] => ["--", "sh", "-c", script];

describe("promwire run → Pushgateway 1.5.1", () => {
  beforeAll(async () => {
    await pg.wipe();
  });

  it("exit 0, then exit 3, then killed by SIGTERM: the right metrics each time, the last success kept, status and signal preserved", async () => {
    const args = ["run", "--job", "nightly-backup", "--pushgateway", pg.url];
    const t0 = Date.now() / 1000;
    const ok = await promwire([...args, ...sh("echo to-stdout; echo to-stderr >&2; sleep 0.2; exit 0")]);
    expect([ok.code, ok.signal]).toEqual([0, null]);
    // The command's stdio is its own; promwire run says nothing on success (cron mails output).
    expect(ok.stdout).toBe("to-stdout\n");
    expect(ok.stderr).toBe("to-stderr\n");
    const first = await group("nightly-backup");
    const success = first.get("nightly_backup_last_success_timestamp_seconds")!;
    expect(success).toBeGreaterThanOrEqual(t0);
    expect(success).toBe(first.get("nightly_backup_last_run_timestamp_seconds"));
    expect(first.get("nightly_backup_exit_code")).toBe(0);
    expect(first.get("nightly_backup_duration_seconds")).toBeGreaterThanOrEqual(0.2);
    expect(first.get("nightly_backup_duration_seconds")).toBeLessThan(5);

    const failed = await promwire([...args, ...sh("exit 3")]);
    expect([failed.code, failed.signal, failed.stderr]).toEqual([3, null, ""]);
    const second = await group("nightly-backup");
    expect(second.get("nightly_backup_exit_code")).toBe(3);
    expect(second.get("nightly_backup_last_run_timestamp_seconds")).toBeGreaterThan(success);
    expect(second.get("nightly_backup_last_success_timestamp_seconds")).toBe(success); // kept

    const killed = await promwire([...args, ...sh("kill -TERM $$")]);
    expect([killed.code, killed.signal]).toEqual([null, "SIGTERM"]);
    const third = await group("nightly-backup");
    expect(third.get("nightly_backup_exit_code")).toBe(143);
    expect(third.get("nightly_backup_last_success_timestamp_seconds")).toBe(success);
    expect(third.get("nightly_backup_last_run_timestamp_seconds")).toBeGreaterThan(second.get("nightly_backup_last_run_timestamp_seconds")!);

    // A later success replaces the group: the new success time, and nothing stale.
    const again = await promwire([...args, ...sh("exit 0")]);
    expect(again.code).toBe(0);
    const fourth = await group("nightly-backup");
    expect(fourth.get("nightly_backup_last_success_timestamp_seconds")).toBeGreaterThan(success);
    expect([...fourth.keys()].sort()).toEqual([
      "nightly_backup_duration_seconds",
      "nightly_backup_exit_code",
      "nightly_backup_last_run_timestamp_seconds",
      "nightly_backup_last_success_timestamp_seconds",
      "push_failure_time_seconds",
      "push_time_seconds",
    ]);
  });

  it("SIGTERM sent to promwire run reaches the command; both end by it, and the run is recorded", async () => {
    const r = await promwire(["run", "--job", "forwarded", "--pushgateway", pg.url, ...sh("echo ready; exec sleep 30")], { signal: "SIGTERM" });
    expect([r.code, r.signal]).toEqual([null, "SIGTERM"]);
    const g = await group("forwarded");
    expect(g.get("forwarded_exit_code")).toBe(143);
    expect(g.get("forwarded_duration_seconds")).toBeLessThan(20);
    expect(g.has("forwarded_last_success_timestamp_seconds")).toBe(false);
  });

  it("a command that handles SIGINT and exits 0 is a success; promwire run exits 0 too", async () => {
    const r = await promwire(["run", "--job", "graceful", "--pushgateway", pg.url, ...sh("trap 'echo cleaned; exit 0' INT; echo ready; while :; do sleep 0.05; done")], { signal: "SIGINT" });
    expect([r.code, r.signal]).toEqual([0, null]);
    expect(r.stdout).toBe("ready\ncleaned\n");
    expect((await group("graceful")).get("graceful_exit_code")).toBe(0);
  });

  it("metrics the command writes to $PROMWIRE_METRICS_FILE arrive with the group's labels", async () => {
    const page = `# HELP backup_rows_total Rows copied.\n# TYPE backup_rows_total counter\nbackup_rows_total{table="users"} 1200\nbackup_rows_total{table="orders"} 5400\n# TYPE backup_size_bytes gauge\nbackup_size_bytes 7.5e+08\n`;
    const r = await promwire(["run", "--job", "with-file", "--grouping", "db=customers", "--pushgateway", pg.url, ...sh(`printf '%s' '${page}' > "$PROMWIRE_METRICS_FILE"`)]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const text = await (await fetch(`${pg.url}/metrics`)).text();
    expect(text).toContain(`backup_rows_total{db="customers",instance="${HOST}",job="with-file",table="users"} 1200`);
    expect(text).toContain(`backup_rows_total{db="customers",instance="${HOST}",job="with-file",table="orders"} 5400`);
    expect(text).toContain(`backup_size_bytes{db="customers",instance="${HOST}",job="with-file"} 7.5e+08`);
    expect(text).toContain(`with_file_exit_code{db="customers",instance="${HOST}",job="with-file"} 0`);
  });

  it("a malformed metrics file is reported and left out; the run's own metrics arrive, the status is the command's", async () => {
    for (const [what, content, reason] of [
      ["a syntax error", "good_metric 1\nbad metric line\n", /line 2, column \d+/],
      ["a job label (the group's)", 'm{job="other"} 1\n', /already contains a job label/],
      ["a timestamp (Pushgateway refuses them)", "m 1 1700000000000\n", /carries a timestamp/],
      ["one of the run's own metrics", "malformed_exit_code 5\n", /malformed_exit_code, one of the metrics promwire run sends itself/],
      ["bytes that are not UTF-8", "m 1 \xff\n", /not UTF-8/],
    ] as const) {
      await pg.wipe();
      const r = await promwire(["run", "--job", "malformed", "--pushgateway", pg.url, ...sh(`printf '${content.replace(/\n/g, "\\n").replace(/\xff/g, "\\377")}' > "$PROMWIRE_METRICS_FILE"; exit 4`)]);
      expect(r.code, what).toBe(4);
      expect(r.stderr, what).toMatch(/^promwire run: the metrics file the command wrote \(\$PROMWIRE_METRICS_FILE\) was not sent: /);
      expect(r.stderr, what).toMatch(reason);
      const g = await group("malformed");
      expect(g.get("malformed_exit_code"), what).toBe(4);
      expect(g.has("good_metric") || g.has("m"), what).toBe(false);
    }
  });

  it("a failed push is reported and never changes the status; --fail-on-push-error turns exit 0 into 1", async () => {
    const down = ["run", "--job", "down", "--pushgateway", "http://127.0.0.1:1", "--retries", "0"];
    const r0 = await promwire([...down, ...sh("exit 0")]);
    expect(r0.code).toBe(0);
    expect(r0.stderr).toMatch(/^promwire run: push to http:\/\/127\.0\.0\.1:1\/ failed: .*network error/);
    const r3 = await promwire([...down, "--fail-on-push-error", ...sh("exit 3")]);
    expect(r3.code).toBe(3);
    const r1 = await promwire([...down, "--fail-on-push-error", ...sh("exit 0")]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/push to .* failed/);
  });

  it("--every: J_running 1 and the elapsed time while it runs, J_running 0 at the end; the last success survives the heartbeats of a failing run", async () => {
    const args = ["run", "--job", "beating", "--every", "150ms", "--pushgateway", pg.url];
    expect((await promwire([...args, ...sh("exit 0")])).code).toBe(0);
    const success = (await group("beating")).get("beating_last_success_timestamp_seconds")!;
    expect(success).toBeGreaterThan(0);
    const running = promwire([...args, ...sh("sleep 1.5; exit 2")]);
    const seen = await pg.metricsWhen((groups) => {
      const g = groups.find((x) => x.labels.job === "beating") as Record<string, { metrics: { value: string }[] }> | undefined;
      return Number(g?.beating_running?.metrics[0]?.value) === 1 && Number(g?.beating_elapsed_seconds?.metrics[0]?.value) > 0.3;
    }, 10_000);
    const during = seen.find((x) => x.labels.job === "beating") as Record<string, { metrics: { value: string }[] }>;
    expect(Number(during.beating_running.metrics[0].value)).toBe(1);
    // The heartbeat (POST) left the last success alone.
    expect(Number(during.beating_last_success_timestamp_seconds.metrics[0].value)).toBe(success);
    const r = await running;
    expect(r.code).toBe(2);
    const after = await group("beating");
    expect(after.get("beating_running")).toBe(0);
    expect(after.get("beating_exit_code")).toBe(2);
    expect(after.get("beating_elapsed_seconds")).toBe(after.get("beating_duration_seconds"));
    expect(after.get("beating_last_success_timestamp_seconds")).toBe(success);
  });

  it("a command that cannot be found: 127, recorded as such", async () => {
    const r = await promwire(["run", "--job", "missing", "--pushgateway", pg.url, "--", "promwire-no-such-command"]);
    expect(r.code).toBe(127);
    expect(r.stderr).toBe('promwire run: cannot run "promwire-no-such-command": command not found\n');
    expect((await group("missing")).get("missing_exit_code")).toBe(127);
  });

  it("usage errors: no command, no job, no target, both targets, an empty instance", async () => {
    const cases: [string[], RegExp][] = [
      [["run", "--job", "x", "--pushgateway", pg.url], /needs the command after --/],
      [["run", "--pushgateway", pg.url, "--", "true"], /needs --job/],
      [["run", "--job", "x", "--", "true"], /needs --pushgateway URL or --remote-write URL/],
      [["run", "--job", "x", "--pushgateway", pg.url, "--remote-write", `${prom.url}/api/v1/write`, "--", "true"], /not both/],
      [["run", "--job", "x", "--grouping", "instance=", "--pushgateway", pg.url, "--", "true"], /must not be empty/],
      [["run", "--job", "x", "--every", "soon", "--pushgateway", pg.url, "--", "true"], /--every must be a duration/],
    ];
    for (const [args, message] of cases) {
      const r = await promwire(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
    }
    const help = await promwire(["run", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/PROMWIRE_METRICS_FILE/);
  });
});

describe("promwire run → Prometheus 2.42 by remote write", () => {
  /** Every raw sample of `metric` for job `job` in the last 10 minutes, in time order. */
  async function samples(metric: string, job: string): Promise<{ labels: Record<string, string>; values: number[] }[]> {
    const result = await prom.query(`${metric}{job="${job}"}[10m]`);
    return result.map((r) => ({ labels: r.metric, values: (r.values ?? []).map(([, v]) => Number(v)) }));
  }

  it("exit 0, exit 3, killed by SIGTERM: exit codes in order, one last-success sample (from the good run), the command's metrics labelled", async () => {
    const url = `${prom.url}/api/v1/write`;
    const args = ["run", "--job", "rw-job", "--grouping", "db=customers", "--remote-write", url];
    const ok = await promwire([...args, ...sh(`printf 'rows_copied_total{table="users"} 42\\n' > "$PROMWIRE_METRICS_FILE"; exit 0`)]);
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
    const failed = await promwire([...args, ...sh("exit 3")]);
    expect([failed.code, failed.stderr]).toEqual([3, ""]);
    const killed = await promwire([...args, ...sh("kill -TERM $$")]);
    expect([killed.code, killed.signal, killed.stderr]).toEqual([null, "SIGTERM", ""]);

    const codes = await samples("rw_job_exit_code", "rw-job");
    expect(codes).toHaveLength(1);
    expect(codes[0].labels).toEqual({ __name__: "rw_job_exit_code", job: "rw-job", instance: HOST, db: "customers" });
    expect(codes[0].values).toEqual([0, 3, 143]);
    const success = await samples("rw_job_last_success_timestamp_seconds", "rw-job");
    expect(success[0].values).toHaveLength(1);
    const runs = await samples("rw_job_last_run_timestamp_seconds", "rw-job");
    expect(runs[0].values).toHaveLength(3);
    expect(success[0].values[0]).toBe(runs[0].values[0]);
    const rows = await samples("rows_copied_total", "rw-job");
    expect(rows).toEqual([{ labels: { __name__: "rows_copied_total", job: "rw-job", instance: HOST, db: "customers", table: "users" }, values: [42] }]);
  });

  it("a malformed metrics file is reported; the run's own metrics arrive", async () => {
    const r = await promwire(["run", "--job", "rw-bad", "--remote-write", `${prom.url}/api/v1/write`, ...sh(`printf 'ok 1\\nnot valid\\n' > "$PROMWIRE_METRICS_FILE"; exit 0`)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^promwire run: the metrics file the command wrote \(\$PROMWIRE_METRICS_FILE\) was not sent: line 2/);
    expect((await samples("rw_bad_exit_code", "rw-bad"))[0].values).toEqual([0]);
    expect(await samples("ok", "rw-bad")).toEqual([]);
  });

  it("--every: J_running 1 samples while it runs, then 0; every sample accepted in order", async () => {
    const r = await promwire(["run", "--job", "rw-beat", "--every", "200ms", "--remote-write", `${prom.url}/api/v1/write`, ...sh("sleep 1; exit 0")]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const running = (await samples("rw_beat_running", "rw-beat"))[0].values;
    expect(running.length).toBeGreaterThanOrEqual(4);
    expect(running.slice(0, -1).every((v) => v === 1)).toBe(true);
    expect(running[running.length - 1]).toBe(0);
    const elapsed = (await samples("rw_beat_elapsed_seconds", "rw-beat"))[0].values;
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
  });
});

// The CLI also runs as `bunx promwire` and `deno run npm:promwire`: the same bundle under those
// runtimes' Node compatibility (child processes, signals, re-raising).
describe.each([
  ["bun", [`${ROOT}/node_modules/.bin/bun`]],
  ["deno", [`${ROOT}/node_modules/.bin/deno`, "run", "-A"]],
] as const)("promwire run under %s → Pushgateway 1.5.1", (name, runtime) => {
  it("exit 3 with a metrics file, killed by SIGTERM, SIGTERM forwarded: statuses, signals and metrics as on Node", async () => {
    const job = `under-${name}`;
    const prefix = `under_${name}`;
    const args = ["run", "--job", job, "--pushgateway", pg.url];
    const ok = await promwire([...args, ...sh("exit 0")], { runtime });
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
    const success = (await group(job)).get(`${prefix}_last_success_timestamp_seconds`)!;
    const r3 = await promwire([...args, ...sh(`echo out; printf 'made_total 9\\n' > "$PROMWIRE_METRICS_FILE"; exit 3`)], { runtime });
    expect([r3.code, r3.signal, r3.stdout, r3.stderr]).toEqual([3, null, "out\n", ""]);
    let g = await group(job);
    expect(g.get(`${prefix}_exit_code`)).toBe(3);
    expect(g.get("made_total")).toBe(9);
    expect(g.get(`${prefix}_last_success_timestamp_seconds`)).toBe(success);
    const killed = await promwire([...args, ...sh("kill -TERM $$")], { runtime });
    expect([killed.code, killed.signal]).toEqual([null, "SIGTERM"]);
    const forwarded = await promwire([...args, ...sh("echo ready; exec sleep 30")], { runtime, signal: "SIGTERM" });
    expect([forwarded.code, forwarded.signal]).toEqual([null, "SIGTERM"]);
    g = await group(job);
    expect(g.get(`${prefix}_exit_code`)).toBe(143);
    expect(g.get(`${prefix}_duration_seconds`)).toBeLessThan(20);
  }, 60_000);
});
