import { describe, expect, it } from "vitest";
import { NativeExemplars } from "../../core/metrics/native-exemplars.ts";
import type { Exemplar } from "../../core/wire/types.ts";

const ex = (id: string, value: number, timestamp: number): Exemplar => ({ labels: ["trace_id", id], value, timestamp });
const ids = (n: NativeExemplars) => n.exemplars.map((e) => e.labels[1]);

describe("NativeExemplars (client_golang nativeExemplars.addExemplar)", () => {
  it("below the limit: kept sorted by value", () => {
    const n = new NativeExemplars(5, 300_000);
    n.add(ex("b", 10, 1));
    n.add(ex("a", 1, 2));
    n.add(ex("c", 100, 3));
    n.add(ex("b2", 10, 4)); // equal value goes after the existing one
    expect(ids(n)).toEqual(["a", "b", "b2", "c"]);
  });

  it("full: the newcomer replaces the older of the closest pair on a log scale", () => {
    const n = new NativeExemplars(3, 300_000);
    n.add(ex("1", 1, 1));
    n.add(ex("10", 10, 2));
    n.add(ex("100", 100, 3));
    // Pairs (1,10) and (10,100) are both ln 10 apart: the first wins, its older member is "1"
    // (rIdx 0). 11 would sit before 100 (nIdx 2) and is only ln 1.1 from 10, closer than ln 10:
    // so 10 (nIdx − 1) is replaced.
    n.add(ex("11", 11, 4));
    expect(ids(n)).toEqual(["1", "11", "100"]);
    // 1000 goes last (nIdx 3). Closest existing pair: (11, 100), ln 9.09 apart (vs ln 11 for
    // (1, 11)); its older member is "100" (ts 3 < 4). 1000 is ln 10 from 100, not closer, so
    // "100" is dropped and 1000 appended.
    n.add(ex("1000", 1000, 5));
    expect(ids(n)).toEqual(["1", "11", "1000"]);
  });

  it("full: an exemplar older than the TTL is replaced first", () => {
    const n = new NativeExemplars(3, 60_000);
    n.add(ex("1", 1, 0));
    n.add(ex("10", 10, 1_000));
    n.add(ex("100", 100, 2_000));
    n.add(ex("50", 50, 70_000)); // "1" is 70 s old > 60 s
    expect(ids(n)).toEqual(["10", "50", "100"]);
    const always = new NativeExemplars(2, -1);
    always.add(ex("x", 5, 10));
    always.add(ex("y", 6, 20));
    always.add(ex("z", 5.5, 21)); // negative TTL: the oldest ("x") goes
    expect(ids(always)).toEqual(["z", "y"]);
  });

  it("a limit of one keeps the latest; zero keeps none; clear empties", () => {
    const one = new NativeExemplars(1, 300_000);
    one.add(ex("a", 1, 1));
    one.add(ex("b", 2, 2));
    expect(ids(one)).toEqual(["b"]);
    const zero = new NativeExemplars(0, 300_000);
    zero.add(ex("a", 1, 1));
    expect(ids(zero)).toEqual([]);
    one.clear();
    expect(ids(one)).toEqual([]);
  });
});
