// The shared behaviour cases inside workerd, through the Workers adapter: the Worker runs every
// case when fetched and answers with the results (scripts/run-workerd-tests.mjs drives it).
import * as promwire from "../../adapters/workers.ts";
import * as exposition from "../../core/exposition/index.ts";
import * as wire from "../../core/wire/index.ts";
import { allCases } from "../shared/all.cases.ts";

interface Env {
  readonly RECEIVER_URL?: string;
  readonly PUSHGATEWAY_URL?: string;
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const results: { name: string; ok: boolean; error?: string; ms: number }[] = [];
    for (const c of allCases) {
      const t0 = Date.now();
      try {
        await c.run({ promwire, wire, exposition, runtime: "workerd", receiverUrl: env.RECEIVER_URL, pushgatewayUrl: env.PUSHGATEWAY_URL });
        results.push({ name: c.name, ok: true, ms: Date.now() - t0 });
      } catch (e) {
        results.push({ name: c.name, ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), ms: Date.now() - t0 });
      }
    }
    return Response.json(results);
  },
};
