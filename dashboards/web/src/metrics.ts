// The metrics the dashboard shows, with labels and units (names from statusmon/metrics.py).
import type { Unit } from "./format";

export interface MetricInfo {
  name: string;
  label: string;
  unit: Unit;
}

export const SYSTEM_METRICS: MetricInfo[] = [
  { name: "cpu_percent", label: "CPU", unit: "percent" },
  { name: "ram_percent", label: "RAM", unit: "percent" },
  { name: "disk_percent", label: "Disk /", unit: "percent" },
  { name: "inode_percent", label: "Inodes /", unit: "percent" },
  { name: "gpu_percent", label: "GPU", unit: "percent" },
  { name: "docker_bytes", label: "Docker", unit: "bytes" },
];

export const PERCENT_METRICS = SYSTEM_METRICS.filter((m) => m.unit === "percent");

export function metricInfo(name: string): MetricInfo {
  return SYSTEM_METRICS.find((m) => m.name === name) ?? { name, label: name, unit: "count" };
}

// Labels for alert threshold keys (statusmon.metrics.ALERT_METRIC_TYPES); unknown keys show their name.
export const ALERT_LABELS: Record<string, string> = {
  cpu_percent: "CPU %",
  ram_percent: "RAM %",
  disk_percent: "Disk / %",
  inode_percent: "Inodes / %",
  docker_bytes: "Docker bytes",
  gpu_percent: "GPU (mean) %",
  mount_used_percent: "Any mount: space %",
  mount_inodes_percent: "Any mount: inodes %",
  gpu_util_percent: "Any GPU: utilisation %",
  gpu_mem_percent: "Any GPU: memory %",
  gpu_temp_c: "Any GPU: temperature °C",
};

export const RANGES = ["1h", "12h", "24h", "7d"] as const;
export type RangeName = (typeof RANGES)[number];
export const RANGE_SECONDS: Record<RangeName, number> = { "1h": 3600, "12h": 43200, "24h": 86400, "7d": 604800 };
