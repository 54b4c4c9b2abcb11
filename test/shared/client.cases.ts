// Transport behaviour every runtime must show, through the runtime's own adapter and fetch: a
// remote write to the local receiver (v1 and v2, checked by what the receiver decoded), a push to
// a real Pushgateway (read back from its /api/v1/metrics), configuration from the environment.
import { pushgatewayOptionsFromEnv, remoteWriteOptionsFromEnv } from "../../core/runtime/env-config.ts";
import { assert, assertEqual, assertRejects, eventually, type SharedCase, type SharedContext } from "./harness.ts";

function need(url: string | undefined, variable: string): string {
  // Never a skip: a runner that did not start the servers fails here.
  if (url === undefined || url === "") throw new Error(`${variable} is not set: run through scripts/with-test-servers.mjs or npm test`);
  return url;
}

const nonce = (): string => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;

interface ReceivedWrite {
  kind: string;
  path: string;
  headers: Record<string, string>;
  request: { version: string; series: { labels: string[]; samples?: { value: number | string; timestamp: number }[] }[] };
}

function registryWithJobMetrics(promwire: SharedContext["promwire"]) {
  const registry = new promwire.Registry();
  const rows = new promwire.Counter({ name: "rows_copied_total", help: "Rows copied.", labelNames: ["table"] as const, registry });
  rows.labels({ table: "users" }).inc(42);
  rows.labels({ table: "orders" }).inc(7);
  const last = new promwire.Gauge({ name: "job_last_success_timestamp_seconds", help: "Last success.", registry });
  last.set(1_700_000_000);
  return registry;
}

/** `labels` as a record. */
function record(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < labels.length; i += 2) out[labels[i]] = labels[i + 1];
  return out;
}

