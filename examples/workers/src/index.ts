// A Cloudflare Worker that counts its requests in an isolate-wide counter (cumulative across
// requests) and pushes it by remote write at most every PROMWIRE_FLUSH_INTERVAL_MS (default 10 s),
// in `ctx.waitUntil`: the response never waits for the push. Configuration comes from the
// Worker's vars and secrets (see wrangler.toml): PROMWIRE_REMOTE_WRITE_URL and, for a managed
// Prometheus, PROMWIRE_USERNAME + PROMWIRE_PASSWORD or PROMWIRE_BEARER_TOKEN.
import { Counter, withMetrics } from "promwire/workers";

interface Env {
  readonly PROMWIRE_REMOTE_WRITE_URL: string;
}

export default withMetrics<Env, { requests: Counter<"route"> }>(
  async (request, _env, _ctx, { metrics }) => {
    const route = new URL(request.url).pathname === "/" ? "home" : "other";
    metrics.requests.labels({ route }).inc();
    return new Response(`hello from ${route}\n`);
  },
  {
    metrics: (registry) => ({
      requests: new Counter({ name: "worker_requests_total", help: "Requests handled.", labelNames: ["route"] as const, registry }),
    }),
    remoteWrite: { externalLabels: { worker: "promwire-example" } },
  },
);
