// The History tab's charts from three /api/metrics replies (system, disk, gpu). Pure: unit-tested in
// test/client.test.ts; history.ts fetches and draws them.
import { joinSeries, toAligned, type Aligned } from "../../shape";
import type { MetricsResponse } from "../../types";

export interface ChartSet {
  /** The chart's data-chart attribute. */
  key: string;
  spec: { title: string; unit: "percent" | "bytes" | "celsius" | "watts"; labels: string[]; range?: [number, number] };
  data: Aligned;
  /** Where its series come from, so alert thresholds find their chart (thresholds.ts): the family, the field
   * of each series (system charts) or of all of them (mounts, GPUs), and the mount or GPU of each series. */
  family: "system" | "disk" | "gpu";
  fields: string[];
  keys?: string[];
  /** What the chart shows, in words ("5 min means of 1-minute buckets"): see `resolutionLabel`. */
  resolution: string;
}

/** A step in words: 30 s, 5 min, 2 h, 1 d. */
export function stepLabel(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The resolution a /api/metrics reply shows, in words, for the caption under its chart. */
export function resolutionLabel(resp: Pick<MetricsResponse, "step" | "resolution">): string {
  if (resp.step == null) return "raw samples";
  const step = stepLabel(resp.step);
  if (resp.resolution === "hour") return `${step} means of 1-hour buckets`;
  if (resp.resolution === "minute") return `${step} means of 1-minute buckets`;
  return `${step} means of raw samples`;
}

/** Whether any series of `d` has a value. */
export const hasData = (d: Aligned): boolean => d.slice(1).some((c) => (c as (number | null)[]).some((v) => v != null));

/**
 * The charts to draw: CPU/RAM/GPU, root disk, Docker, then one per keyed field of mounts and GPUs. Charts
 * without data are left out, except CPU/RAM/GPU (the page's anchor); no data at all gives none.
 */
export function chartSets(sys: MetricsResponse, disk: MetricsResponse, gpu: MetricsResponse): ChartSet[] {
  const resolution = resolutionLabel(sys);
  const sets: ChartSet[] = [
    { key: "cpu-ram-gpu", spec: { title: "CPU, RAM, GPU", unit: "percent", labels: ["CPU", "RAM", "GPU"], range: [0, 100] }, data: toAligned(sys, ["cpu_percent", "ram_percent", "gpu_percent"]), family: "system", fields: ["cpu_percent", "ram_percent", "gpu_percent"], resolution },
    { key: "disk", spec: { title: "Root filesystem: space and inodes", unit: "percent", labels: ["Space", "Inodes"], range: [0, 100] }, data: toAligned(sys, ["disk_percent", "inode_percent"]), family: "system", fields: ["disk_percent", "inode_percent"], resolution },
    { key: "docker", spec: { title: "Docker disk usage", unit: "bytes", labels: ["Docker"] }, data: toAligned(sys, ["docker_bytes"]), family: "system", fields: ["docker_bytes"], resolution },
  ];
  const keyed = (family: "disk" | "gpu", resp: MetricsResponse, field: string, key: string, title: string, unit: ChartSet["spec"]["unit"], label: (k: string) => string, r?: [number, number]) => {
    if (!resp.series || !Object.keys(resp.series).length) return;
    const j = joinSeries(resp.series, field);
    sets.push({ key, spec: { title, unit, labels: j.keys.map(label), range: r }, data: j.data, family, fields: [field], keys: j.keys, resolution: resolutionLabel(resp) });
  };
  keyed("disk", disk, "used_percent", "mounts-space", "Mounts: space used", "percent", (k) => k, [0, 100]);
  keyed("disk", disk, "inodes_percent", "mounts-inodes", "Mounts: inodes used", "percent", (k) => k, [0, 100]);
  keyed("gpu", gpu, "util_percent", "gpu-util", "GPU utilisation", "percent", (k) => `GPU ${k}`, [0, 100]);
  keyed("gpu", gpu, "mem_percent", "gpu-mem", "GPU memory", "percent", (k) => `GPU ${k}`, [0, 100]);
  keyed("gpu", gpu, "temp_c", "gpu-temp", "GPU temperature", "celsius", (k) => `GPU ${k}`);
  keyed("gpu", gpu, "power_w", "gpu-power", "GPU power", "watts", (k) => `GPU ${k}`);
  return sets.some((s) => hasData(s.data)) ? sets.filter((s) => s.key === "cpu-ram-gpu" || hasData(s.data)) : [];
}
