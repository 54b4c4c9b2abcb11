/**
 * `promwire/edge`: guardrails for edge and short-lived code — isolate-wide metrics with one
 * batched flush, sample timestamps that never go back per series, a flush deadline under
 * Workers' `waitUntil` limit, and Pushgateway freshness checks. Runtime-agnostic: the clock and
 * the writer are handed in. (`withMetrics`, which needs the Workers adapter's writers, is
 * exported by `promwire/workers`.)
 */

export {
  closeWithin,
  DEFAULT_FLUSH_DEADLINE_MS,
  EDGE_REMOTE_WRITE_DEFAULTS,
  WAIT_UNTIL_LIMIT_MS,
  type CloseWithinOptions,
  type FlushReport,
} from "./flush.ts";
export { dropIsolateMetrics, type IsolateFlushOptions, type IsolateMetricsOptions, type IsolateState, type IsolateStats } from "./isolate.ts";
export { isolateMetrics, type IsolateMetrics } from "./isolate-metrics.ts";
export {
  deleteStaleGroups,
  freshnessAlertRule,
  groupAges,
  staleGroups,
  type AlertRule,
  type FreshnessRuleOptions,
  type PushgatewayGroupAge,
  type StaleGroupsOptions,
} from "./pushgateway-freshness.ts";
export { SeriesTimestamps, type SeriesTimestampsOptions, type SeriesTimestampsStats } from "./series-timestamps.ts";
