/**
 * The transport: the remote-write writer and the Pushgateway client (Promise API). Effect users
 * import `./effect.ts` (`promwire/effect`) instead.
 */

export type { Auth, BasicAuth, BearerAuth, HeaderAuth, SignAuth, SignableRequest } from "./auth.ts";
export type { FetchLike } from "./http.ts";
export { gzip, pushgateway, TEXT_FORMAT, type PushgatewayClient, type PushgatewayCloseOptions, type PushgatewayError, type PushgatewayOptions } from "./pushgateway.ts";
export { encodeFamiliesDelimited, PROTOBUF_DELIMITED } from "./pushgateway-protobuf.ts";
export { groupingPath } from "./pushgateway-url.ts";
export { remoteWrite, type CloseOptions, type RemoteWriter } from "./remote-write.ts";
export type { FailureInfo, RemoteWriteOptions, RetryInfo, TimestampPolicy, WriterStats } from "./remote-write-options.ts";
export { DEFAULT_RETRY, type RetryOptions } from "./retry.ts";
export type { Collectable } from "./self-metrics.ts";
export { USER_AGENT, VERSION } from "./version.ts";
export {
  ENV_VARS,
  EnvPermissionError,
  parseLabelList,
  pushgatewayOptionsFromEnv,
  remoteWriteOptionsFromEnv,
  REMOTE_WRITE_ENV_VARS,
  type GetEnv,
  type PushgatewayEnvOptions,
} from "./env-config.ts";
export { OpenWriters, type FlushAllResult } from "./open-writers.ts";
export { runtimeClients, DEFAULT_EXIT_TIMEOUT_MS, type RuntimeClients, type RuntimeGlue, type RuntimeRemoteWriteOptions } from "./runtime-clients.ts";
