// The Live tab's detail: a table of mounts and a card per GPU, with small meters.
import { empty, h } from "../../dom";
import { formatBytes, formatCelsius, formatCount, formatPercent, formatWatts, level } from "../../format";
import type { DiskView, GpuView } from "../../types";

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
      h("dt", {}, "Power"), h("dd", {}, formatWatts(g.power_w))))));
}
