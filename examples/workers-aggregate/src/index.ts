import { Counter, Histogram, MetricsAggregator, reportToAggregator, withMetrics } from "promwire/workers";

// The aggregator Durable Object: exported by the Worker, bound as PROMWIRE_AGGREGATOR (wrangler.toml).
export { MetricsAggregator };

interface Env {
  readonly PROMWIRE_REMOTE_WRITE_URL: string; // used by the aggregator, which does the remote write
}

interface Metrics {
  readonly requests: Counter<"route">;
  readonly bytes: Histogram;
}

export default withMetrics<Env, Metrics>(
  async (request, env, ctx, { metrics }) => {
    const route = new URL(request.url).pathname === "/" ? "home" : "other";
    const body = `hello from ${route}\n`;
    metrics.requests.labels({ route }).inc();
    metrics.bytes.observe(body.length);
    return new Response(body); // sent at once; the report to the aggregator runs in ctx.waitUntil
  },
  {
    metrics: (registry) => ({
      requests: new Counter({ name: "worker_requests_total", help: "Requests.", labelNames: ["route"] as const, registry }),
      bytes: new Histogram({ name: "worker_response_bytes", help: "Response body size.", buckets: [16, 64, 256], registry }),
    }),
    // Report each isolate's changes to the aggregator instead of remote-writing them itself.
    aggregate: reportToAggregator({ binding: "PROMWIRE_AGGREGATOR" }),
  },
);