export const clientCases: SharedCase[] = [
  {
    name: "a spool the runtime cannot give is refused by remoteWrite() itself, saying why (Workers: no file system; Deno: the permission to add)",
    run: async ({ promwire, runtime }) => {
      // Under a regular file: no runtime can create it. Deno runs these cases without file access.
      const dir = "/dev/null/promwire-spool";
      const make = () => promwire.remoteWrite({ url: "http://127.0.0.1:9/api/v1/write", spool: { dir }, flushOnExit: false });
      if (runtime === "workerd") await assertRejects(make, "ValidationError", /spool: this runtime has no file system/);
      else if (runtime === "deno") await assertRejects(make, "SpoolError", new RegExp(`^spool ${dir}: create the directory: permission denied: run with --allow-read=${dir} --allow-write=${dir}$`));
      else await assertRejects(make, "SpoolError", new RegExp(`^spool ${dir}: create the directory: `));
    },
  },
  {
    name: "client: the runtime entry exports the client API (remoteWrite, pushgateway, flushAll) and the metric types",
    run: ({ promwire }) => {
      for (const name of ["remoteWrite", "pushgateway", "flushAll", "Registry", "Counter", "Gauge", "Histogram", "Summary", "HttpError"] as const) {
        assertEqual(typeof promwire[name], "function", name);
      }
    },
  },
  ...(["v1", "v2"] as const).map(
    (protocol): SharedCase => ({
      name: `client: remote write (${protocol}) to the local receiver with the runtime's fetch; the receiver decodes what was sent`,
      run: async ({ promwire, receiverUrl, runtime }) => {
        const base = need(receiverUrl, "PROMWIRE_TEST_RECEIVER");
        const path = `/api/v1/write/${runtime}-${protocol}-${nonce()}`;
        const errors: string[] = [];
        const rw = promwire.remoteWrite({
          url: `${base}${path}`,
          protocol,
          externalLabels: { runtime },
          flushOnExit: false,
          auth: { bearer: "s3cret" },
          onError: (e) => errors.push(e.message),
        });
        const before = Date.now();
        rw.collect(registryWithJobMetrics(promwire));
        const stats = await rw.close();
        assertEqual([stats.sent, stats.failed, stats.pending, stats.requests], [3, 0, 0, 1], `sent, failed, pending, requests (errors: ${errors.join("; ")})`);
        assertEqual(rw.protocol, protocol, "protocol after the write (no fallback)");
        const res = await fetch(`${base}/_test/requests?path=${encodeURIComponent(path)}`);
        const got = (await res.json()) as ReceivedWrite[];
        assertEqual(got.length, 1, "requests received");
        const r = got[0];
        assertEqual(r.kind, "remote-write", "kind");
        assertEqual(r.request.version, protocol, "decoded version");
        assertEqual(r.headers["content-encoding"], "snappy", "Content-Encoding");
        assertEqual(r.headers["x-prometheus-remote-write-version"], protocol === "v1" ? "0.1.0" : "2.0.0", "version header");
        assertEqual(r.headers.authorization, "Bearer ***", "auth header (masked by the receiver)");
        assert(/^promwire\/\d/.test(r.headers["user-agent"] ?? ""), `User-Agent ${r.headers["user-agent"]}`);
        const byName = new Map(r.request.series.map((s) => [`${record(s.labels).__name__}{${record(s.labels).table ?? ""}}`, s]));
        assertEqual([...byName.keys()].sort(), ["job_last_success_timestamp_seconds{}", "rows_copied_total{orders}", "rows_copied_total{users}"], "series");
        const users = byName.get("rows_copied_total{users}")!;
        assertEqual(record(users.labels), { __name__: "rows_copied_total", runtime, table: "users" }, "labels with the external label, sorted");
        assertEqual(users.samples?.map((s) => s.value), [42], "counter value");
        const ts = users.samples![0].timestamp;
        assert(ts >= before - 1000 && ts <= Date.now() + 1000, `sample timestamp ${ts} is now`);
        assertEqual(byName.get("job_last_success_timestamp_seconds{}")!.samples?.map((s) => s.value), [1_700_000_000], "gauge value");
      },
    }),
  ),
  {
    name: "client: remote write failures are typed and counted (a 4xx is final, never retried)",
    run: async ({ promwire, receiverUrl }) => {
      const base = need(receiverUrl, "PROMWIRE_TEST_RECEIVER");
      const errors: string[] = [];
      // A Pushgateway path without a job value: the receiver answers 400.
      const rw = promwire.remoteWrite({ url: `${base}/metrics/job`, flushOnExit: false, onError: (e) => errors.push(e._tag) });
      rw.write([{ labels: ["__name__", "up"], samples: [{ value: 1, timestamp: Date.now() }] }]);
      const stats = await rw.close();
      assertEqual([stats.sent, stats.failed, stats.retries], [0, 1, 0], "sent, failed, retries");
      assertEqual(errors, ["RejectedError"], "onError");
    },
  },
  {
    name: "client: Pushgateway push, add and delete against a real Pushgateway, read back from /api/v1/metrics",
    run: async ({ promwire, pushgatewayUrl, runtime }) => {
      const base = need(pushgatewayUrl, "PROMWIRE_TEST_PUSHGATEWAY");
      const job = `promwire_shared_${runtime}_${nonce()}`;
      const groups = async (): Promise<Record<string, unknown>[]> => {
        const res = await fetch(`${base}/api/v1/metrics`);
        assertEqual(res.status, 200, "GET /api/v1/metrics");
        const all = ((await res.json()) as { data: { labels: Record<string, string> }[] }).data;
        return all.filter((g) => g.labels.job === job);
      };
      for (const format of ["protobuf", "text"] as const) {
        const pg = promwire.pushgateway({ url: base, job, grouping: { instance: runtime, path: "a/b" }, format, log: () => {} });
        assert(pg.url.includes("/metrics/job/") && pg.url.includes("path@base64/"), `grouping URL ${pg.url}`);
        await pg.push(registryWithJobMetrics(promwire));
        const [group] = await groups();
        assert(group !== undefined, `group for job ${job} (${format})`);
        assertEqual(group.labels, { job, instance: runtime, path: "a/b" }, "group labels");
        const rows = group.rows_copied_total as { type: string; metrics: { labels: Record<string, string>; value: string }[] };
        assertEqual(rows.type, "COUNTER", "type");
        assertEqual(
          rows.metrics.map((m) => [m.labels.table, m.value]).sort(),
          [["orders", "7"], ["users", "42"]],
          `${format}: counter values`,
        );
        // add (POST) replaces only same-named metrics: the counter stays.
        const extra = new promwire.Registry();
        new promwire.Gauge({ name: "job_last_success_timestamp_seconds", help: "Last success.", registry: extra }).set(5);
        await pg.add(extra);
        const [after] = await groups();
        assert(after.rows_copied_total !== undefined, "add kept the other metric");
        assertEqual((after.job_last_success_timestamp_seconds as { metrics: { value: string }[] }).metrics[0].value, "5", "add replaced the gauge");
        await pg.delete();
        assertEqual((await eventually(groups, (g) => g.length === 0)).length, 0, "group deleted");
      }
      // Validation happens before any request.
      await assertRejects(() => promwire.pushgateway({ url: base, job: "" }).push(new promwire.Registry()), "ValidationError", /job/);
    },
  },
  {
    name: "client: pushEvery and collectEvery — the first run at once, the final one on stop() (refused on workerd: a Worker's timers end with its request)",
    run: async ({ promwire, pushgatewayUrl, receiverUrl, runtime }) => {
      const pgBase = need(pushgatewayUrl, "PROMWIRE_TEST_PUSHGATEWAY");
      const rwBase = need(receiverUrl, "PROMWIRE_TEST_RECEIVER");
      const job = `promwire_every_${runtime}_${nonce()}`;
      const registry = new promwire.Registry();
      const progress = new promwire.Gauge({ name: "job_progress", help: "Progress.", registry });
      progress.set(1);
      const pg = promwire.pushgateway({ url: pgBase, job, grouping: { instance: runtime }, flushOnExit: false });
      const path = `/api/v1/write/${runtime}-every-${nonce()}`;
      const rw = promwire.remoteWrite({ url: `${rwBase}${path}`, flushOnExit: false });
      if (runtime === "workerd") {
        let refused = 0;
        for (const start of [() => pg.pushEvery(registry, 1_000), () => rw.collectEvery(registry, 1_000)]) {
          try {
            start();
          } catch (e) {
            assertEqual((e as { _tag?: string })._tag, "ValidationError", "error type");
            assert(/is for processes .*withMetrics/.test((e as Error).message), `message: ${(e as Error).message}`);
            refused++;
          }
        }
        assertEqual(refused, 2, "both refused");
        await rw.close();
        return;
      }
      const pushing = pg.pushEvery(registry, 60_000);
      const collecting = rw.collectEvery(registry, 60_000);
      progress.set(2);
      await Promise.all([pushing.stop(), collecting.stop()]);
      assertEqual([pushing.stats().runs, collecting.stats().runs, pushing.stats().failed, collecting.stats().failed], [2, 2, 0, 0], "runs and failures");
      const res = await fetch(`${pgBase}/api/v1/metrics`);
      const group = ((await res.json()) as { data: Record<string, { metrics: { value: string }[] }>[] }).data.find((g) => (g.labels as unknown as Record<string, string>).job === job);
      assertEqual(group?.job_progress.metrics[0].value, "2", "the final push's value");
      const writes = (await (await fetch(`${rwBase}/_test/requests?path=${encodeURIComponent(path)}`)).json()) as ReceivedWrite[];
      const values = writes.flatMap((w) => w.request.series.filter((x) => x.labels[1] === "job_progress").flatMap((x) => (x.samples ?? []).map((v) => Number(v.value))));
      assertEqual(values, [1, 2], "the first and the final snapshot");
      await rw.close();
      await pg.delete();
    },
  },
  {
    name: "client: options from environment variables when no URL is given; code wins; clear errors",
    run: async () => {
      const env: Record<string, string> = {
        PROMWIRE_REMOTE_WRITE_URL: "https://prom.example/api/v1/write",
        PROMWIRE_USERNAME: "app",
        PROMWIRE_PASSWORD: "pw",
        PROMWIRE_PROTOCOL: "v2",
        PROMWIRE_EXTERNAL_LABELS: "region=eu, instance=web-1",
        PROMWIRE_TIMEOUT_MS: "2500",
      };
      const o = remoteWriteOptionsFromEnv((n) => env[n], { protocol: "v1" });
      assertEqual(
        [o.url, o.auth, o.protocol, o.externalLabels, o.timeoutMs],
        ["https://prom.example/api/v1/write", { username: "app", password: "pw" }, "v1", { region: "eu", instance: "web-1" }, 2500],
        "options",
      );
      let read = 0;
      const given = remoteWriteOptionsFromEnv(() => (read++, undefined), { url: "http://x/api/v1/write" });
      assertEqual([given.url, read], ["http://x/api/v1/write", 0], "a URL in code: the environment is not read");
      await assertRejects(() => remoteWriteOptionsFromEnv(() => undefined), "ValidationError", /PROMWIRE_REMOTE_WRITE_URL/);
      await assertRejects(
        () => remoteWriteOptionsFromEnv((n) => ({ ...env, PROMWIRE_BEARER_TOKEN: "t" })[n]),
        "ValidationError",
        /either PROMWIRE_BEARER_TOKEN/,
      );
      const bearer = remoteWriteOptionsFromEnv((n) => ({ PROMWIRE_REMOTE_WRITE_URL: "http://x/", PROMWIRE_BEARER_TOKEN: "tok" })[n]);
      assertEqual(bearer.auth, { bearer: "tok" }, "bearer from the environment");
      const pg = pushgatewayOptionsFromEnv((n) => ({ PROMWIRE_PUSHGATEWAY_URL: "http://pg:9091", PROMWIRE_JOB: "nightly" })[n], {});
      assertEqual([pg.url, pg.job], ["http://pg:9091", "nightly"], "pushgateway options");
    },
  },
];
