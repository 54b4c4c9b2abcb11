// The periodic scheduler behind collectEvery/pushEvery (core/client/periodic.ts), on a fake clock
// with runs the test finishes by hand: when runs start, what a tick does while one is in flight,
// the jitter bound, the final run, failures and their logging, and the exit-time limit.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkInterval, periodicTimeoutMs, startPeriodic, type PeriodicHooks, type PeriodicOptions, type PeriodicRun } from "../../core/client/periodic.ts";
import { TimeoutError, ValidationError } from "../../core/errors.ts";
import type { MetricFamily } from "../../core/exposition/model.ts";
import type { Collectable } from "../../core/metrics/collectable.ts";

interface Call {
  readonly final: boolean;
  readonly signal: AbortSignal;
  readonly families: readonly MetricFamily[];
  resolve(ok?: boolean): void;
  reject(e: unknown): void;
}

/** A run the test settles by hand; every call is recorded. */
function manualRun(): { run: PeriodicRun; calls: Call[]; inFlight: () => number; maxInFlight: () => number } {
  const calls: Call[] = [];
  let now = 0;
  let max = 0;
  const run: PeriodicRun = (source, final, signal) =>
    new Promise<boolean | void>((resolve, reject) => {
      now++;
      max = Math.max(max, now);
      const done = (): void => {
        now--;
      };
      calls.push({
        final,
        signal,
        families: source.collect(),
        resolve: (ok) => {
          done();
          resolve(ok);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      signal.addEventListener("abort", () => {
        done();
        reject(new Error("aborted"));
      });
    });
  return { run, calls, inFlight: () => now, maxInFlight: () => max };
}

const source: Collectable = { collect: () => [{ name: "x", type: "gauge", help: "", samples: [{ name: "x", labels: [], value: 1 }] }] };

function start(run: PeriodicRun, intervalMs: number, options: PeriodicOptions = {}, hooks: PeriodicHooks = {}, log: (m: string) => void = () => {}) {
  return startPeriodic({ source, run, kind: "push", target: "http://gw/metrics/job/j", log }, intervalMs, options, hooks);
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("startPeriodic", () => {
  it("runs at once, then on every tick; a tick that finds the run in flight is skipped and counted", async () => {
    const m = manualRun();
    const h = start(m.run, 1_000);
    expect(m.calls.length).toBe(1); // at once, synchronously
    await vi.advanceTimersByTimeAsync(3_500); // ticks at 1, 2, 3 s: the first run is still going
    expect(m.calls.length).toBe(1);
    expect(h.stats()).toMatchObject({ runs: 1, skipped: 3, failed: 0 });
    m.calls[0].resolve();
    await vi.advanceTimersByTimeAsync(500); // tick at 4 s runs
    expect(m.calls.length).toBe(2);
    m.calls[1].resolve();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(m.calls.length).toBe(3);
    expect(m.maxInFlight()).toBe(1);
    const stopped = h.stop();
    await vi.advanceTimersByTimeAsync(0);
    // The tick in flight is abandoned (aborted), then the final run starts.
    expect(m.calls[2].signal.aborted).toBe(true);
    expect(m.calls.length).toBe(4);
    expect(m.calls[3].final).toBe(true);
    expect(m.maxInFlight()).toBe(1);
    m.calls[3].resolve();
    await stopped;
    expect(h.stats()).toMatchObject({ runs: 4, skipped: 3, failed: 0 });
    expect(h.stopped).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(m.calls.length).toBe(4); // no tick after stop
  });

  it("the handle's own metrics count runs, skips and failures (and go along with selfMetrics)", async () => {
    const m = manualRun();
    const h = start(m.run, 100, { selfMetrics: true });
    await vi.advanceTimersByTimeAsync(250);
    m.calls[0].reject(new Error("boom"));
    await vi.advanceTimersByTimeAsync(100);
    const values = Object.fromEntries(h.metrics.collect().map((f) => [f.name, f.samples[0].value]));
    expect(values).toEqual({ promwire_periodic_runs_total: 2, promwire_periodic_skipped_total: 2, promwire_periodic_failures_total: 1 });
    // selfMetrics: each run sends the source and the handle's metrics as they are when it starts.
    expect(m.calls[1].families.map((f) => f.name)).toEqual(["x", "promwire_periodic_runs_total", "promwire_periodic_skipped_total", "promwire_periodic_failures_total"]);
    expect(m.calls[1].families[1].samples[0].value).toBe(2);
    m.calls[1].resolve();
    const s = h.stop();
    await vi.advanceTimersByTimeAsync(0);
    m.calls[2].resolve();
    await s;
  });

  it("jitter: the first run waits a random time up to 10 % of the interval, then ticks follow from it", async () => {
    for (const r of [0, 0.5, 0.999]) {
      const m = manualRun();
      const h = start(m.run, 10_000, { jitter: true, random: () => r });
      const delay = Math.floor(r * 1_000);
      expect(m.calls.length).toBe(0);
      if (delay > 0) {
        await vi.advanceTimersByTimeAsync(delay - 1);
        expect(m.calls.length).toBe(0);
        await vi.advanceTimersByTimeAsync(1);
      } else {
        await vi.advanceTimersByTimeAsync(0);
      }
      expect(m.calls.length).toBe(1);
      m.calls[0].resolve();
      await vi.advanceTimersByTimeAsync(10_000 - 1);
      expect(m.calls.length).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(m.calls.length).toBe(2);
      m.calls[1].resolve();
      await h.stop({ final: false });
    }
  });

  it("stop() before the jittered first run: only the final run", async () => {
    const m = manualRun();
    const h = start(m.run, 10_000, { jitter: true, random: () => 0.9 });
    const s = h.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(m.calls.map((c) => c.final)).toEqual([true]);
    m.calls[0].resolve();
    await s;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(m.calls.length).toBe(1);
  });

  it("stop() is idempotent, { final: false } skips the final run, and stop() waits for the abandoned run to end first", async () => {
    const m = manualRun();
    const h = start(m.run, 1_000);
    const a = h.stop({ final: false });
    expect(h.stop()).toBe(a);
    await a;
    expect(m.calls.length).toBe(1);
    expect(m.calls[0].signal.aborted).toBe(true);
    expect(m.inFlight()).toBe(0);
  });

  it("a failing run: onError gets it, ticks go on; the default log says the first failure of a streak and the recovery, not every tick", async () => {
    const lines: string[] = [];
    const m = manualRun();
    const h = start(m.run, 100, {}, {}, (l) => lines.push(l));
    for (let i = 0; i < 5; i++) {
      m.calls[i].reject(new Error(`down ${i}`));
      await vi.advanceTimersByTimeAsync(100);
    }
    m.calls[5].resolve();
    await vi.advanceTimersByTimeAsync(100);
    m.calls[6].reject(new Error("again"));
    await vi.advanceTimersByTimeAsync(0);
    expect(lines).toEqual([
      "promwire: periodic push to http://gw/metrics/job/j failed: down 0 (further failures are counted in promwire_periodic_failures_total until one succeeds)",
      "promwire: periodic push to http://gw/metrics/job/j succeeded again after 5 failed runs",
      "promwire: periodic push to http://gw/metrics/job/j failed: again (further failures are counted in promwire_periodic_failures_total until one succeeds)",
    ]);
    expect(h.stats()).toMatchObject({ failed: 6 });
    expect(h.stats().lastSuccessAt).toBeTypeOf("number");
    const errors: unknown[] = [];
    const m2 = manualRun();
    const h2 = start(m2.run, 100, { onError: (e) => errors.push(e) }, {}, (l) => lines.push(l));
    m2.calls[0].reject(new Error("x"));
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    expect(lines).toHaveLength(3); // a user's onError replaces the log
    await h.stop({ final: false });
    await h2.stop({ final: false });
  });

  it("a run resolving false failed but was reported elsewhere: counted, not passed to onError", async () => {
    const errors: unknown[] = [];
    const m = manualRun();
    const h = start(m.run, 100, { onError: (e) => errors.push(e) });
    m.calls[0].resolve(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(h.stats()).toMatchObject({ runs: 1, failed: 1 });
    expect(errors).toEqual([]);
    await h.stop({ final: false });
  });

  it("stop() rejects with the final run's error, and with a TimeoutError past { timeoutMs } (the run is aborted)", async () => {
    const m = manualRun();
    const h = start(m.run, 1_000);
    m.calls[0].resolve();
    const s = h.stop();
    await vi.advanceTimersByTimeAsync(0);
    const err = new Error("final failed");
    m.calls[1].reject(err);
    await expect(s).rejects.toBe(err);
    expect(h.stats().failed).toBe(1);

    const m2 = manualRun();
    const h2 = start(m2.run, 1_000);
    m2.calls[0].resolve();
    const s2 = h2.stop({ timeoutMs: 300 });
    const caught = s2.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(299);
    expect(m2.calls[1].signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(m2.calls[1].signal.aborted).toBe(true);
    const e2 = await caught;
    expect(e2).toBeInstanceOf(TimeoutError);
    expect((e2 as TimeoutError).message).toBe("request to http://gw/metrics/job/j timed out after 300 ms");
  });

  it("hooks: ticks unref'd, the stop() promise held open, start and stop reported", async () => {
    const unrefd: unknown[] = [];
    const held: Promise<unknown>[] = [];
    const events: string[] = [];
    const m = manualRun();
    const h = start(m.run, 1_000, { jitter: true, random: () => 0.5 }, {
      unrefTimer: (t) => unrefd.push(t),
      holdOpen: (p) => {
        held.push(p);
        return p;
      },
      onStart: (x) => events.push(`start ${x.intervalMs}`),
      onStop: (x) => events.push(`stop ${x.stopped}`),
    });
    expect(unrefd).toHaveLength(1); // the jitter timer
    await vi.advanceTimersByTimeAsync(50);
    expect(unrefd).toHaveLength(2); // and the interval
    m.calls[0].resolve();
    const s = h.stop();
    expect(held).toEqual([s]);
    expect(events).toEqual(["start 1000", "stop true"]);
    await vi.advanceTimersByTimeAsync(0);
    m.calls[1].resolve();
    await s;
  });

  it("a run that throws synchronously fails like one that rejects", async () => {
    const errors: unknown[] = [];
    const h = start(
      () => {
        throw new Error("sync");
      },
      100,
      { onError: (e) => errors.push(e) },
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    await expect(h.stop()).rejects.toThrow("sync");
  });
});

describe("intervals and timeouts", () => {
  it("an interval must be a number of ms from 10 to 2^31-1 (a longer timer fires at once)", () => {
    for (const bad of [0, 9, -1, Number.NaN, Infinity, 2 ** 31, "100" as unknown as number]) {
      expect(() => checkInterval(bad, "pushEvery")).toThrow(ValidationError);
    }
    expect(checkInterval(10, "pushEvery")).toBe(10);
    expect(checkInterval(2 ** 31 - 1, "pushEvery")).toBe(2 ** 31 - 1);
    expect(() => start(manualRun().run, 5)).toThrow(/pushEvery: the interval must be/);
  });

  it("a periodic request times out below the interval: 90 % of it, or the client's timeout if shorter", () => {
    expect(periodicTimeoutMs(30_000, 2_000)).toBe(1_800);
    expect(periodicTimeoutMs(30_000, 200)).toBe(180);
    expect(periodicTimeoutMs(5_000, 60_000)).toBe(5_000);
    expect(periodicTimeoutMs(30_000, 10)).toBe(9);
  });
});
