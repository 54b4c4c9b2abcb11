/**
 * `promwire/proto`: the protobuf messages generated from `proto/` by buf + protoc-gen-es — the
 * schema of record, for users who want typed messages (`create`, `toBinary`, `fromBinary` from
 * `@bufbuild/protobuf`, a peer dependency of this entry only). promwire's own hot paths never use
 * them: its hand-written encoders are proven byte for byte against them by the test suite.
 *
 * @example
 * import { create, toBinary } from "@bufbuild/protobuf";
 * import { v1 } from "promwire/proto";
 * const bytes = toBinary(v1.WriteRequestSchema, create(v1.WriteRequestSchema, { timeseries: [] }));
 */
export * as v1 from "./v1.ts";
export * as v2 from "../gen/io/prometheus/write/v2/types_pb.ts";
export * as client from "../gen/io/prometheus/client/metrics_pb.ts";
