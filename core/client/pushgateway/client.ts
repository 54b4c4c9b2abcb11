/**
 * Pushgateway client, after client_golang's `push` package: `push` (PUT, replaces the group),
 * `add` (POST, replaces same-named metrics), `delete` (DELETE the group). Everything is validated
 * before any request; a failed request reports its status and body. Effect inside
 * ({@link pushgatewayEffect}), Promise outside ({@link pushgateway}).
 */

import * as Effect from "effect/Effect";
import { ClosedError, ValidationError } from "../../errors.ts";
import type { MetricFamily } from "../../exposition/model.ts";
import { serializeText } from "../../exposition/serialize.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import { attempt } from "../http/attempt.ts";
import { splitUrlCredentials } from "../http/auth.ts";
import { withRetry } from "../http/retry.ts";
import { DEFAULT_RETRY, retryPolicy, type RetryPolicy } from "../http/retry-policy.ts";
import type { HttpConfig, HttpRequest } from "../http/types.ts";
import { periodicTimeoutMs, periodicUnavailable, startPeriodic, type PeriodicHandle, type PeriodicHooks, type PeriodicTask, type StartPeriodic } from "../periodic.ts";
import type { PushgatewayClient, PushgatewayError, PushgatewayOptions } from "./options.ts";
import { encodeFamiliesDelimited, PROTOBUF_DELIMITED } from "./protobuf.ts";
import { groupingPath } from "./url.ts";

/** Content-Type of a text 0.0.4 body. */
export const TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

/** Pushgateway's defaults: one attempt, as client_golang's push; with `retry`, remote write's backoff. */
const PUSHGATEWAY_RETRY: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 1 };

/** Default request timeout, ms. */
const DEFAULT_TIMEOUT_MS = 30_000;

