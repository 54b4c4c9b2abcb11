/**
 * Pushgateway client, after client_golang's `push` package: `push` (PUT, replaces the group),
 * `add` (POST, replaces same-named metrics), `delete` (DELETE the group). Everything is validated
 * before any request; a failed request reports its status and body. Effect inside
 * ({@link pushgatewayEffect}), Promise outside ({@link pushgateway}).
 */

import * as Effect from "effect/Effect";
import { ClosedError, ValidationError } from "../errors.ts";
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
  /**
   * Delete the group when the client is closed (`close()`), so a finished job leaves nothing
   * behind for Prometheus to keep scraping. Default false.
   */
  readonly deleteOnClose?: boolean;
  /**
   * `"gzip"`: compress request bodies (`Content-Encoding: gzip`, accepted by Pushgateway since
   * 1.0) with the runtime's `CompressionStream`; where the runtime has none, bodies go
   * uncompressed (noted once through `log`). Default `"none"`.
   */
  readonly compression?: "gzip" | "none";
}

/** Options of {@link PushgatewayClient.close}. */
export interface PushgatewayCloseOptions {
  /**
   * Wait this long before deleting, ms, so that Prometheus scrapes the final values at least
   * once (use your scrape interval). Default 0.
   */
  readonly graceMs?: number;
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
  /**
   * End the client: with `deleteOnClose`, DELETE the group (after `graceMs`); later pushes are
   * refused with a `ClosedError`. Idempotent: every call returns the same promise.
   */
  close(options?: PushgatewayCloseOptions): Promise<void>;
  /** True once `close()` was called. */
  readonly closed: boolean;
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
  const compression = options.compression ?? "none";
  if (compression !== "gzip" && compression !== "none") {
    throw new ValidationError("option-invalid", `compression must be "gzip" or "none", got ${JSON.stringify(compression)}`);
  }
  let gzipWarned = false;

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
      yield* attempt({ method, url, headers, body }, http);
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
  let closing: Promise<void> | undefined;
  const open = <T>(run: () => Promise<T>): Promise<T> => (closing === undefined ? run() : Promise.reject(new ClosedError("the Pushgateway client is closed")));
  return {
    push: (source) => open(() => Effect.runPromise(e.push(source))),
    add: (source) => open(() => Effect.runPromise(e.add(source))),
    delete: () => Effect.runPromise(e.delete()),
    close(closeOptions = {}) {
      closing ??= (async () => {
        if (options.deleteOnClose !== true) return;
        const grace = closeOptions.graceMs ?? 0;
        if (grace > 0) await new Promise((resolve) => setTimeout(resolve, grace));
        await Effect.runPromise(e.delete());
      })();
      return closing;
    },
    get closed() {
      return closing !== undefined;
    },
    url: url.href.replace(/\/+$/, "") + groupingPath(options.job, options.grouping ?? {}),
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
