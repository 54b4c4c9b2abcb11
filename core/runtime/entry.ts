/**
 * What every runtime entry (`promwire/node`, `/deno`, `/bun`, `/workers`) exports besides its own
 * `remoteWrite`, `pushgateway` and `flushAll`: the metric types and errors of `promwire`, and the
 * types of the clients' options and results.
 */
export * from "../index.ts";
export type { Auth, BasicAuth, BearerAuth, HeaderAuth, SignableRequest, SignAuth } from "../client/http/auth.ts";
export type { RetryNotice, RetryOptions } from "../client/http/retry-policy.ts";
export type { FetchLike } from "../client/http/types.ts";
export type { PeriodicHandle, PeriodicOptions, PeriodicStats, PeriodicStopOptions } from "../client/periodic.ts";
export type { PushEveryOptions, PushgatewayClient, PushgatewayCloseOptions, PushgatewayError, PushgatewayOptions } from "../client/pushgateway/options.ts";
export type { DropReason, FailureInfo, RemoteWriteOptions, SpoolOptions, TimestampPolicy, WriteRetryNotice, WriterStats } from "../client/remote-write/options.ts";
export type { CloseOptions, RemoteWriter } from "../client/remote-write/remote-writer.ts";
export type { PushgatewayEnvOptions, RuntimeClientApi, RuntimeRemoteWriteOptions } from "./api.ts";
export type { FlushAllResult } from "./open-writers.ts";
export type { AwsCredentials, OAuth2Auth, OAuth2Options, SigV4Auth, SigV4Options, TokenAuth } from "../client/http/auth.ts";
export type { TlsOptions } from "../client/http/connection.ts";
export { oauth2, sigv4 } from "../client/http/auth-schemes.ts";
