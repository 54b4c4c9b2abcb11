/**
 * Pushgateway client, Promise API, after client_golang's `push` package: `push` (PUT, replaces
 * the group), `add` (POST, replaces same-named metrics), `delete` (DELETE the group), and
 * `pushEvery` for long-running processes. The settings are checked when the client is made
 * (config.ts); the part that sends — the Effect client (effect-client.ts), with Effect and the
 * body encoders — is loaded on the first request (push-engine.ts).
 */

import { ClosedError, ValidationError } from "../../errors.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import type { Connect } from "../http/connection.ts";
import { periodicTimeoutMs, periodicUnavailable, startPeriodic, trackingHooks, type PeriodicHandle, type PeriodicHooks, type PeriodicTask, type StartPeriodic } from "../periodic.ts";
import { pushgatewayConfig } from "./config.ts";
import type { PushgatewayClient, PushgatewayOptions } from "./options.ts";
import type { PushEngine } from "./push-engine.ts";

export { gzip } from "./gzip.ts";

/**
 * The source's metrics as of now: a push sends what the registry held when it was called, not
 * once the sender is loaded. A snapshot that throws fails the request, as it would have.
 */
function snapshot(source: Collectable): Collectable {
  try {
    const families = source.collect();
    return { collect: () => families };
  } catch (e) {
    return {
      collect: () => {
        throw e;
      },
    };
  }
}

/** What a runtime adds to a Pushgateway client (see `runtimePushgateway`). */
export interface PushgatewayHooks {
  /** The scheduler behind `pushEvery`; without it (Workers), `pushEvery` throws. */
  readonly startPeriodic?: StartPeriodic;
  /** Timers and exit tracking of `pushEvery` handles. */
  readonly periodic?: PeriodicHooks;
  /** How requests are made: the runtime's proxy, TLS and SigV4/OAuth2 data forms. Default: plain `fetch`. */
  readonly connect?: Connect;
}

/**
 * A Pushgateway client (with `pushEvery` on ordinary timers: stop it, or close the client).
 * Throws `ValidationError` for a bad job, grouping label or option.
 *
 * @example
 * const pg = pushgateway({ url: "http://localhost:9091", job: "db_backup", grouping: { instance: host } });
 * await pg.push(registry);   // PUT
 * await pg.delete();
 */
export function pushgateway(options: PushgatewayOptions, connect?: Connect): PushgatewayClient {
  return makePushgateway(options, { startPeriodic, connect });
}

/**
 * A Pushgateway client with what a runtime hands in (runtime entries use this).
 * @example const pg = makePushgateway({ url, job: "backup" }, { startPeriodic, periodic: { unrefTimer: (t) => t.unref() } });
 */
export function makePushgateway(options: PushgatewayOptions, hooks: PushgatewayHooks = {}): PushgatewayClient {
  const config = pushgatewayConfig(options, hooks.connect);
  let engine: Promise<PushEngine> | undefined;
  const load = (): Promise<PushEngine> => (engine ??= import("./push-engine.ts").then((m) => m.attachPushgateway(config)));
  const handles = new Set<PeriodicHandle>();
  let closing: Promise<void> | undefined;
  const refused = (): ClosedError => new ClosedError("the Pushgateway client is closed");
  const request = (method: "PUT" | "POST", source: Collectable): Promise<void> => {
    if (closing !== undefined) return Promise.reject(refused());
    const s = snapshot(source);
    return load().then((e) => e.send(method, s, undefined));
  };
  const groupUrl = config.url.href;
  return {
    push: (source) => request("PUT", source),
    add: (source) => request("POST", source),
    delete: () => load().then((e) => e.delete()),
    pushEvery(source, intervalMs, everyOptions = {}) {
      const start = hooks.startPeriodic;
      if (start === undefined) throw periodicUnavailable("pushEvery");
      if (closing !== undefined) throw refused();
      const method = everyOptions.method ?? "push";
      if (method !== "push" && method !== "add") throw new ValidationError("option-invalid", `pushEvery: method must be "push" or "add", got ${JSON.stringify(method)}`);
      const verb = method === "push" ? "PUT" : "POST";
      const timeoutMs = periodicTimeoutMs(config.http.timeoutMs, intervalMs);
          const task: PeriodicTask = {
        source,
        // The final push gets the client's full timeout: no tick comes after it.
        run: (body, final, signal) => load().then((e) => e.send(verb, body, final ? undefined : timeoutMs, signal)),
        kind: method,
        target: groupUrl,
        log: config.log,
      };
      return start(task, intervalMs, everyOptions, trackingHooks(handles, hooks.periodic));
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        // Each running pushEvery makes its final push first; then the group is deleted if asked.
        const finals = await Promise.allSettled([...handles].map((h) => h.stop()));
        if (options.deleteOnClose === true) {
          const grace = closeOptions.graceMs ?? 0;
          if (grace > 0) await new Promise((resolve) => setTimeout(resolve, grace));
          await (await load()).delete();
        }
        for (const f of finals) if (f.status === "rejected") throw f.reason;
      })();
      return closing;
    },
    get closed() {
      return closing !== undefined;
    },
    url: groupUrl,
  };
}
