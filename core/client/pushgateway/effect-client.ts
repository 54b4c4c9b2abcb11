/**
 * The Pushgateway client as Effects, after client_golang's `push` package: `push` (PUT, replaces
 * the group), `add` (POST, replaces same-named metrics), `delete` (DELETE the group). Everything
 * is validated before any request (config.ts); a failed request reports its status and body. The
 * Promise API (client.ts) runs these Effects, loading this module on its first request.
 */

import * as Effect from "effect/Effect";
import { ValidationError } from "../../errors.ts";
import type { MetricFamily } from "../../exposition/model.ts";
import { serializeText } from "../../exposition/serialize.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import { attempt } from "../http/attempt.ts";
import { withRetry } from "../http/retry.ts";
import type { Connect } from "../http/connection.ts";
import type { HttpRequest } from "../http/types.ts";
import { pushgatewayConfig, type PushgatewayConfig } from "./config.ts";
import { canGzip, gzip } from "./gzip.ts";
import type { PushgatewayError, PushgatewayOptions } from "./options.ts";
import { encodeFamiliesDelimited, PROTOBUF_DELIMITED } from "./protobuf.ts";

/** Content-Type of a text 0.0.4 body. */
export const TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

/** The Effect form of the client. */
export interface PushgatewayEffect {
  readonly push: (source: Collectable) => Effect.Effect<void, PushgatewayError>;
  readonly add: (source: Collectable) => Effect.Effect<void, PushgatewayError>;
  readonly delete: () => Effect.Effect<void, PushgatewayError>;
  /** PUT or POST with a request timeout of its own (`pushEvery` stays below its interval). */
  readonly send: (method: "PUT" | "POST", source: Collectable, timeoutMs?: number) => Effect.Effect<void, PushgatewayError>;
}

/**
 * Refuse metrics Pushgateway would mangle or reject, as client_golang does (and timestamps, which it answers 400).
 * @example validateFamilies(registry.collect(), { instance: "host-1" }) // throws ValidationError on a clash
 */
export function validateFamilies(families: readonly MetricFamily[], grouping: Readonly<Record<string, string>>): void {
  const check = (family: string, labels: readonly string[]): void => {
    for (let i = 0; i < labels.length; i += 2) {
      const name = labels[i];
      if (name === "job") throw new ValidationError("metric-has-job-label", `pushed metric ${family} already contains a job label`);
      if (Object.hasOwn(grouping, name)) {
        throw new ValidationError("metric-has-grouping-label", `pushed metric ${family} already contains grouping label ${name}`);
      }
    }
  };
  for (const f of families) {
    for (const s of f.samples) {
      check(f.name, s.labels);
      if (s.timestamp !== undefined) throw new ValidationError("timestamp-not-allowed", `pushed metric ${f.name} carries a timestamp; Pushgateway refuses them`);
    }
    for (const n of f.nativeHistograms ?? []) check(f.name, n.labels);
  }
}

/**
 * The client as Effects. Validation of job and grouping happens here, before anything is sent.
 * @example const pg = pushgatewayEffect({ url, job: "backup" }); yield* pg.push(registry);
 */
export function pushgatewayEffect(options: PushgatewayOptions, connect?: Connect): PushgatewayEffect {
  return pushgatewayEffectOf(pushgatewayConfig(options, connect));
}

/**
 * The client as Effects on checked settings (the Promise API checks them when it is made).
 * @example const pg = pushgatewayEffectOf(pushgatewayConfig({ url, job: "backup" }));
 */
export function pushgatewayEffectOf(config: PushgatewayConfig): PushgatewayEffect {
  const { grouping, url, format, compression, http, policy, log } = config;
  const call = (req: HttpRequest, timeoutMs?: number): Effect.Effect<void, PushgatewayError> =>
    Effect.asVoid(withRetry(attempt(req, timeoutMs === undefined ? http : { ...http, timeoutMs }), policy, { onRetry: config.options.onRetry }));
  let warned = Object.hasOwn(grouping, "instance");
  let gzipWarned = false;

  const send = (method: "PUT" | "POST", source: Collectable, timeoutMs?: number): Effect.Effect<void, PushgatewayError> =>
    Effect.gen(function* () {
      const families = source.collect();
      yield* Effect.try({ try: () => validateFamilies(families, grouping), catch: (e) => e as ValidationError });
      if (!warned) {
        warned = true;
        log(`promwire: pushing job ${JSON.stringify(config.options.job)} without an instance grouping label; pushes from several machines will overwrite each other`);
      }
      let body: Uint8Array;
      if (format === "text") {
        const text = serializeText(families);
        // Pushgateway refuses a body that does not end with a newline.
        body = new TextEncoder().encode(text.endsWith("\n") || text === "" ? text : `${text}\n`);
      } else {
        body = encodeFamiliesDelimited(families);
      }
      const headers: Record<string, string> = { "content-type": format === "text" ? TEXT_FORMAT : PROTOBUF_DELIMITED };
      if (compression === "gzip") {
        if (canGzip()) {
          body = yield* Effect.promise(() => gzip(body));
          headers["content-encoding"] = "gzip";
        } else if (!gzipWarned) {
          gzipWarned = true;
          log("promwire: this runtime has no CompressionStream; Pushgateway bodies are sent uncompressed");
        }
      }
      yield* call({ method, url, headers, body }, timeoutMs);
    });

  return {
    push: (source) => send("PUT", source),
    add: (source) => send("POST", source),
    delete: () => call({ method: "DELETE", url, headers: {} }),
    send,
  };
}
