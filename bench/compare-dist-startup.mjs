#!/usr/bin/env node
// `node bench/compare-dist-startup.mjs <distA> <distB> [rounds]`: wall time of a fresh Node process
// running the smallest remote-write job (import `<dist>/node.js`, one gauge, close) against a
// local receiver that answers 204, for two builds of the package, interleaved round by round
// (order alternated), medians printed with B's difference to A. For checking that a change does
// not make a plain job start slower.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { resolve } from "node:path";

const [a, b, roundsText = "21"] = process.argv.slice(2);
if (!a || !b) {
  console.error("usage: compare-dist-startup.mjs <distA> <distB> [rounds]");
  process.exit(2);
}
const server = createServer((req, res) => req.resume().on("end", () => res.writeHead(204).end()));
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/api/v1/write`;
const job = (dist) =>
  `const { remoteWrite, Registry, Gauge } = await import(${JSON.stringify(resolve(dist, "node.js"))});` +
  `const r = new Registry(); new Gauge({ name: "job_done", help: "x", registry: r }).set(1);` +
  `const rw = remoteWrite({ url: ${JSON.stringify(url)}, flushOnExit: false }); rw.collect(r); const s = await rw.close(); if (s.sent !== 1) process.exit(1);`;
// The jobs write to this process's server: spawned asynchronously, one at a time.
const time = (dist) =>
  new Promise((done, fail) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ["--input-type=module", "-e", job(dist)], { stdio: "inherit" });
    child.on("exit", (code) => (code === 0 ? done(Number(process.hrtime.bigint() - t0) / 1e6) : fail(new Error(`${dist}: exit ${code}`))));
  });
const runs = { a: [], b: [] };
const rounds = Number(roundsText);
for (let i = -1; i < rounds; i++) {
  // Round -1 warms the file cache and is not counted; the order alternates.
  for (const k of i % 2 === 0 ? ["a", "b"] : ["b", "a"]) {
    const ms = await time(k === "a" ? a : b);
    if (i >= 0) runs[k].push(ms);
  }
}
server.close();
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const ma = median(runs.a);
const mb = median(runs.b);
console.log(`plain remote-write job, fresh Node ${process.version} process, ${rounds} interleaved rounds (median ms)`);
console.log(`  A ${a}: ${ma.toFixed(1)}`);
console.log(`  B ${b}: ${mb.toFixed(1)}  (${mb >= ma ? "+" : ""}${(mb - ma).toFixed(1)} ms, ${((mb / ma - 1) * 100).toFixed(1)} %)`);
