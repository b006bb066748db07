// The Live tab's detail: a table of mounts and a card per GPU, with small meters.
import { empty, h } from "../../dom";
import { formatBytes, formatCelsius, formatCount, formatLoad, formatPercent, formatRate, formatWatts, level } from "../../format";
import type { DiskView, GpuProcessView, GpuView, SampleView, TempView } from "../../types";

/** A percentage as a small bar and number, coloured by level, with an optional detail beside it. */
export function meter(percent: number | null, detail?: string): HTMLElement {
  return h("span", { class: "meter", "data-level": level(percent) },
    h("span", { class: "bar small" }, h("span", { class: "bar-fill", style: `width:${Math.max(0, Math.min(100, percent ?? 0))}%` })),
    h("span", { class: "num" }, formatPercent(percent)), detail ? h("span", { class: "muted small" }, detail) : null);
}

/** One row per mount (tr[data-mount]): used of total, space and inodes. */
export function mountsTable(disks: DiskView[]): HTMLElement {
  if (!disks.length) return empty("No mounts reported.");
  return h("table", { class: "table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Mount"), h("th", { scope: "col" }, "Used"), h("th", { scope: "col" }, "Space"), h("th", { scope: "col" }, "Inodes"))),
    h("tbody", {}, disks.map((d) => h("tr", { "data-mount": d.mount },
      h("th", { scope: "row", class: "mono" }, d.mount),
      h("td", {}, `${formatBytes(d.used_bytes)} / ${formatBytes(d.total_bytes)}`),
      h("td", {}, meter(d.used_percent)),
      h("td", {}, meter(d.inodes_percent, d.inodes_used != null ? `${formatCount(d.inodes_used)} / ${formatCount(d.inodes_total)}` : undefined))))));
}

/** A card per GPU (.gpu[data-gpu]): utilisation, memory, temperature and power. */
export function gpuCards(gpus: GpuView[]): HTMLElement {
  if (!gpus.length) return empty("No GPUs reported.");
  return h("div", { class: "gpu-grid" }, gpus.map((g) => h("div", { class: "gpu card", "data-gpu": String(g.index) },
    h("h3", {}, `GPU ${g.index}`, h("span", { class: "muted" }, ` ${g.name ?? ""}`)),
    h("dl", { class: "kv" },
      h("dt", {}, "Utilisation"), h("dd", {}, meter(g.util_percent)),
      h("dt", {}, "Memory"), h("dd", {}, meter(g.mem_percent, `${formatBytes(g.mem_used_bytes)} / ${formatBytes(g.mem_total_bytes)}`)),
      h("dt", {}, "Temperature"), h("dd", {}, formatCelsius(g.temp_c)),
      h("dt", {}, "Power"), h("dd", {}, formatWatts(g.power_w))),
    g.processes ? processesTable(g.processes) : null)));
}

/** A GPU's processes (tr[data-pid]), largest memory first as the agent sends them. */
export function processesTable(procs: GpuProcessView[]): HTMLElement {
  if (!procs.length) return h("p", { class: "muted small processes" }, "No processes on this GPU.");
  return h("table", { class: "table processes" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "PID"), h("th", { scope: "col" }, "Process"), h("th", { scope: "col" }, "GPU memory"))),
    h("tbody", {}, procs.map((p) => h("tr", { "data-pid": String(p.pid) },
      h("td", { class: "mono" }, String(p.pid)), h("td", {}, p.name ?? "—"), h("td", {}, formatBytes(p.mem_used_bytes))))));
}

/** Pure: Docker's disk usage by kind from a sample, [label, bytes] where the agent sent it. */
export function dockerKinds(s: Partial<SampleView>): [string, number][] {
  const kinds: [string, number | null | undefined][] = [["Images", s.docker_images_bytes], ["Containers", s.docker_containers_bytes],
    ["Volumes", s.docker_volumes_bytes], ["Build cache", s.docker_build_cache_bytes], ["Reclaimable", s.docker_reclaimable_bytes]];
  return kinds.filter((k): k is [string, number] => k[1] != null);
}

/** Docker's breakdown (dl.docker-kinds): what "Docker is 80 GB" is made of, and what a prune could free. */
export function dockerBreakdown(s: Partial<SampleView>): HTMLElement {
  const kinds = dockerKinds(s);
  if (!kinds.length) return empty("No Docker breakdown reported (the agent measures it through the Engine API).");
  return h("dl", { class: "kv docker-kinds" }, kinds.flatMap(([label, bytes]) => [h("dt", {}, label), h("dd", { "data-kind": label }, formatBytes(bytes))]));
}

/** One row per sensor (tr[data-sensor]). */
export function tempsTable(temps: TempView[]): HTMLElement {
  if (!temps.length) return empty("No temperature sensors reported.");
  return h("table", { class: "table temps" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Sensor"), h("th", { scope: "col" }, "Label"), h("th", { scope: "col" }, "Temperature"))),
    h("tbody", {}, temps.map((t) => h("tr", { "data-sensor": `${t.sensor}/${t.label}` },
      h("td", { class: "mono" }, t.sensor), h("td", {}, t.label), h("td", {}, formatCelsius(t.temp_c))))));
}

/** Pure: the host figures beside the gauges, [key, label, text], for what the sample carries. */
export function hostFigures(s: Partial<SampleView>): [string, string, string][] {
  const out: [string, string, string][] = [];
  if (s.load1 != null) out.push(["load", "Load 1/5/15 min", `${formatLoad(s.load1)} / ${formatLoad(s.load5)} / ${formatLoad(s.load15)}`
    + (s.load1_per_core != null ? ` (${formatLoad(s.load1_per_core)} per core)` : "")]);
  if (s.net_rx_bytes_per_s != null || s.net_tx_bytes_per_s != null) out.push(["net", "Network in / out", `${formatRate(s.net_rx_bytes_per_s)} / ${formatRate(s.net_tx_bytes_per_s)}`]);
  if (s.disk_read_bytes_per_s != null || s.disk_write_bytes_per_s != null) out.push(["diskio", "Disk read / write", `${formatRate(s.disk_read_bytes_per_s)} / ${formatRate(s.disk_write_bytes_per_s)}`]);
  if (s.cpu_temp_c != null) out.push(["cpu-temp", "CPU temperature", formatCelsius(s.cpu_temp_c)]);
  if (s.containers_running != null) out.push(["containers", "Containers running / restarting", `${s.containers_running} / ${s.containers_restarting ?? 0}`]);
  return out;
}
