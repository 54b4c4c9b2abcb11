// The spool with real files (node:fs, the Node and Bun storage) and a scripted receiver: what is
// given up is kept, sent first by the next writer, deleted only after a 2xx; refused and unreadable
// files go to rejected/ with the reason; the directory stays under maxBytes; credentials never
// reach the disk.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import "../../support/snappy-node.ts";
import { startFaultServer, type FaultServer } from "../../support/fault-server.ts";
import { makeRemoteWriter } from "../../../core/client/remote-write/writer.ts";
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
});
