import "../support/snappy-node.ts";
import { describe, expect, it } from "vitest";
import { encodeBatch } from "../../core/client/remote-write/batch.ts";
import type { Entry } from "../../core/client/remote-write/pending.ts";
import { decodeWriteRequest } from "../../core/wire/decode.ts";
import { WriteRequestEncoder } from "../../core/wire/encode.ts";
import { decompress } from "../../core/wire/snappy.ts";

const entry = (labels: string[], startTimestamp: number | undefined): Entry => ({
  seq: 1,
  labels,
  samples: [{ value: 3, timestamp: 2_000, ...(startTimestamp === undefined ? {} : { startTimestamp }) }],
  histograms: [],
  exemplars: [],
  metadata: { metricFamilyName: "jobs", type: "counter" },
  at: 0,
});

describe("a v1 request carries start timestamps as _created series (v2 → v1 fallback loses nothing)", () => {
  it("adds jobs_created next to jobs_total in v1, and keeps start_timestamp in v2", () => {
    const entries = [entry(["__name__", "jobs_total", "q", "a"], 1_500), entry(["__name__", "jobs_total", "q", "b"], undefined)];
    const enc = new WriteRequestEncoder();
    const v1 = encodeBatch(enc, entries, { version: "v1", maxBytes: 1 << 20, nameValidation: "legacy" });
    const got = decodeWriteRequest(decompress(v1.requests[0].body)).series;
    expect(got).toEqual([
      { labels: ["__name__", "jobs_total", "q", "a"], samples: [{ value: 3, timestamp: 2_000 }] },
      { labels: ["__name__", "jobs_total", "q", "b"], samples: [{ value: 3, timestamp: 2_000 }] },
      { labels: ["__name__", "jobs_created", "q", "a"], samples: [{ value: 1.5, timestamp: 2_000 }] },
    ]);
    expect(v1.requests[0].floatSamples).toBe(2);
    const v2 = encodeBatch(enc, entries, { version: "v2", maxBytes: 1 << 20, nameValidation: "legacy" });
    expect(decodeWriteRequest(decompress(v2.requests[0].body)).series[0].samples).toEqual([{ value: 3, timestamp: 2_000, startTimestamp: 1_500 }]);
  });
});
