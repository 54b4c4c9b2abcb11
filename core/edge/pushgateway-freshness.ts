/**
 * Groups left behind in a Pushgateway. Pushgateway never forgets a group: a job that died before
 * deleting it (or that never meant to) keeps being scraped with its last values, forever. Every
 * group carries `push_time_seconds`, the Unix time of its last successful push; these helpers
 * turn it into an alert rule and into a janitor that lists (and may delete) stale groups.
 *
 * The alert rule, for a Prometheus that scrapes the gateway with `honor_labels: true`:
 *
 * ```yaml
 * groups:
 *   - name: pushgateway-freshness
 *     rules:
 *       - alert: PushgatewayGroupStale
 *         expr: time() - push_time_seconds{job="db_backup"} > 90000
 *         for: 5m
 *         labels: { severity: warning }
 *         annotations:
 *           summary: "Pushgateway group {{ $labels.job }}/{{ $labels.instance }} not pushed for {{ $value | humanizeDuration }}"
 * ```
 *
 * Pick the threshold from the job's schedule: a daily job pushes every 86,400 s, so alert after
 * a day plus its longest run (90,000 s above). For jobs that must delete their group when done
 * (`deleteOnClose`), any group older than one run is a leftover: delete it with
 * {@link deleteStaleGroups}.
 */

import type { Auth } from "../client/http/auth.ts";
import { splitUrlCredentials } from "../client/http/auth.ts";
import { buildHeaders } from "../client/http/exchange.ts";
import type { FetchLike } from "../client/http/types.ts";
import { pushgateway } from "../client/pushgateway/client.ts";
import { HttpError, ValidationError } from "../errors.ts";
import { formatGoFloat } from "../exposition/format-float.ts";

/** Options of {@link freshnessAlertRule}. */
export interface FreshnessRuleOptions {
  /** Alert when a group was last pushed more than this long ago, seconds. */
  readonly maxAgeSeconds: number;
  /** Only groups of this job (default: every group). */
  readonly job?: string;
  /** Alert name. Default `PushgatewayGroupStale`. */
  readonly alert?: string;
  /** How long the condition must hold. Default `5m`. */
  readonly for?: string;
  /** Labels added to the alert. Default `{ severity: "warning" }`. */
  readonly labels?: Readonly<Record<string, string>>;
}

/** One Prometheus alerting rule, as in a rules file. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

function promqlString(s: string): string {
  return JSON.stringify(s);
}

/**
 * The alerting rule `time() - push_time_seconds{…} > maxAgeSeconds`.
 *
 * @example
 * const rule = freshnessAlertRule({ job: "db_backup", maxAgeSeconds: 90_000 });
 * // rule.expr === 'time() - push_time_seconds{job="db_backup"} > 90000'
 * const file = JSON.stringify({ groups: [{ name: "pushgateway", rules: [rule] }] }); // JSON is YAML
 */
export function freshnessAlertRule(options: FreshnessRuleOptions): AlertRule {
  const { maxAgeSeconds } = options;
  if (typeof maxAgeSeconds !== "number" || !(maxAgeSeconds > 0) || !Number.isFinite(maxAgeSeconds)) {
    throw new ValidationError("option-invalid", `maxAgeSeconds must be a positive number, got ${String(maxAgeSeconds)}`);
  }
  const selector = options.job === undefined ? "" : `{job=${promqlString(options.job)}}`;
  return {
    alert: options.alert ?? "PushgatewayGroupStale",
    expr: `time() - push_time_seconds${selector} > ${formatGoFloat(maxAgeSeconds)}`,
    for: options.for ?? "5m",
    labels: { severity: "warning", ...(options.labels ?? {}) },
    annotations: {
      summary: "Pushgateway group {{ $labels.job }}/{{ $labels.instance }} not pushed for {{ $value | humanizeDuration }}",
    },
  };
}

/** A group of the gateway with the time of its last push. */
export interface PushgatewayGroupAge {
  /** The grouping labels (`job` included); empty values left out. */
  readonly labels: Readonly<Record<string, string>>;
  /** `push_time_seconds` of the group (Unix seconds). */
  readonly pushTimeSeconds: number;
  /** Seconds since then, by `now`. */
  readonly ageSeconds: number;
}

/** Options of {@link staleGroups} and {@link deleteStaleGroups}. */
export interface StaleGroupsOptions {
  /** The gateway's base URL. */
  readonly url: string;
  /** Groups last pushed longer ago than this are stale, seconds. */
  readonly maxAgeSeconds: number;
  /** Only groups of this job. */
  readonly job?: string;
  readonly auth?: Auth;
  readonly fetch?: FetchLike;
  /** Wall clock, ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Request timeout, ms. Default 30,000. */
  readonly timeoutMs?: number;
}

interface ApiGroup {
  labels?: Record<string, string>;
  push_time_seconds?: { metrics?: { value?: string }[] };
}

/**
 * Every group of the gateway (`GET /api/v1/metrics`) with its age.
 * @example const groups = await groupAges({ url: "http://pushgateway:9091" });
 */
export async function groupAges(options: Omit<StaleGroupsOptions, "maxAgeSeconds">): Promise<PushgatewayGroupAge[]> {
  const { url: base, auth } = splitUrlCredentials(options.url, options.auth);
  const url = `${base.href.replace(/\/+$/, "")}/api/v1/metrics`;
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const signal = AbortSignal.timeout(options.timeoutMs ?? 30_000);
  const res = await fetchFn(url, { method: "GET", headers: buildHeaders({ accept: "application/json" }, { auth }), signal });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, text.slice(0, 1024), url.replace(/\/\/[^/@]*@/, "//"));
  const body = JSON.parse(text) as { data?: ApiGroup[] };
  const now = (options.now ?? Date.now)() / 1000;
  const out: PushgatewayGroupAge[] = [];
  for (const g of body.data ?? []) {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(g.labels ?? {})) if (v !== "") labels[k] = v;
    if (options.job !== undefined && labels.job !== options.job) continue;
    const t = Number(g.push_time_seconds?.metrics?.[0]?.value);
    if (!Number.isFinite(t)) continue;
    out.push({ labels, pushTimeSeconds: t, ageSeconds: now - t });
  }
  return out;
}

/**
 * The groups not pushed for more than `maxAgeSeconds`.
 * @example const stale = await staleGroups({ url, maxAgeSeconds: 3600, job: "db_backup" });
 */
export async function staleGroups(options: StaleGroupsOptions): Promise<PushgatewayGroupAge[]> {
  if (!(options.maxAgeSeconds >= 0)) throw new ValidationError("option-invalid", "maxAgeSeconds must be a number ≥ 0");
  return (await groupAges(options)).filter((g) => g.ageSeconds > options.maxAgeSeconds);
}

/**
 * Delete the groups not pushed for more than `maxAgeSeconds`; returns those deleted. A janitor
 * for groups whose job died before it could delete them.
 * @example await deleteStaleGroups({ url, maxAgeSeconds: 2 * 86_400 });
 */
export async function deleteStaleGroups(options: StaleGroupsOptions): Promise<PushgatewayGroupAge[]> {
  const stale = await staleGroups(options);
  for (const g of stale) {
    const { job, ...grouping } = g.labels;
    if (job === undefined) continue;
    await pushgateway({ url: options.url, job, grouping, auth: options.auth, fetch: options.fetch, timeoutMs: options.timeoutMs }).delete();
  }
  return stale;
}
