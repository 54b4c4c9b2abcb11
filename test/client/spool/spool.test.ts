// The spool with real files (node:fs, the Node and Bun storage) and a scripted receiver: what is
// given up is kept, sent first by the next writer, deleted only after a 2xx; refused and unreadable
// files go to rejected/ with the reason; the directory stays under maxBytes; credentials never
// reach the disk.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import "../../support/snappy-node.ts";
import { startFaultServer, type FaultServer } from "../../support/fault-server.ts";
import { makeRemoteWriter, makeRemoteWriterInternals } from "../../../core/client/remote-write/writer.ts";
import type { RemoteWriteOptions } from "../../../core/client/remote-write/options.ts";
import { RejectedError, SpoolError, type PromwireError } from "../../../core/errors.ts";
import { parseSpoolFile } from "../../../core/client/remote-write/spool/format.ts";
import { openNodeSpool } from "../../../adapters/spool-node.ts";
import { T0, acceptedSamples, expectedSamples, makeSeries, perSeries } from "../helpers.ts";

const dirs: string[] = [];
const servers: FaultServer[] = [];
function spoolDir(): string {
  const d = mkdtempSync(join(tmpdir(), "promwire-spool-test-"));
  dirs.push(d);
  return d;
}
async function server(...args: Parameters<typeof startFaultServer>): Promise<FaultServer> {
  const s = await startFaultServer(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const QUICK = { minBackoffMs: 1, maxBackoffMs: 5, maxAttempts: 3, maxAgeMs: 5_000 } as const;
const writer = (o: RemoteWriteOptions) => makeRemoteWriter({ retry: QUICK, ...o }, { openSpool: openNodeSpool });
const spoolFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".spool")).sort();

