/**
 * Pushgateway client, after client_golang's `push` package: `push` (PUT, replaces the group),
 * `add` (POST, replaces same-named metrics), `delete` (DELETE the group). Everything is validated
 * before any request; a failed request reports its status and body. Effect inside
 * ({@link pushgatewayEffect}), Promise outside ({@link pushgateway}).
 */

import { Effect } from "effect";
import { ValidationError } from "../errors.ts";
import type { MetricFamily } from "../exposition/model.ts";
import { serializeText } from "../exposition/serialize.ts";
import { splitUrlCredentials, type Auth } from "./auth.ts";
import { attempt, type AttemptError, type FetchLike, type HttpConfig } from "./http.ts";
import { encodeFamiliesDelimited, PROTOBUF_DELIMITED } from "./pushgateway-protobuf.ts";
import { groupingPath } from "./pushgateway-url.ts";
import type { Collectable } from "./self-metrics.ts";

/** Content-Type of a text 0.0.4 body. */
export const TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

/** Options of {@link pushgateway}. */
export interface PushgatewayOptions {
  /** The gateway's base URL, e.g. `http://pushgateway:9091` (a trailing `/` is ignored). */
  readonly url: string;
  /** The `job` label of the group; must not be empty. */
  readonly job: string;
  /** Further grouping labels, e.g. `{ instance: hostname }`. */
  readonly grouping?: Readonly<Record<string, string>>;
  readonly auth?: Auth;
  /** Extra headers; they never override Content-Type or User-Agent. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Body format. Default `"protobuf"`, as client_golang. */
  readonly format?: "text" | "protobuf";
  /** Request timeout, ms. Default 30,000. */
  readonly timeoutMs?: number;
  readonly fetch?: FetchLike;
  /** Where the one-time "no instance label" warning goes. Default `console.warn`. */
  readonly log?: (message: string) => void;
}

/** Anything that errors a Pushgateway call can fail with. */
export type PushgatewayError = AttemptError | ValidationError;

/** The Effect form of the client. */
export interface PushgatewayEffect {
  readonly push: (source: Collectable) => Effect.Effect<void, PushgatewayError>;
  readonly add: (source: Collectable) => Effect.Effect<void, PushgatewayError>;
  readonly delete: () => Effect.Effect<void, PushgatewayError>;
}

/** The Promise form of the client. Rejections are the typed errors of {@link PushgatewayError}. */
export interface PushgatewayClient {
  /** PUT: replace the whole group with these metrics. */
  push(source: Collectable): Promise<void>;
  /** POST: replace only the metrics with the same names in the group. */
  add(source: Collectable): Promise<void>;
  /** DELETE the group. */
  delete(): Promise<void>;
  /** The group's URL (credentials removed). */
  readonly url: string;
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
export function pushgatewayEffect(options: PushgatewayOptions): PushgatewayEffect {
  const grouping = options.grouping ?? {};
  const path = groupingPath(options.job, grouping);
  const { url: base, auth } = splitUrlCredentials(options.url, options.auth);
  const url = new URL(base.href.replace(/\/+$/, "") + path);
  const format = options.format ?? "protobuf";
  const http: HttpConfig = {
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    auth,
    headers: options.headers,
    timeoutMs: options.timeoutMs ?? 30_000,
    now: Date.now,
  };
  const log = options.log ?? ((m: string) => console.warn(m));
  let warned = Object.hasOwn(grouping, "instance");

  const send = (method: "PUT" | "POST", source: Collectable): Effect.Effect<void, PushgatewayError> =>
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
      yield* attempt({ method, url, headers: { "content-type": format === "text" ? TEXT_FORMAT : PROTOBUF_DELIMITED }, body }, http);
    });

  return {
    push: (source) => send("PUT", source),
    add: (source) => send("POST", source),
    delete: () => Effect.asVoid(attempt({ method: "DELETE", url, headers: {} }, http)),
  };
}

/**
 * A Pushgateway client.
 *
 * @example
 * const pg = pushgateway({ url: "http://localhost:9091", job: "db_backup", grouping: { instance: host } });
 * await pg.push(registry);   // PUT
 * await pg.delete();
 */
export function pushgateway(options: PushgatewayOptions): PushgatewayClient {
  const e = pushgatewayEffect(options);
  const { url } = splitUrlCredentials(options.url, undefined);
  return {
    push: (source) => Effect.runPromise(e.push(source)),
    add: (source) => Effect.runPromise(e.add(source)),
    delete: () => Effect.runPromise(e.delete()),
    url: url.href.replace(/\/+$/, "") + groupingPath(options.job, options.grouping ?? {}),
  };
}
