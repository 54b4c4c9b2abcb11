/**
 * Configuration from environment variables (Node, Deno, Bun) or Worker bindings, for when the
 * code gives no URL. Runtime-agnostic: each adapter hands in how to read one variable.
 *
 * The environment is read only when `url` is absent, so code that passes its options in full
 * never touches the environment (on Deno it then needs no `--allow-env`). Options given in code
 * always win over the environment.
 */

import { ValidationError } from "../errors.ts";
import type { Auth } from "../client/http/auth.ts";
import type { PushgatewayOptions } from "../client/pushgateway/options.ts";
import type { RemoteWriteOptions } from "../client/remote-write/options.ts";
import type { PushgatewayEnvOptions } from "./api.ts";

/** Reads one variable; `undefined` when unset. May throw (Deno without `--allow-env`). */
export type GetEnv = (name: string) => string | undefined;

/** The variables promwire reads. */
export const ENV_VARS = {
  /** Remote-write endpoint, e.g. `https://prom.example/api/v1/write`. */
  remoteWriteUrl: "PROMWIRE_REMOTE_WRITE_URL",
  /** Pushgateway base URL, e.g. `http://pushgateway:9091`. */
  pushgatewayUrl: "PROMWIRE_PUSHGATEWAY_URL",
  /** Basic auth user name (with `PROMWIRE_PASSWORD`). */
  username: "PROMWIRE_USERNAME",
  password: "PROMWIRE_PASSWORD",
  /** `Authorization: Bearer` token (instead of a user name and password). */
  bearerToken: "PROMWIRE_BEARER_TOKEN",
  /** `v1` or `v2`. */
  protocol: "PROMWIRE_PROTOCOL",
  /** `name=value,name=value`, added to every series. */
  externalLabels: "PROMWIRE_EXTERNAL_LABELS",
  /** Per-request timeout, ms. */
  timeoutMs: "PROMWIRE_TIMEOUT_MS",
  /** Pushgateway job name, when the code gives none. */
  job: "PROMWIRE_JOB",
  /** Spool directory for remote write (Node, Bun, Deno). */
  spoolDir: "PROMWIRE_SPOOL_DIR",
} as const;

/** The variables read when building remote-write options, in the order they are read. */
export const REMOTE_WRITE_ENV_VARS: readonly string[] = [
  ENV_VARS.remoteWriteUrl,
  ENV_VARS.username,
  ENV_VARS.password,
  ENV_VARS.bearerToken,
  ENV_VARS.protocol,
  ENV_VARS.externalLabels,
  ENV_VARS.timeoutMs,
  ENV_VARS.spoolDir,
];

function nonEmpty(getEnv: GetEnv, name: string): string | undefined {
  const v = getEnv(name);
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function authFromEnv(getEnv: GetEnv): Auth | undefined {
  const username = nonEmpty(getEnv, ENV_VARS.username);
  const password = getEnv(ENV_VARS.password);
  const bearer = nonEmpty(getEnv, ENV_VARS.bearerToken);
  if (bearer !== undefined && username !== undefined) {
    throw new ValidationError("option-invalid", `set either ${ENV_VARS.bearerToken} or ${ENV_VARS.username}/${ENV_VARS.password}, not both`);
  }
  if (bearer !== undefined) return { bearer };
  if (username !== undefined) {
    if (password === undefined) throw new ValidationError("option-invalid", `${ENV_VARS.username} is set but ${ENV_VARS.password} is not`);
    return { username, password };
  }
  if (password !== undefined && password !== "") {
    throw new ValidationError("option-invalid", `${ENV_VARS.password} is set but ${ENV_VARS.username} is not`);
  }
  return undefined;
}

/**
 * Parse `name=value,name=value` (values may not contain `,`; whitespace around items is ignored).
 * @example parseLabelList("region=eu,instance=web-1") // { region: "eu", instance: "web-1" }
 */
export function parseLabelList(text: string, what: string = ENV_VARS.externalLabels): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(",")) {
    const trimmed = item.trim();
    if (trimmed === "") continue;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) throw new ValidationError("option-invalid", `${what}: expected name=value, got ${JSON.stringify(trimmed)}`);
    out[trimmed.slice(0, eq).trim()] = trimmed.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Remote-write options: `options` as given when they carry a `url`; otherwise `options` completed
 * from the environment (`PROMWIRE_REMOTE_WRITE_URL`, credentials, protocol, external labels,
 * timeout, spool directory), the code's own fields winning.
 *
 * @example
 * const options = remoteWriteOptionsFromEnv(readEnvironmentVariable, { externalLabels: { job: "backup" } });
 */
export function remoteWriteOptionsFromEnv(getEnv: GetEnv, options: Partial<RemoteWriteOptions> = {}): RemoteWriteOptions {
  if (options.url !== undefined) return options as RemoteWriteOptions;
  const url = nonEmpty(getEnv, ENV_VARS.remoteWriteUrl);
  if (url === undefined) {
    throw new ValidationError("option-invalid", `no remote-write URL: pass options.url or set ${ENV_VARS.remoteWriteUrl}`);
  }
  const protocol = nonEmpty(getEnv, ENV_VARS.protocol);
  if (protocol !== undefined && protocol !== "v1" && protocol !== "v2") {
    throw new ValidationError("option-invalid", `${ENV_VARS.protocol} must be v1 or v2, got ${JSON.stringify(protocol)}`);
  }
  const labels = nonEmpty(getEnv, ENV_VARS.externalLabels);
  const timeout = nonEmpty(getEnv, ENV_VARS.timeoutMs);
  const timeoutMs = timeout === undefined ? undefined : Number(timeout);
  const spoolDir = nonEmpty(getEnv, ENV_VARS.spoolDir);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) {
    throw new ValidationError("option-invalid", `${ENV_VARS.timeoutMs} must be a positive number of milliseconds, got ${JSON.stringify(timeout)}`);
  }
  return {
    ...options,
    url,
    auth: options.auth ?? authFromEnv(getEnv),
    protocol: options.protocol ?? protocol,
    externalLabels: options.externalLabels ?? (labels === undefined ? undefined : parseLabelList(labels)),
    timeoutMs: options.timeoutMs ?? timeoutMs,
    spool: options.spool ?? (spoolDir === undefined ? undefined : { dir: spoolDir }),
  };
}

/**
 * Pushgateway options: as given when they carry a `url`; otherwise completed from
 * `PROMWIRE_PUSHGATEWAY_URL`, `PROMWIRE_JOB` and the credential variables.
 * @example const options = pushgatewayOptionsFromEnv((n) => env[n], { job: "backup" });
 */
export function pushgatewayOptionsFromEnv(getEnv: GetEnv, options: PushgatewayEnvOptions): PushgatewayOptions {
  if (options.url !== undefined) {
    if (options.job === undefined) throw new ValidationError("job-empty", "options.job is required");
    return options as PushgatewayOptions;
  }
  const url = nonEmpty(getEnv, ENV_VARS.pushgatewayUrl);
  if (url === undefined) throw new ValidationError("option-invalid", `no Pushgateway URL: pass options.url or set ${ENV_VARS.pushgatewayUrl}`);
  const job = options.job ?? nonEmpty(getEnv, ENV_VARS.job);
  if (job === undefined) throw new ValidationError("job-empty", `no job: pass options.job or set ${ENV_VARS.job}`);
  const timeout = nonEmpty(getEnv, ENV_VARS.timeoutMs);
  return { ...options, url, job, auth: options.auth ?? authFromEnv(getEnv), timeoutMs: options.timeoutMs ?? (timeout === undefined ? undefined : Number(timeout)) };
}