describe("spool", () => {
  it("a receiver that is down: everything spooled, nothing failed; the next writer sends it first, then its own, and empties the spool", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const errors: PromwireError[] = [];
    const first = writer({ url: s.url, spool: { dir }, maxSamplesPerRequest: 100, onError: (e) => errors.push(e), log: () => {} });
    const run1 = [...makeSeries(250, T0), ...makeSeries(250, T0 + 1000)];
    first.write(run1);
    const st1 = await first.close();
    expect(st1).toMatchObject({ sent: 0, failed: 0, spooled: 500, pending: 0 });
    expect(errors).toEqual([]);
    expect(spoolFiles(dir)).toHaveLength(5);

    s.setBehaviour(() => ({ status: 204 }));
    const before = s.requests.length;
    const second = writer({ url: s.url, spool: { dir }, maxSamplesPerRequest: 100, log: () => {} });
    const run2 = makeSeries(250, T0 + 2000);
    second.write(run2);
    const st2 = await second.close();
    expect(st2).toMatchObject({ sent: 250, failed: 0, spooled: 0, resent: 500 });
    expect(spoolFiles(dir)).toEqual([]);
    const got = acceptedSamples(s);
    expect(got).toHaveLength(750);
    expect(perSeries(got)).toEqual(perSeries(expectedSamples([...run1, ...run2])));
    // The spooled requests went first: every request of run 1 arrived before any of run 2.
    const firstOfRun2 = s.requests.findIndex((r, i) => i >= before && r.decoded?.series[0]?.samples?.[0]?.timestamp === T0 + 2000);
    const lastOfRun1 = s.requests.findLastIndex((r) => r.status === 204 && (r.decoded?.series[0]?.samples?.[0]?.timestamp ?? 0) < T0 + 2000);
    expect(lastOfRun1).toBeLessThan(firstOfRun2);
  });

  it("credentials never reach the spool: not the Basic auth, the bearer token, the URL's user info or query", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const withUserInfo = s.url.replace("http://", "http://alice:pw-in-url-7431@") + "?api_key=query-secret-9925";
    for (const [url, auth] of [
      [withUserInfo, undefined],
      [s.url, { username: "APPID", password: "basic-secret-1188" }],
      [s.url, { bearer: "bearer-secret-5521" }],
    ] as const) {
      const rw = writer({ url, auth, spool: { dir }, headers: { "X-Api-Key": "header-secret-3307" }, log: () => {} });
      rw.write(makeSeries(3, T0));
      expect((await rw.close()).spooled).toBe(3);
    }
    const files = spoolFiles(dir);
    expect(files).toHaveLength(3);
    for (const f of files) {
      const text = readFileSync(join(dir, f)).toString("latin1");
      for (const secret of ["pw-in-url-7431", "alice", "query-secret-9925", "api_key", "basic-secret-1188", "APPID", "bearer-secret-5521", "header-secret-3307", "QVBQSUQ6"]) {
        expect(text).not.toContain(secret);
      }
      expect(parseSpoolFile(readFileSync(join(dir, f))).header.target).toBe(s.url);
    }
  });

  it("a final 4xx for a spooled file moves it to rejected/ with the status and the answer's start; the other files are sent", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const rw = writer({ url: s.url, spool: { dir }, maxSamplesPerRequest: 10, shards: 1, log: () => {} });
    rw.write(makeSeries(30, T0));
    await rw.close();
    const [a, b, c] = spoolFiles(dir);
    let n = 0;
    s.setBehaviour(() => (n++ === 1 ? { status: 400, body: `out of bounds ${"x".repeat(3000)}` } : { status: 204 }));
    const errors: { e: PromwireError; samples: number }[] = [];
    const logs: string[] = [];
    const next = writer({ url: s.url, spool: { dir }, onError: (e, i) => errors.push({ e, samples: i.samples }), log: (m) => logs.push(m) });
    const stats = await next.close();
    expect(spoolFiles(dir)).toEqual([]);
    expect(readdirSync(join(dir, "rejected")).sort()).toEqual([b, `${b}.json`]);
    const note = JSON.parse(readFileSync(join(dir, "rejected", `${b}.json`), "utf8")) as { status: number; body: string; reason: string; samples: number; target: string };
    expect(note).toMatchObject({ status: 400, samples: 10, target: s.url });
    expect(note.body).toMatch(/^out of bounds x+$/);
    expect(note.body).toHaveLength(1024);
    expect(errors).toHaveLength(1);
    expect((errors[0].e as RejectedError).reason).toBe("spool-rejected");
    expect(errors[0].samples).toBe(10);
    expect(logs.join("\n")).toContain(`spool file ${b} refused by the receiver`);
    // The rejected file is the very body that was refused, kept byte for byte.
    expect(Buffer.from(parseSpoolFile(readFileSync(join(dir, "rejected", b))).body).equals(s.requests.find((r) => r.status === 400)!.body)).toBe(true);
    expect(stats).toMatchObject({ resent: 20, failed: 0 });
    expect([a, c].every((f) => !readdirSync(dir).includes(f))).toBe(true);
  });

  it("bad spool files — truncated, garbage, a future format version — go to rejected/ with the reason, never a crash; the good ones are sent", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const rw = writer({ url: s.url, spool: { dir }, maxSamplesPerRequest: 10, shards: 1, log: () => {} });
    rw.write(makeSeries(40, T0));
    await rw.close();
    const [a, b, c, d] = spoolFiles(dir);
    const bytes = readFileSync(join(dir, b));
    writeFileSync(join(dir, b), bytes.subarray(0, bytes.length - 7)); // truncated
    writeFileSync(join(dir, c), Buffer.from("\x00\x01garbage, not a spool file\n")); // garbage under a spool file's name
    writeFileSync(join(dir, d), Buffer.concat([Buffer.from("promwire-spool 2\n"), readFileSync(join(dir, d)).subarray("promwire-spool 1\n".length)])); // a newer format
    writeFileSync(join(dir, "stray.spool"), "nothing like it"); // no name pattern at all
    s.setBehaviour(() => ({ status: 204 }));
    const errors: RejectedError[] = [];
    const next = writer({ url: s.url, spool: { dir }, onError: (e) => errors.push(e as RejectedError), log: () => {} });
    const stats = await next.close();
    expect(stats.resent).toBe(10);
    expect(s.accepted()).toHaveLength(1);
    expect(spoolFiles(dir)).toEqual([]);
    const reason = (f: string) => (JSON.parse(readFileSync(join(dir, "rejected", `${f}.json`), "utf8")) as { reason: string }).reason;
    expect(reason(b)).toBe("truncated: the body has " + (bytes.length - 7 - (bytes.indexOf(10, bytes.indexOf(10) + 1) + 1)) + " of " + parseSpoolFile(bytes).header.bodyBytes + " bytes");
    expect(reason(c)).toMatch(/^not a promwire spool file/);
    expect(reason(d)).toBe("spool format version 2 is not supported (this promwire reads version 1)");
    expect(reason("stray.spool")).toMatch(/^not a promwire spool file/);
    expect(errors.map((e) => e.reason)).toEqual(["spool-invalid", "spool-invalid", "spool-invalid", "spool-invalid"]);
    expect(errors.every((e) => e.lastError instanceof SpoolError)).toBe(true);
    void a;
  });

  it("maxBytes bounds the directory: the oldest files are deleted, counted in stats().evicted and onDrop(n, \"spool-full\")", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const drops: [number, string][] = [];
    const rw = writer({ url: s.url, spool: { dir, maxBytes: 4_000 }, maxSamplesPerRequest: 10, shards: 1, onDrop: (n, why) => drops.push([n, why]), log: () => {} });
    rw.write(makeSeries(300, T0)); // 30 files of ~600 bytes: only the newest fit
    const stats = await rw.close();
    const files = spoolFiles(dir);
    const total = files.reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
    expect(total).toBeLessThanOrEqual(4_000);
    expect(stats.spooled).toBe(300);
    expect(stats.evicted).toBe(300 - files.length * 10);
    expect(drops.every(([, why]) => why === "spool-full")).toBe(true);
    expect(drops.reduce((n, [k]) => n + k, 0)).toBe(stats.evicted);
    // What is left is the newest data.
    const kept = files.flatMap((f) => [parseSpoolFile(readFileSync(join(dir, f))).header.series]);
    expect(kept.every((n) => n === 10)).toBe(true);
    const m = rw.metrics.collect();
    const value = (name: string) => m.find((f) => f.name === name)?.samples[0].value;
    expect(value("promwire_spool_files")).toBe(files.length);
    expect(value("promwire_spool_bytes")).toBe(total);
    expect(value("promwire_spool_samples_evicted_total")).toBe(stats.evicted);
    expect(value("promwire_spool_samples_written_total")).toBe(300);
  });

  it("close({ timeoutMs }) against a hung receiver: the request in flight and the queue are spooled (reason closed), none failed", async () => {
    const s = await server(() => ({ hang: true }));
    const dir = spoolDir();
    const errors: PromwireError[] = [];
    const rw = writer({ url: s.url, spool: { dir }, maxSamplesPerRequest: 10, shards: 2, onError: (e) => errors.push(e), log: () => {} });
    rw.write(makeSeries(55, T0));
    const stats = await rw.close({ timeoutMs: 300 });
    expect(stats).toMatchObject({ sent: 0, failed: 0, spooled: 55, abandoned: 55, pending: 0 });
    expect(errors).toEqual([]);
    const headers = spoolFiles(dir).map((f) => parseSpoolFile(readFileSync(join(dir, f))).header);
    expect(headers.map((h) => h.reason)).toEqual(Array(6).fill("closed"));
    expect(headers.reduce((n, h) => n + h.samples, 0)).toBe(55);
    // The two requests in flight were attempted (and may have arrived: at-least-once), the rest not.
    expect(headers.filter((h) => h.firstAttemptAt !== undefined && h.attempts === 1)).toHaveLength(2);
    expect(headers.filter((h) => h.firstAttemptAt === undefined && h.attempts === 0)).toHaveLength(4);
  });

  it("the same writer sends its spool once the receiver is back, before anything newer (order kept within a run)", async () => {
    let down = true;
    const s = await server(() => (down ? { status: 503 } : { status: 204 }));
    const dir = spoolDir();
    const rw = writer({ url: s.url, spool: { dir }, maxSamplesPerRequest: 20, flushDeadlineMs: 20, retry: { ...QUICK, maxBackoffMs: 50 }, log: () => {} });
    const written = [];
    for (let tick = 0; tick < 12; tick++) {
      if (tick === 6) {
        down = false;
        // The spool's next try is due maxBackoffMs after its last failure: let it come before the
        // remaining ticks (on a warm machine they all fit in 50 ms, and a closing writer does not
        // try a spool that just failed again).
        await new Promise((r) => setTimeout(r, 80));
      }
      const batch = makeSeries(30, T0 + tick * 1000);
      written.push(...batch);
      rw.write(batch);
      await rw.flush();
    }
    const stats = await rw.close();
    expect(stats).toMatchObject({ sent: 360, failed: 0 });
    expect(stats.spooled).toBeGreaterThan(0);
    expect(stats.resent).toBe(0); // its own spooled samples, once delivered, count as sent
    expect(spoolFiles(dir)).toEqual([]);
    const got = acceptedSamples(s);
    expect(got).toHaveLength(360);
    expect(perSeries(got)).toEqual(perSeries(expectedSamples(written)));
  });

  it("a v2 file for a receiver that only speaks v1 is re-encoded as v1 and delivered", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const rw = writer({ url: s.url, protocol: "v2", spool: { dir }, log: () => {} });
    const series = makeSeries(5, T0);
    rw.write(series);
    await rw.close();
    expect(parseSpoolFile(readFileSync(join(dir, spoolFiles(dir)[0]))).header).toMatchObject({ protocol: "v2", contentType: "application/x-protobuf;proto=io.prometheus.write.v2.Request" });
    s.setBehaviour(() => ({ status: 204 })); // no X-Prometheus-Remote-Write-*-Written: a 1.0 receiver
    const logs: string[] = [];
    const next = writer({ url: s.url, protocol: "v2", spool: { dir }, log: (m) => logs.push(m) });
    expect(await next.close()).toMatchObject({ resent: 5, failed: 0 });
    expect(next.protocol).toBe("v1");
    expect(s.requests.at(-1)!.headers["content-type"]).toBe("application/x-protobuf");
    expect(acceptedSamples(s).filter((x) => true).slice(-5).sort()).toEqual(expectedSamples(series).sort());
    expect(logs.join("\n")).toMatch(/does not accept remote write 2\.0/);
    expect(spoolFiles(dir)).toEqual([]);
  });

  it("a directory that cannot be used is an error of remoteWrite() itself", async () => {
    const dir = spoolDir();
    writeFileSync(join(dir, "file"), "");
    expect(() => writer({ url: "http://127.0.0.1:1/api/v1/write", spool: { dir: join(dir, "file", "spool") } })).toThrow(SpoolError);
    expect(() => writer({ url: "http://127.0.0.1:1/api/v1/write", spool: { dir, maxBytes: 0 } })).toThrow(/spool\.maxBytes must be a positive number/);
    expect(() => makeRemoteWriter({ url: "http://127.0.0.1:1/api/v1/write", spool: { dir } })).toThrow(/spool: this runtime has no file system/);
  });

  it("the lock: a live holder is left alone (this writer's data joins the spool); a dead or silent holder's lock is taken over", async () => {
    const s = await server(() => ({ status: 503 }));
    const dir = spoolDir();
    const first = writer({ url: s.url, spool: { dir }, log: () => {} });
    first.write(makeSeries(4, T0));
    await first.close();
    expect(spoolFiles(dir)).toHaveLength(1);
    s.setBehaviour(() => ({ status: 204 }));
    const lock = (pid: number, renewedAt: number) =>
      writeFileSync(join(dir, "lock"), JSON.stringify({ pid, host: hostname(), token: "someone-else", acquiredAt: renewedAt, renewedAt }));

    // A live process of this host holds it, renewed just now.
    const sleeper = spawn("sleep", ["30"]);
    try {
      lock(sleeper.pid!, Date.now());
      const blocked = writer({ url: s.url, spool: { dir }, log: () => {} });
      blocked.write(makeSeries(4, T0 + 1000));
      expect(await blocked.close()).toMatchObject({ sent: 0, spooled: 4, resent: 0 });
      expect(s.accepted()).toHaveLength(0);
      expect(spoolFiles(dir)).toHaveLength(2);
      expect(JSON.parse(readFileSync(join(dir, "lock"), "utf8")).token).toBe("someone-else");

      // The same process, silent for longer than lockStaleMs: taken over.
      lock(sleeper.pid!, Date.now() - 60_000);
      const late = writer({ url: s.url, spool: { dir, lockStaleMs: 30_000 }, log: () => {} });
      expect(await late.close()).toMatchObject({ resent: 8 });
      expect(spoolFiles(dir)).toEqual([]);
      expect(existsSync(join(dir, "lock"))).toBe(false);
    } finally {
      sleeper.kill();
    }

    // A process of this host that is gone (kill -9 leaves its lock): taken over at once, however fresh.
    const again = writer({ url: s.url.replace("/write", "/write-down"), spool: { dir }, log: () => {} });
    s.setBehaviour((r) => (r.url.endsWith("-down") ? { status: 503 } : { status: 204 }));
    again.write(makeSeries(2, T0 + 2000));
    await again.close();
    const gone = spawnSync("true").pid;
    lock(gone, Date.now());
    s.setBehaviour(() => ({ status: 204 }));
    const taker = writer({ url: s.url.replace("/write", "/write-down"), spool: { dir }, log: () => {} });
    expect(await taker.close()).toMatchObject({ resent: 2 });
    expect(spoolFiles(dir)).toEqual([]);
  });

  it("spoolNow() in a process's last moments writes what is queued and in flight, synchronously", async () => {
    const s = await server(() => ({ hang: true }));
    const dir = spoolDir();
    const made = makeRemoteWriterInternals({ url: s.url, spool: { dir }, maxSamplesPerRequest: 10, log: () => {} }, { openSpool: openNodeSpool });
    made.writer.write(makeSeries(25, T0));
    await new Promise((r) => setTimeout(r, 100)); // requests in flight, hung
    expect(made.spoolNow()).toBe(25);
    expect(spoolFiles(dir).map((f) => parseSpoolFile(readFileSync(join(dir, f))).header.samples).sort()).toEqual([10, 10, 5]);
    expect(made.writer.closed).toBe(true);
  });
});
