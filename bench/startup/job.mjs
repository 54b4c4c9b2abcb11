// The one-counter job a cron script is: import, a Registry, a Counter, remote write to the URL
// given as the first argument, collect, close. Copied per runtime like import.mjs. It fails
// unless the sample was delivered, so a broken build cannot look fast.
import { Counter, Registry, remoteWrite } from "promwire/node";

const url = globalThis.Deno ? globalThis.Deno.args[0] : process.argv[2];
const registry = new Registry();
new Counter({ name: "startup_job_runs_total", help: "Runs of the start-up benchmark's job.", registry }).inc();
const rw = remoteWrite({ url });
rw.collect(registry);
const stats = await rw.close();
if (!(stats.sent >= 1) || stats.failed !== 0) throw new Error(`job did not deliver: ${JSON.stringify(stats)}`);
