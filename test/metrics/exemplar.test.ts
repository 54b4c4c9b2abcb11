import { describe, expect, it } from "vitest";
import { LabelError } from "../../core/errors.ts";
import { Counter } from "../../core/metrics/counter.ts";
import { EXEMPLAR_MAX_RUNES, makeExemplar } from "../../core/metrics/exemplar.ts";
import { Histogram } from "../../core/metrics/histogram.ts";

describe("exemplars: OpenMetrics 128-character limit", () => {
  it("accepts exactly 128 characters of names + values, refuses 129 with a LabelError", () => {
    expect(EXEMPLAR_MAX_RUNES).toBe(128);
    const name = "trace_id"; // 8 characters
    const ok = makeExemplar("x_total", { [name]: "a".repeat(120) }, 1, 5);
    expect(ok).toEqual({ labels: ["trace_id", "a".repeat(120)], value: 1, timestamp: 5 });
    let err: unknown;
    try {
      makeExemplar("x_total", { [name]: "a".repeat(121) }, 1, 5);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabelError);
    expect((err as LabelError).rule).toBe("exemplar-too-long");
    expect((err as LabelError).metric).toBe("x_total");
    expect((err as LabelError).label).toBe("trace_id");
  });

  it("counts UTF-8 characters (code points), not UTF-16 units or bytes", () => {
    // "😀" is 2 UTF-16 units and 4 bytes but one character: 8 + 120 = 128.
    expect(() => makeExemplar("x", { trace_id: "😀".repeat(120) }, 1, 0)).not.toThrow();
    expect(() => makeExemplar("x", { trace_id: "é".repeat(121) }, 1, 0)).toThrow(LabelError);
    // The limit covers all labels together.
    expect(() => makeExemplar("x", { a: "x".repeat(60), b: "y".repeat(66) }, 1, 0)).not.toThrow();
    expect(() => makeExemplar("x", { a: "x".repeat(60), b: "y".repeat(67) }, 1, 0)).toThrow(LabelError);
  });

  it("checks exemplar label names and values", () => {
    expect(() => makeExemplar("x", { "bad-name": "1" }, 1, 0)).toThrow(LabelError);
    expect(() => makeExemplar("x", { t: "\udc00" }, 1, 0)).toThrow(LabelError);
    expect(makeExemplar("x", {}, 2, 0).labels).toEqual([]);
  });

  it("a refused exemplar leaves the metric unchanged", () => {
    const c = new Counter({ name: "x_total", help: "x" });
    expect(() => c.inc(5, { trace_id: "z".repeat(200) })).toThrow(LabelError);
    expect(c.get()).toBe(0);
    const h = new Histogram({ name: "h", help: "h", buckets: [1] });
    expect(() => h.observe(0.5, { trace_id: "z".repeat(200) })).toThrow(LabelError);
    expect(h.get().count).toBe(0);
  });
});
