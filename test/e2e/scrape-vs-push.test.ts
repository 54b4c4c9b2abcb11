// Scrape vs push: a real Prometheus 2.42 scrapes a set of pages served here, and the same pages go
// through promwire's parse → familiesToSeries → encode → snappy → remote write into the same
// Prometheus. Every series, value and exemplar stored from the scrape must be stored identically
// from the push. The two copies are told apart by a `source` label (a target label for the scrape,
// an external label for the push); `honor_labels: true` makes the target labels behave like
// remote-write external labels (added only when the page does not carry the label).
import "../support/snappy-node.ts";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpus } from "../support/fixtures.ts";
import { familiesToSeries } from "../../core/exposition/to-series.ts";
import { detectFormat, parseExposition } from "../../core/exposition/parse.ts";
import { serializeOpenMetrics, serializeText } from "../../core/exposition/serialize.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";
import { encodeWriteRequest } from "../../core/wire/encode.ts";
import { compress } from "../../core/wire/snappy.ts";
import { startPrometheus, type Prometheus, type PromExemplarResult, type PromSeriesResult } from "../support/prometheus.ts";
import { startPushgateway } from "../support/pushgateway.ts";

const TEXT = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

interface Page {
  body: string;
  contentType: string;
}

const fixture = (file: string): string => readFileSync(new URL(`../fixtures/exposition/${file}`, import.meta.url), "utf8");

/** Series Prometheus adds to every scrape: not on the page, so never pushed. */
const SCRAPE_ONLY = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"]);

/** A page from the serializer with explicit timestamps (recent, so an instant query sees them). */
function timestampedFamilies(now: number): MetricFamily[] {
  const ts = now - 30_000 - (now % 1000) + 1; // an odd millisecond: OpenMetrics writes it as float seconds
  return [
    {
      name: "ts_jobs",
      type: "counter",
      help: "Jobs with explicit timestamps.",
      samples: [
        { name: "ts_jobs_total", labels: ["queue", "a"], value: 7, timestamp: ts, exemplar: { labels: ["trace_id", "t1"], value: 1, timestamp: ts - 5 } },
        { name: "ts_jobs_total", labels: ["queue", "b"], value: 0.25, timestamp: ts + 999 },
      ],
    },
    {
      name: "ts_latency_seconds",
      type: "histogram",
      samples: [
        { name: "ts_latency_seconds_bucket", labels: ["le", "0.5"], value: 1, timestamp: ts, exemplar: { labels: ["span_id", "s1", "trace_id", "t2"], value: 0.125, timestamp: ts + 1 } },
        { name: "ts_latency_seconds_bucket", labels: ["le", "+Inf"], value: 3, timestamp: ts },
        { name: "ts_latency_seconds_sum", labels: [], value: 2.75, timestamp: ts },
        { name: "ts_latency_seconds_count", labels: [], value: 3, timestamp: ts },
      ],
    },
  ];
}

const pages = new Map<string, Page>();
let server: Server;
let prom: Prometheus;
let target = "";

