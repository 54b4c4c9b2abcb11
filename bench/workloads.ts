/**
 * The fixed, generated workloads every encode benchmark runs on (same data for every peer):
 * W1 = 10,000 series × 1 sample, W2 = 1,000 series × 100 samples; each series has `__name__`
 * plus 8 labels shaped like a Kubernetes scrape (cluster, container, endpoint, instance, job,
 * method, namespace, pod).
 */

import type { Series } from "../core/wire/types.ts";

/** A small deterministic PRNG (mulberry32), so every run measures the same bytes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METRICS = [
  "http_requests_total",
  "http_request_duration_seconds_sum",
  "http_request_duration_seconds_count",
  "process_cpu_seconds_total",
  "process_resident_memory_bytes",
  "go_goroutines",
  "grpc_server_handled_total",
  "container_memory_working_set_bytes",
  "node_network_receive_bytes_total",
  "kube_pod_container_status_restarts_total",
];
const CONTAINERS = ["api", "worker", "gateway", "auth", "billing", "search"];
const ROUTES = ["users", "orders", "invoices", "search", "login", "logout", "cart", "items", "health", "metrics", "reports", "export"];
const METHODS = ["GET", "POST", "PUT", "DELETE"];
const NAMESPACES = ["prod", "staging", "payments", "identity"];

const BASE_TS = 1_700_000_000_000;

/** Builds `seriesCount` series with `samplesPerSeries` samples each, 15 s apart. */
export function workload(seriesCount: number, samplesPerSeries: number, seed = 42): Series[] {
  const r = rng(seed);
  const out: Series[] = [];
  for (let i = 0; i < seriesCount; i++) {
    const container = CONTAINERS[i % CONTAINERS.length];
    const podHash = Math.floor(r() * 0xffffffff).toString(36).padStart(7, "0").slice(0, 7);
    const labels = [
      "__name__", METRICS[i % METRICS.length],
      "cluster", `prod-eu-west-${i % 3}`,
      "container", container,
      "endpoint", `/api/v1/${ROUTES[(i >> 2) % ROUTES.length]}`,
      "instance", `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:9100`,
      "job", `kubernetes-pods-${container}`,
      "method", METHODS[(i >> 1) % METHODS.length],
      "namespace", NAMESPACES[(i >> 3) % NAMESPACES.length],
      "pod", `${container}-7d9f8b${podHash}-${(i % 97).toString(36)}x${(i % 89).toString(36)}`,
    ];
    const samples = [];
    let v = Math.floor(r() * 100_000);
    for (let j = 0; j < samplesPerSeries; j++) {
      v += r() < 0.5 ? Math.floor(r() * 50) : r() * 3.7;
      samples.push({ value: v, timestamp: BASE_TS + j * 15_000 + (i % 1000) });
    }
    out.push({ labels, samples });
  }
  return out;
}

/** W1: 10,000 series × 1 sample. */
export const w1 = (): Series[] => workload(10_000, 1);
/** W2: 1,000 series × 100 samples. */
export const w2 = (): Series[] => workload(1_000, 100);
