// The Live tab's containers table: one row per container of the newest poll, sortable by any column (click a
// header; again to reverse), and a small chart of each one's CPU over the last minutes (container series).
import { h } from "../../dom";
import { formatBytes, formatPercent, formatRate } from "../../format";
import type { ContainerView } from "../../types";

export type ContainerColumn = "name" | "image" | "state" | "cpu_percent" | "mem_bytes" | "net_rx_bytes_per_s" | "net_tx_bytes_per_s" | "restart_count";

export const CONTAINER_COLUMNS: [ContainerColumn, string][] = [
  ["name", "Name"], ["image", "Image"], ["state", "State"], ["cpu_percent", "CPU"], ["mem_bytes", "Memory"],
  ["net_rx_bytes_per_s", "Net in"], ["net_tx_bytes_per_s", "Net out"], ["restart_count", "Restarts"],
];

export interface SortState {
  column: ContainerColumn;
  desc: boolean;
}

/** Pure: the containers ordered by `sort`; a missing value sorts last whichever the direction, ties by name. */
export function sortContainers(list: ContainerView[], sort: SortState): ContainerView[] {
  const value = (c: ContainerView): string | number | undefined => c[sort.column];
  return [...list].sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    if (va == null && vb == null) return a.name.localeCompare(b.name);
    if (va == null) return 1;
    if (vb == null) return -1;
    const cmp = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
    return (sort.desc ? -cmp : cmp) || a.name.localeCompare(b.name);
  });
}

/** Pure: the next sort after a click on `column` (the same column flips; numbers start largest first). */
export function nextSort(sort: SortState, column: ContainerColumn): SortState {
  if (sort.column === column) return { column, desc: !sort.desc };
  return { column, desc: !["name", "image", "state"].includes(column) };
}

function cell(c: ContainerView, column: ContainerColumn): string {
  switch (column) {
    case "cpu_percent":
      return formatPercent(c.cpu_percent);
    case "mem_bytes":
      return c.mem_limit_bytes ? `${formatBytes(c.mem_bytes)} / ${formatBytes(c.mem_limit_bytes)}` : formatBytes(c.mem_bytes);
    case "net_rx_bytes_per_s":
    case "net_tx_bytes_per_s":
      return formatRate(c[column]);
    case "restart_count":
      return c.restart_count == null ? "—" : String(c.restart_count);
    default:
      return c[column] ?? "—";
  }
}

/** A table (tr[data-container]) that re-sorts itself on header clicks; `spark(name)` gives a row's sparkline box. */
export class ContainersTable {
  readonly el = h("div", { class: "containers" });
  private sort: SortState = { column: "cpu_percent", desc: true };
  private list: ContainerView[] = [];

  constructor(private spark: (name: string) => Element | null = () => null) {}

  update(list: ContainerView[]): void {
    this.list = list;
    this.render();
  }

  private render(): void {
    if (!this.list.length) {
      this.el.replaceChildren(h("div", { class: "state empty" }, h("p", {}, "No containers reported.")));
      return;
    }
    const head = CONTAINER_COLUMNS.map(([column, label]) => h("th", {
      scope: "col", "data-sort": column,
      "aria-sort": this.sort.column === column ? (this.sort.desc ? "descending" : "ascending") : "none",
    }, h("button", { type: "button", class: "link", onclick: () => { this.sort = nextSort(this.sort, column); this.render(); } }, label)));
    const rows = sortContainers(this.list, this.sort).map((c) => h("tr", { "data-container": c.name, "data-state": c.state ?? "" },
      ...CONTAINER_COLUMNS.map(([column]) => column === "name" ? h("th", { scope: "row", class: "mono" }, c.name) : h("td", {}, cell(c, column))),
      h("td", { class: "spark" }, this.spark(c.name))));
    this.el.replaceChildren(h("table", { class: "table" }, h("thead", {}, h("tr", {}, ...head, h("th", { scope: "col" }, "CPU, last minutes"))), h("tbody", {}, rows)));
  }
}

/** Pure: an SVG path of `values` (nulls skipped) scaled into w x h, 0 at the bottom; "" without two points. */
export function sparkPath(values: (number | null)[], w: number, hgt: number, max = 100): string {
  const pts = values.map((v, i) => [i, v] as const).filter((p): p is readonly [number, number] => p[1] != null);
  if (pts.length < 2 || values.length < 2) return "";
  const top = Math.max(max, ...pts.map(([, v]) => v));
  return pts.map(([i, v], k) => `${k ? "L" : "M"}${(i * w / (values.length - 1)).toFixed(1)},${(hgt - (v / top) * hgt).toFixed(1)}`).join("");
}

/** A row's sparkline: an inline SVG (hundreds of rows: no chart object per row). */
export function sparkSvg(values: (number | null)[]): SVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 80 20");
  svg.setAttribute("width", "80");
  svg.setAttribute("height", "20");
  svg.setAttribute("class", "sparkline");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", sparkPath(values, 80, 20));
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  svg.append(path);
  return svg;
}