function serve(): Promise<string> {
  server = createServer((req, res) => {
    const page = pages.get((req.url ?? "").replace(/^\/pages\//, ""));
    if (page === undefined) {
      res.writeHead(503).end("not yet");
      return;
    }
    res.writeHead(200, { "Content-Type": page.contentType }).end(page.body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`127.0.0.1:${(server.address() as { port: number }).port}`)));
}

async function fetchPage(url: string, accept?: string): Promise<Page> {
  const res = await fetch(url, accept === undefined ? {} : { headers: { Accept: accept } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return { body: await res.text(), contentType: res.headers.get("content-type") ?? TEXT };
}

async function push(name: string, page: Page): Promise<void> {
  const families = parseExposition(page.body, { contentType: page.contentType });
  const { series, metadata } = familiesToSeries(families, {
    externalLabels: { job: name, instance: target, page: name, source: "push" },
  });
  const res = await fetch(`${prom.url}/api/v1/write`, {
    method: "POST",
    headers: { "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf", "X-Prometheus-Remote-Write-Version": "0.1.0" },
    body: new Uint8Array(compress(encodeWriteRequest(series, { metadata }))),
  });
  if (res.status !== 204 && res.status !== 200) throw new Error(`push ${name}: HTTP ${res.status}: ${await res.text()}`);
}

const key = (labels: Record<string, string>): string =>
  JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== "source")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

function byKey(results: PromSeriesResult[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of results) {
    if (SCRAPE_ONLY.has(r.metric.__name__)) continue;
    const values = r.values ?? (r.value === undefined ? [] : [r.value]);
    out.set(key(r.metric), values.map(([t, v]) => `${v}@${t}`).join(" "));
  }
  return out;
}

/**
 * Exemplars as comparable strings. An exemplar the page gives no timestamp gets the scrape (or
 * push) time, which differs by design: compare timestamps on pages that give them all (`exact`)
 * and, elsewhere, those far older than the test (written on the page).
 */
function exemplarSet(results: PromExemplarResult[], since: number, exact: boolean): Set<string> {
  const out = new Set<string>();
  for (const r of results) {
    for (const e of r.exemplars) {
      const ts = exact || e.timestamp * 1000 < since ? String(e.timestamp) : "now";
      out.add(`${key(r.seriesLabels)} ${key(e.labels)} ${e.value} ${ts}`);
    }
  }
  return out;
}

const testStart = Date.now();
const totals = { pages: 0, series: 0, exemplars: 0 };

beforeAll(async () => {
  const now = Date.now();
  const textEdge = fixture("text-edge.prom");
  const omEdge = fixture("openmetrics-edge.om");
  pages.set("corpus-node-exporter", { body: corpus("node-exporter-1.5.prom"), contentType: TEXT });
  pages.set("corpus-prometheus", { body: corpus("prometheus-2.42.prom"), contentType: TEXT });
  pages.set("edge-text", { body: textEdge, contentType: TEXT });
  pages.set("edge-openmetrics", { body: omEdge, contentType: OPENMETRICS });
  // Pages from promwire's serializers: the edge pages re-rendered in the other format too.
  pages.set("serialized-text-from-om", { body: serializeText(parseExposition(omEdge, { format: "openmetrics" })), contentType: TEXT });
  pages.set("serialized-om-from-text", { body: serializeOpenMetrics(parseExposition(textEdge, { format: "text" })), contentType: OPENMETRICS });
  pages.set("serialized-text-timestamps", { body: serializeText(timestampedFamilies(now)), contentType: TEXT });
  pages.set("serialized-om-timestamps", { body: serializeOpenMetrics(timestampedFamilies(now)), contentType: OPENMETRICS });
  // The Pushgateway's own /metrics page (its startPushgateway fails with an install hint when
  // the Debian package is missing).
  const pg = await startPushgateway();
  try {
    pages.set("pushgateway-self-text", await fetchPage(`${pg.url}/metrics`));
  } finally {
    await pg.stop();
  }
  target = await serve();
  const names = [...pages.keys(), "prometheus-self-text", "prometheus-self-openmetrics"];
  prom = await startPrometheus({
    scrapeConfigs: names.map((name) => ({
      job_name: name,
      honor_labels: true,
      metrics_path: `/pages/${name}`,
      static_configs: [{ targets: [target], labels: { page: name, source: "scrape" } }],
    })),
  });
  // Prometheus's own /metrics, frozen: a live page would change between scrape and push.
  pages.set("prometheus-self-text", await fetchPage(`${prom.url}/metrics`, TEXT));
  // Prometheus 2.42 serves its own page as text only: render the OpenMetrics twin with promwire.
  const self = pages.get("prometheus-self-text") as Page;
  expect(detectFormat(self.contentType, self.body)).toBe("text");
  pages.set("prometheus-self-openmetrics", { body: serializeOpenMetrics(parseExposition(self.body, { format: "text" })), contentType: OPENMETRICS });
  // Wait until every page has been scraped successfully at least once.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await prom.query('up{source="scrape"} == 1');
    if (up.length === names.length) break;
    if (Date.now() > deadline) {
      const targets = (await (await fetch(`${prom.url}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: Record<string, string>; lastError: string }[] } };
      const failing = targets.data.activeTargets.filter((t) => t.lastError !== "").map((t) => `${t.labels.page}: ${t.lastError}`);
      throw new Error(`pages not scraped:\n${failing.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const [name, page] of pages) await push(name, page);
}, 90_000);

afterAll(async () => {
  await prom?.stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  console.log(`scrape vs push: ${totals.pages} pages, ${totals.series} series and ${totals.exemplars} exemplars compared, 0 differences`);
});

describe("scrape vs push through Prometheus 2.42", () => {
  const names = [
    "corpus-node-exporter",
    "corpus-prometheus",
    "edge-text",
    "edge-openmetrics",
    "serialized-text-from-om",
    "serialized-om-from-text",
    "serialized-text-timestamps",
    "serialized-om-timestamps",
    "prometheus-self-text",
    "prometheus-self-openmetrics",
    "pushgateway-self-text",
  ];
  for (const name of names) {
    it(`stores the same series, values and exemplars for ${name}`, async () => {
      const page = pages.get(name);
      expect(page).toBeDefined();
      // Pages with explicit timestamps: every stored sample with its time (a range selector), which
      // must land on the same millisecond. Other pages: the latest value of every series (scrape
      // and push times differ by design), all of them inside the lookback window.
      const timestamps = name.includes("timestamps");
      const selector = (source: string): string => `{page="${name}",source="${source}"}${timestamps ? "[10m]" : ""}`;
      const scraped = byKey(await prom.query(selector("scrape")));
      const pushed = byKey(await prom.query(selector("push")));
      const stripTime = (m: Map<string, string>): Map<string, string> => new Map([...m].map(([k, v]) => [k, v.replace(/@[\d.]+$/, "")]));
      const scrapedCmp = timestamps ? scraped : stripTime(scraped);
      const pushedCmp = timestamps ? pushed : stripTime(pushed);
      const missing = [...scrapedCmp].filter(([k, v]) => pushedCmp.get(k) !== v);
      const extra = [...pushedCmp].filter(([k]) => !scrapedCmp.has(k));
      expect({ missing, extra }).toEqual({ missing: [], extra: [] });
      expect(scraped.size).toBeGreaterThan(0);
      const range = async (source: string): Promise<Set<string>> =>
        exemplarSet(await prom.queryExemplars(`{page="${name}",source="${source}"}`, 1_600_000_000, Date.now() / 1000 + 60), testStart - 86_400_000, timestamps);
      const ex = await range("scrape");
      const exPushed = await range("push");
      expect([...exPushed].sort()).toEqual([...ex].sort());
      totals.pages++;
      totals.series += scraped.size;
      totals.exemplars += ex.size;
    });
  }

  it("found exemplars on the OpenMetrics pages (so the exemplar comparison is not vacuous)", async () => {
    const ex = await prom.queryExemplars('{page="edge-openmetrics",source="push"}', 1_600_000_000, Date.now() / 1000 + 60);
    expect(ex.reduce((n, r) => n + r.exemplars.length, 0)).toBe(5);
  });
});
