/** Remote write 1.0 (`prometheus.WriteRequest` and the types it uses), as generated in core/gen. */
export * from "../gen/prometheus/types_pb.ts";
export * from "../gen/prometheus/remote_pb.ts";