/** The Effect form of the client. */
export interface PushgatewayEffect {
  readonly push: (source: Collectable) => Effect.Effect<void, PushgatewayError>;
  readonly add: (source: Collectable) => Effect.Effect<void, PushgatewayError>;
  readonly delete: () => Effect.Effect<void, PushgatewayError>;
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

/** The client's requests; `send` takes a per-call timeout (periodic pushes stay below their interval). */
interface PushgatewayCalls {
  readonly send: (method: "PUT" | "POST", source: Collectable, timeoutMs?: number) => Effect.Effect<void, PushgatewayError>;
  readonly remove: () => Effect.Effect<void, PushgatewayError>;
  /** The per-attempt timeout from the options, ms. */
  readonly timeoutMs: number;
}

/**
 * The client as Effects. Validation of job and grouping happens here, before anything is sent.
 * @example const pg = pushgatewayEffect({ url, job: "backup" }); yield* pg.push(registry);
 */
export function pushgatewayEffect(options: PushgatewayOptions): PushgatewayEffect {
  const calls = pushgatewayCalls(options);
  return {
    push: (source) => calls.send("PUT", source),
    add: (source) => calls.send("POST", source),
    delete: () => calls.remove(),
  };
}

function pushgatewayCalls(options: PushgatewayOptions): PushgatewayCalls {
  const grouping = options.grouping ?? {};
  const path = groupingPath(options.job, grouping);
  const { url: base, auth } = splitUrlCredentials(options.url, options.auth);
  const url = new URL(base.href.replace(/\/+$/, "") + path);
  const format = options.format ?? "protobuf";
  const http: HttpConfig = {
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    auth,
    headers: options.headers,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    now: Date.now,
  };
  const policy = retryPolicy(options.retry, PUSHGATEWAY_RETRY);
  const call = (req: HttpRequest, timeoutMs?: number): Effect.Effect<void, PushgatewayError> =>
    Effect.asVoid(withRetry(attempt(req, timeoutMs === undefined ? http : { ...http, timeoutMs }), policy, { onRetry: options.onRetry }));
  const log = options.log ?? ((m: string) => console.warn(m));
  let warned = Object.hasOwn(grouping, "instance");
  const compression = options.compression ?? "none";
  if (compression !== "gzip" && compression !== "none") {
    throw new ValidationError("option-invalid", `compression must be "gzip" or "none", got ${JSON.stringify(compression)}`);
  }
  let gzipWarned = false;

  const send = (method: "PUT" | "POST", source: Collectable, timeoutMs?: number): Effect.Effect<void, PushgatewayError> =>
    Effect.gen(function* () {
      const families = source.collect();
      yield* Effect.try({ try: () => validateFamilies(families, grouping), catch: (e) => e as ValidationError });
      if (!warned) {
        warned = true;
        log(`promwire: pushing job ${JSON.stringify(options.job)} without an instance grouping label; pushes from several machines will overwrite each other`);
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

  return { send, remove: () => call({ method: "DELETE", url, headers: {} }), timeoutMs: http.timeoutMs };
}

/** What a runtime adds to a Pushgateway client (see `runtimePushgateway`). */
export interface PushgatewayHooks {
  /** The scheduler behind `pushEvery`; without it (Workers), `pushEvery` throws. */
  readonly startPeriodic?: StartPeriodic;
  /** Timers and exit tracking of `pushEvery` handles. */
  readonly periodic?: PeriodicHooks;
}

/**
 * A Pushgateway client (with `pushEvery` on ordinary timers: stop it, or close the client).
 *
 * @example
 * const pg = pushgateway({ url: "http://localhost:9091", job: "db_backup", grouping: { instance: host } });
 * await pg.push(registry);   // PUT
 * await pg.delete();
 */
export function pushgateway(options: PushgatewayOptions): PushgatewayClient {
  return makePushgateway(options, { startPeriodic });
}

/**
 * A Pushgateway client with what a runtime hands in (runtime entries use this).
 * @example const pg = makePushgateway({ url, job: "backup" }, { startPeriodic, periodic: { unrefTimer: (t) => t.unref() } });
 */
export function makePushgateway(options: PushgatewayOptions, hooks: PushgatewayHooks = {}): PushgatewayClient {
  const calls = pushgatewayCalls(options);
  const { url } = splitUrlCredentials(options.url, undefined);
  const groupUrl = url.href.replace(/\/+$/, "") + groupingPath(options.job, options.grouping ?? {});
  const log = options.log ?? ((m: string) => console.warn(m));
  const handles = new Set<PeriodicHandle>();
  let closing: Promise<void> | undefined;
  const refused = (): ClosedError => new ClosedError("the Pushgateway client is closed");
  const open = <T>(run: () => Promise<T>): Promise<T> => (closing === undefined ? run() : Promise.reject(refused()));
  return {
    push: (source) => open(() => Effect.runPromise(calls.send("PUT", source))),
    add: (source) => open(() => Effect.runPromise(calls.send("POST", source))),
    delete: () => Effect.runPromise(calls.remove()),
    pushEvery(source, intervalMs, everyOptions = {}) {
      const start = hooks.startPeriodic;
      if (start === undefined) throw periodicUnavailable("pushEvery");
      if (closing !== undefined) throw refused();
      const method = everyOptions.method ?? "push";
      if (method !== "push" && method !== "add") throw new ValidationError("option-invalid", `pushEvery: method must be "push" or "add", got ${JSON.stringify(method)}`);
      const verb = method === "push" ? "PUT" : "POST";
      const timeoutMs = periodicTimeoutMs(calls.timeoutMs, intervalMs);
      const periodic = hooks.periodic ?? {};
      const task: PeriodicTask = {
        source,
        // The final push gets the client's full timeout: no tick comes after it.
        run: (body, final, signal) => Effect.runPromise(calls.send(verb, body, final ? undefined : timeoutMs), { signal }),
        kind: method,
        target: groupUrl,
        log,
      };
      return start(task, intervalMs, everyOptions, {
          ...periodic,
          onStart: (h) => {
            handles.add(h);
            periodic.onStart?.(h);
          },
          onStop: (h) => {
            handles.delete(h);
            periodic.onStop?.(h);
          },
      });
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        // Each running pushEvery makes its final push first; then the group is deleted if asked.
        const finals = await Promise.allSettled([...handles].map((h) => h.stop()));
        if (options.deleteOnClose === true) {
          const grace = closeOptions.graceMs ?? 0;
          if (grace > 0) await new Promise((resolve) => setTimeout(resolve, grace));
          await Effect.runPromise(calls.remove());
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

/** Whether this runtime has a gzip `CompressionStream` (Node ≥ 18, Deno, Bun, workerd, browsers). */
function canGzip(): boolean {
  return typeof CompressionStream === "function";
}

/**
 * Gzip bytes with the runtime's `CompressionStream`.
 * @example const body = await gzip(new TextEncoder().encode("up 1\n"));
 */
export async function gzip(input: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([input as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
