// The History tab's charts from three /api/metrics replies (system, disk, gpu). Pure: unit-tested in
// test/client.test.ts; history.ts fetches and draws them.
import { joinSeries, toAligned, type Aligned } from "../../shape";
import type { Unit } from "../../format";
import type { MetricsResponse } from "../../types";

export interface ChartSet {
  /** The chart's data-chart attribute. */
  key: string;
  spec: { title: string; unit: Unit; labels: string[]; range?: [number, number] };
  data: Aligned;
  /** Where its series come from, so alert thresholds find their chart (thresholds.ts): the family, the field
   * of each series (system charts) or of all of them (mounts, GPUs), and the mount or GPU of each series. */
  family: "system" | "disk" | "gpu" | "temp" | "net" | "diskio";
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
  if (resp.resolution === "day") return `${step} means of 1-day buckets`;
  if (resp.resolution === "hour") return `${step} means of 1-hour buckets`;
  if (resp.resolution === "minute") return `${step} means of 1-minute buckets`;
  return `${step} means of raw samples`;
}

/** Whether any series of `d` has a value. */
export const hasData = (d: Aligned): boolean => d.slice(1).some((c) => (c as (number | null)[]).some((v) => v != null));

const system = (sys: MetricsResponse, key: string, title: string, unit: Unit, fields: [string, string][], range?: [number, number]): ChartSet =>
  ({ key, spec: { title, unit, labels: fields.map(([, l]) => l), range }, data: toAligned(sys, fields.map(([f]) => f)), family: "system", fields: fields.map(([f]) => f), resolution: resolutionLabel(sys) });

const EMPTY: MetricsResponse = { client_id: "", family: "temp", from: 0, to: 0, step: null };

/**
 * The charts to draw: CPU/RAM/GPU with the load beside it, network and disk I/O, root disk, Docker (total and
 * what it is made of), then one per keyed field of mounts, GPUs, sensors and disks. Charts without data are left
 * out, except CPU/RAM/GPU (the page's anchor); no data at all gives none.
 */
export function chartSets(sys: MetricsResponse, disk: MetricsResponse, gpu: MetricsResponse, temp: MetricsResponse = EMPTY,
  diskio: MetricsResponse = EMPTY): ChartSet[] {
  const resolution = resolutionLabel(sys);
  const sets: ChartSet[] = [
    { key: "cpu-ram-gpu", spec: { title: "CPU, RAM, GPU", unit: "percent", labels: ["CPU", "RAM", "GPU"], range: [0, 100] }, data: toAligned(sys, ["cpu_percent", "ram_percent", "gpu_percent"]), family: "system", fields: ["cpu_percent", "ram_percent", "gpu_percent"], resolution },
    system(sys, "load", "Load average", "load", [["load1", "1 min"], ["load5", "5 min"], ["load15", "15 min"]]),
    system(sys, "net", "Network (physical interfaces)", "bytes_per_second", [["net_rx_bytes_per_s", "Received"], ["net_tx_bytes_per_s", "Sent"]]),
    system(sys, "diskio", "Disk I/O (whole disks)", "bytes_per_second", [["disk_read_bytes_per_s", "Read"], ["disk_write_bytes_per_s", "Written"]]),
    system(sys, "swap", "Swap used", "percent", [["swap_percent", "Swap"]], [0, 100]),
    system(sys, "cpu-temp", "CPU temperature", "celsius", [["cpu_temp_c", "CPU"]]),
    { key: "disk", spec: { title: "Root filesystem: space and inodes", unit: "percent", labels: ["Space", "Inodes"], range: [0, 100] }, data: toAligned(sys, ["disk_percent", "inode_percent"]), family: "system", fields: ["disk_percent", "inode_percent"], resolution },
    { key: "docker", spec: { title: "Docker disk usage", unit: "bytes", labels: ["Docker"] }, data: toAligned(sys, ["docker_bytes"]), family: "system", fields: ["docker_bytes"], resolution },
    system(sys, "docker-kinds", "Docker disk usage by kind", "bytes", [["docker_images_bytes", "Images"], ["docker_containers_bytes", "Containers"],
      ["docker_volumes_bytes", "Volumes"], ["docker_build_cache_bytes", "Build cache"], ["docker_reclaimable_bytes", "Reclaimable"]]),
  ];
  const keyed = (family: ChartSet["family"], resp: MetricsResponse, field: string, key: string, title: string, unit: Unit, label: (k: string) => string, r?: [number, number]) => {
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
  keyed("temp", temp, "temp_c", "temps", "Temperatures", "celsius", (k) => k);
  keyed("diskio", diskio, "busy_percent", "disks-busy", "Disks: busy", "percent", (k) => k, [0, 100]);
  return sets.some((s) => hasData(s.data)) ? sets.filter((s) => s.key === "cpu-ram-gpu" || hasData(s.data)) : [];
}
