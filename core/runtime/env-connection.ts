/**
 * How to connect, from `PROMWIRE_*` variables: SigV4, OAuth2, a proxy and TLS files. Read by the
 * Node, Deno and Bun entries when the code gives no URL (see env-config.ts), and by the CLI,
 * whose flags of the same names win over the variables. Apart from env-config.ts so that a
 * Worker, whose bindings configure none of this, does not carry it.
 *
 * A variable the runtime will not let promwire read (Deno with `--allow-env=<list>`) counts as
 * unset; a file that cannot be read is an error naming the variable and the path, never the
 * file's content.
 */

import type { Auth } from "../client/http/auth.ts";
import type { TlsOptions } from "../client/http/connection.ts";
import { EnvPermissionError, ValidationError } from "../errors.ts";
import type { GetEnv } from "./env-config.ts";

/** The variables, by what they set. */
export const CONNECTION_ENV_VARS = {
  /** AWS region: turns SigV4 on (credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`). */
  sigv4Region: "PROMWIRE_SIGV4_REGION",
  /** SigV4 signing name, default `aps`. */
  sigv4Service: "PROMWIRE_SIGV4_SERVICE",
  /** OAuth2 token endpoint: turns OAuth2 client credentials on. */
  oauth2TokenUrl: "PROMWIRE_OAUTH2_TOKEN_URL",
  oauth2ClientId: "PROMWIRE_OAUTH2_CLIENT_ID",
  oauth2ClientSecret: "PROMWIRE_OAUTH2_CLIENT_SECRET",
  /** Space- or comma-separated. */
  oauth2Scopes: "PROMWIRE_OAUTH2_SCOPES",
  oauth2Audience: "PROMWIRE_OAUTH2_AUDIENCE",
  /** Proxy for every request (else `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`). */
  proxy: "PROMWIRE_PROXY_URL",
  /** PEM files. */
  tlsCaFile: "PROMWIRE_TLS_CA_FILE",
  tlsCertFile: "PROMWIRE_TLS_CERT_FILE",
  tlsKeyFile: "PROMWIRE_TLS_KEY_FILE",
} as const;

/** Reads a text file (Node and Bun: `node:fs`; Deno: `Deno.readTextFileSync`). */
export type ReadTextFile = (path: string) => string;

/** What the variables say: the parts of a client's options they set. */
export interface ConnectionFromEnv {
  readonly auth?: Auth;
  readonly proxy?: string;
  readonly tls?: TlsOptions;
}

function optional(getEnv: GetEnv, name: string): string | undefined {
  try {
    const v = getEnv(name);
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  } catch (e) {
    if (e instanceof EnvPermissionError) return undefined;
    throw e;
  }
}

/**
 * The connection options the variables set.
 * @example const { auth, proxy, tls } = connectionFromEnv((n) => process.env[n], (p) => readFileSync(p, "utf8"));
 */
export function connectionFromEnv(getEnv: GetEnv, readTextFile?: ReadTextFile): ConnectionFromEnv {
  const v = CONNECTION_ENV_VARS;
  const read = (name: string): string | undefined => optional(getEnv, name);
  const file = (name: string): string | undefined => {
    const path = read(name);
    if (path === undefined) return undefined;
    if (readTextFile === undefined) throw new ValidationError("option-invalid", `${name}: this runtime reads no files (tls does not apply here)`);
    try {
      return readTextFile(path);
    } catch (e) {
      const why = (e as { code?: string; name?: string }).code ?? (e as { name?: string }).name ?? "unreadable";
      throw new ValidationError("option-invalid", `${name}: cannot read ${JSON.stringify(path)} (${why})`);
    }
  };
  const region = read(v.sigv4Region);
  const tokenUrl = read(v.oauth2TokenUrl);
  if (region !== undefined && tokenUrl !== undefined) throw new ValidationError("option-invalid", `set either ${v.sigv4Region} or ${v.oauth2TokenUrl}, not both`);
  let auth: Auth | undefined;
  if (region !== undefined) auth = { sigv4: { region, service: read(v.sigv4Service) } };
  if (tokenUrl !== undefined) {
    const clientId = read(v.oauth2ClientId);
    const clientSecret = read(v.oauth2ClientSecret);
    if (clientId === undefined || clientSecret === undefined) {
      throw new ValidationError("option-invalid", `${v.oauth2TokenUrl} is set: set ${v.oauth2ClientId} and ${v.oauth2ClientSecret} too`);
    }
    const scopes = read(v.oauth2Scopes)?.split(/[\s,]+/).filter((s) => s !== "");
    auth = { oauth2: { tokenUrl, clientId, clientSecret, scopes, audience: read(v.oauth2Audience) } };
  }
  const ca = file(v.tlsCaFile);
  const cert = file(v.tlsCertFile);
  const key = file(v.tlsKeyFile);
  const tls = ca === undefined && cert === undefined && key === undefined ? undefined : { ca, cert, key };
  return { auth, proxy: read(v.proxy), tls };
}

/**
 * Options completed with what the variables set; the code's own `auth`, `proxy` and `tls` win,
 * and credentials set twice (e.g. `PROMWIRE_USERNAME` and `PROMWIRE_SIGV4_REGION`) are an error.
 * @example const options = withConnectionFromEnv(getEnv, readFile, given, fromBasicEnv);
 */
export function withConnectionFromEnv<O extends { readonly auth?: Auth; readonly proxy?: string; readonly tls?: TlsOptions }>(
  getEnv: GetEnv,
  readTextFile: ReadTextFile | undefined,
  given: Partial<O>,
  resolved: O,
): O {
  const env = connectionFromEnv(getEnv, readTextFile);
  if (env.auth !== undefined && given.auth === undefined && resolved.auth !== undefined) {
    throw new ValidationError("option-invalid", "credentials are set twice in the environment: PROMWIRE_USERNAME/PASSWORD or PROMWIRE_BEARER_TOKEN, and SigV4 or OAuth2");
  }
  return {
    ...resolved,
    auth: given.auth ?? resolved.auth ?? env.auth,
    proxy: given.proxy ?? env.proxy,
    tls: given.tls ?? env.tls,
  };
}
