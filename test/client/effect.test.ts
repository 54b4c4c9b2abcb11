import { Effect, Exit } from "effect";
import { TestClock } from "effect/testing";
import { afterEach, describe, expect, it } from "vitest";
import "../support/snappy-node.ts";
import { startFaultServer, type FaultServer } from "../support/fault-server.ts";
import { Pushgateway, pushgatewayLayer, RemoteWrite, remoteWriteLayer } from "../../core/client/effect.ts";
import { ClosedError, ValidationError } from "../../core/errors.ts";
import { T0, acceptedSamples, expectedSamples, makeSeries } from "./helpers.ts";

let server: FaultServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe("Effect API", () => {
  it("RemoteWrite service: write, flush; closing the layer's scope flushes the rest", async () => {
    server = await startFaultServer();
    const s = server;
    const first = makeSeries(3, T0);
    const second = makeSeries(2, T0 + 1);
    const program = Effect.gen(function* () {
      const rw = yield* RemoteWrite;
      yield* rw.write(first);
      const stats = yield* rw.flush;
      expect(stats.sent).toBe(3);
      yield* rw.write(second); // not flushed here: the scope's finalizer does it
    });
    await Effect.runPromise(program.pipe(Effect.provide(remoteWriteLayer({ url: s.url, flushDeadlineMs: 60_000 }))));
    expect(acceptedSamples(s)).toEqual(expectedSamples([...first, ...second]));
  });

  it("a closed writer fails writes with a typed ClosedError", async () => {
    server = await startFaultServer();
    const s = server;
    const exit = await Effect.runPromiseExit(
      Effect.gen(function* () {
        const rw = yield* RemoteWrite;
        yield* rw.close();
        yield* rw.write(makeSeries(1, T0));
      }).pipe(Effect.provide(remoteWriteLayer({ url: s.url }))),
    );
    expect(Exit.isFailure(exit)).toBe(true);
    const err = await Effect.runPromise(
      Effect.flip(
        Effect.gen(function* () {
          const rw = yield* RemoteWrite;
          yield* rw.close();
          yield* rw.write(makeSeries(1, T0));
        }).pipe(Effect.provide(remoteWriteLayer({ url: s.url }))),
      ),
    );
    expect(err).toBeInstanceOf(ClosedError);
  });

  it("Pushgateway layer refuses a bad grouping with a typed error", async () => {
    const use = Effect.gen(function* () {
      const pg = yield* Pushgateway;
      return typeof pg.push;
    });
    const err = await Effect.runPromise(Effect.flip(use.pipe(Effect.provide(pushgatewayLayer({ url: "http://127.0.0.1:1", job: "" })))));
    expect(err).toBeInstanceOf(ValidationError);
    expect(await Effect.runPromise(use.pipe(Effect.provide(pushgatewayLayer({ url: "http://127.0.0.1:1", job: "j" }))))).toBe("function");
  });
});

describe("promwire/effect as built, on the user's own effect", () => {
  it("the writer's loop runs on the program's Clock: a TestClock moves its flush deadline, nothing waits in real time", async () => {
    // The package's entry (dist/effect.js) imports `effect` as a peer: the one this test imports.
    const entry = new URL("../../dist/effect.js", import.meta.url).href; // built by npm test
    const built = (await import(entry)) as typeof import("../../core/client/effect.ts");
    server = await startFaultServer();
    const s = server;
    const series = makeSeries(2, T0);
    const program = Effect.gen(function* () {
      const rw = yield* built.RemoteWrite;
      yield* rw.write(series);
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 150)));
      const before = s.requests.length; // the batch waits for its 60 s deadline, on the test clock
      yield* TestClock.adjust("60 seconds");
      yield* Effect.promise(async () => {
        for (let i = 0; i < 500 && s.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      });
      return { before, after: s.requests.length, stats: yield* rw.stats };
    });
    const r = await Effect.runPromise(program.pipe(Effect.provide(built.remoteWriteLayer({ url: s.url, flushDeadlineMs: 60_000 })), Effect.provide(TestClock.layer())));
    expect(r.before).toBe(0);
    expect(r.after).toBe(1);
    expect(r.stats.sent).toBe(2);
    expect(acceptedSamples(s)).toEqual(expectedSamples(series));
  });
});
