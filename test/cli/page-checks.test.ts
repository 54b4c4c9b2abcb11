// What the CLI checks in a page before sending it: the same series twice is refused by `write`,
// `push` and `add` alike (before, `write` kept the first value and a Pushgateway the last, both
// without a word), and `--strict` applies the format's full rules. A real Pushgateway shows the
// group is left as it was.
import "../support/snappy-node.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "../../cli/receiver.ts";
import { startPushgateway, type Pushgateway } from "../support/pushgateway.ts";
import { bundleCli, runCli } from "./run-cli.ts";

let cli: string;
let rx: Receiver;
let pg: Pushgateway;
beforeAll(async () => {
  cli = await bundleCli("page-checks");
  rx = await startReceiver({ port: 0 });
  pg = await startPushgateway();
});
afterAll(async () => {
  await rx?.close();
  await pg?.stop();
});

const TWICE = '# TYPE queue_depth gauge\nqueue_depth{queue="a"} 1\nqueue_depth{queue="b"} 7\nqueue_depth{queue="a"} 2\n';
const REASON = /^promwire: ParseError: line 4, column 1: series queue_depth\{queue="a"\} is also on line 2, both without a timestamp: .* \[duplicate-series\]: "queue_depth\{queue=\\"a\\"\} 2"\n$/;

/** The value of `queue_depth{queue="a"}` in the Pushgateway group job=j,instance=i, if any. */
async function pushedValue(): Promise<string | undefined> {
  const group = (await pg.metrics()).find((g) => g.labels.job === "j" && g.labels.instance === "i");
  const metrics = (group?.queue_depth as { metrics?: { labels: Record<string, string>; value: string }[] } | undefined)?.metrics;
  return metrics?.find((m) => m.labels.queue === "a")?.value;
}

describe("a page with the same series twice", () => {
  it("write refuses it, exit 1, naming the series and both lines; nothing is sent", async () => {
    const n = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: TWICE });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(REASON);
    expect(rx.requests.length).toBe(n);
  });

  it("push and add refuse it the same way, and the Pushgateway group stays as it was", async () => {
    await pg.wipe();
    const first = await runCli(cli, ["push", pg.url, "--job", "j", "--grouping", "instance=i"], { input: '# TYPE queue_depth gauge\nqueue_depth{queue="a"} 5\n' });
    expect(first.code).toBe(0);
    expect(await pushedValue()).toBe("5");
    for (const command of ["push", "add"]) {
      const r = await runCli(cli, [command, pg.url, "--job", "j", "--grouping", "instance=i"], { input: TWICE });
      expect(r.code, command).toBe(1);
      expect(r.stderr, command).toMatch(REASON);
    }
    expect(await pushedValue()).toBe("5");
  });

  it("an empty label value is no label: x{a=\"\"} and x are one series", async () => {
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: 'x{a=""} 1\nx 2\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("series x is also on line 1");
  });

  it("a series with increasing timestamps is a history, sent whole; going back in time is refused", async () => {
    const ok = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: "x 1 1700000000000\nx 2 1700000060000\n" });
    expect(ok.code).toBe(0);
    const w = rx.requests.at(-1);
    if (w?.kind !== "remote-write") throw new Error("no remote write arrived");
    expect(w.request.series[0].samples).toEqual([
      { value: 1, timestamp: 1_700_000_000_000 },
      { value: 2, timestamp: 1_700_000_060_000 },
    ]);
    const back = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: "x 1 1700000060000\nx 2 1700000000000\n" });
    expect(back.code).toBe(1);
    expect(back.stderr).toContain("[timestamp-order]");
  });

  it("--label turning two series into one is refused too (a receiver would keep one)", async () => {
    const n = rx.requests.length;
    const r = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "--label", "job=a"], { input: 'up{job="a"} 1\nup 0\n' });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'promwire: ParseError: line 2, column 1: series up{job="a"} is also on line 1 once the --label labels are added, both without a timestamp: a receiver keeps only one of them (Prometheus the first, a Pushgateway the last) [duplicate-series]: "up 0"\n',
    );
    expect(rx.requests.length).toBe(n);
    // The line's own label wins, even an empty one: up{job=""} is sent as `up`, another series.
    const own = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "--label", "job=a"], { input: 'up{job=""} 1\nup 0\n' });
    expect(own.code).toBe(0);
    expect(own.stderr).toContain("wrote 2 samples of 2 series");
    // encode refuses it the same way.
    const encoded = await runCli(cli, ["encode", "--label", "job=a"], { input: 'up{job="a"} 1\nup 0\n' });
    expect(encoded.code).toBe(1);
    expect(encoded.stderr).toBe(r.stderr);
  });
});

describe("--strict", () => {
  const NEGATIVE = "# TYPE jobs counter\njobs_total -1\n# EOF\n";

  it("write, push and add refuse a page breaking a rule of its spec, exit 1, rule and position; without it the page goes out", async () => {
    const n = rx.requests.length;
    for (const args of [["write", `${rx.url}/api/v1/write`], ["push", rx.url, "--job", "j", "--grouping", "instance=i"], ["add", rx.url, "--job", "j", "--grouping", "instance=i"]]) {
      const r = await runCli(cli, [...args, "--strict"], { input: NEGATIVE });
      expect(r.code, args[0]).toBe(1);
      expect(r.stderr, args[0]).toBe('promwire: ParseError: line 2, column 12: jobs_total is a count or a sum: it cannot be negative (-1) [value-negative]: "jobs_total -1"\n');
    }
    expect(rx.requests.length).toBe(n);
    // The default stays what Prometheus's scrape accepts.
    const lenient = await runCli(cli, ["write", `${rx.url}/api/v1/write`], { input: NEGATIVE });
    expect(lenient.code).toBe(0);
  });

  it("applies the text 0.0.4 rules to a text page (TYPE after the samples) and accepts a valid page", async () => {
    const late = await runCli(cli, ["write", `${rx.url}/api/v1/write`, "--strict"], { input: "queue_depth 3\n# TYPE queue_depth gauge\n" });
    expect(late.code).toBe(1);
    expect(late.stderr).toContain("[metadata-after-samples]");
    const ok = await runCli(cli, ["push", pg.url, "--job", "j", "--grouping", "instance=i", "--strict"], { input: '# TYPE queue_depth gauge\nqueue_depth{queue="a"} 9\n' });
    expect(ok.code).toBe(0);
    expect(await pushedValue()).toBe("9");
  });

  it("is listed in the help of write, push, add and encode", async () => {
    for (const c of ["write", "push", "add", "encode"]) expect((await runCli(cli, [c, "--help"])).stdout, c).toContain("--strict");
  });
});
