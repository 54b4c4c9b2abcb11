/**
 * What a Promise Pushgateway client loads on its first request (client.ts): the Effect client
 * (effect-client.ts) — with Effect, the HTTP attempt and its retries, and the body encoders —
 * run as promises. A program that never pushes never loads it.
 */

import * as Effect from "effect/Effect";
import type { Collectable } from "../../metrics/collectable.ts";
import type { PushgatewayConfig } from "./config.ts";
import { pushgatewayEffectOf } from "./effect-client.ts";
import { runOptions } from "../run-options.ts";

/** The Effect client's requests, run as promises. */
export interface PushEngine {
  push(source: Collectable): Promise<void>;
  add(source: Collectable): Promise<void>;
  delete(): Promise<void>;
  /** PUT or POST with its own timeout; `signal` aborts it. */
  send(method: "PUT" | "POST", source: Collectable, timeoutMs: number | undefined, signal?: AbortSignal): Promise<void>;
}

/**
 * Run the Effect client on checked settings.
 * @example const engine = attachPushgateway(pushgatewayConfig(options)); await engine.push(registry);
 */
export function attachPushgateway(config: PushgatewayConfig): PushEngine {
  const e = pushgatewayEffectOf(config);
  return {
    push: (source) => Effect.runPromise(e.push(source), runOptions()),
    add: (source) => Effect.runPromise(e.add(source), runOptions()),
    delete: () => Effect.runPromise(e.delete(), runOptions()),
    send: (method, source, timeoutMs, signal) => Effect.runPromise(e.send(method, source, timeoutMs), { ...runOptions(), signal }),
  };
}
