// The probe inside workerd. workerd freezes the clock during synchronous work (timers advance
// only across I/O), so the import cannot be timed from inside: scripts/runtime-bench.mjs times
// startup from outside. Here: the remote-write round trips (the clock does advance across fetch).
import * as promwire from "../../../adapters/workers.ts";

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url).searchParams.get("url")!;
    const rounds = 50;
    const registry = new promwire.Registry();
    const counter = new promwire.Counter({ name: "probe_runs_total", help: "Probe runs.", registry });
    counter.inc();
    const rw = promwire.remoteWrite({ url, flushOnExit: false });
    rw.collect(registry);
    await rw.flush();
    const rtts: number[] = [];
    for (let i = 0; i < rounds; i++) {
      counter.inc();
      const a = Date.now();
      rw.collect(registry);
      await rw.flush();
      rtts.push(Date.now() - a);
    }
    const stats = await rw.close();
    rtts.sort((a, b) => a - b);
    const at = (q: number): number => rtts[Math.min(rtts.length - 1, Math.floor(q * rtts.length))];
    return Response.json({ rttMedianMs: at(0.5), rttP90Ms: at(0.9), rounds, sent: stats.sent, failed: stats.failed });
  },
};
