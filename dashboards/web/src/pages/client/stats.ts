// The Stats tab's table: min, avg, max, p95 and sample count per metric over the range.
import { empty, h } from "../../dom";
import { formatCount, formatTime, formatUnit } from "../../format";
import { statsRows } from "../../shape";
import type { StatsResponse } from "../../types";

export function statsTable(resp: StatsResponse): HTMLElement {
  const rows = statsRows(resp);
  if (!rows.some((r) => r.count > 0)) return empty(`No data in the last ${resp.range ?? "range"}.`);
  const cell = (unit: Parameters<typeof formatUnit>[0], v: number | null) =>
    h("td", { "data-raw": v == null ? "" : String(v) }, formatUnit(unit, v));
  return h("div", {},
    h("table", { class: "table stats-table", id: "stats-table" },
      h("caption", {}, `Last ${resp.range ?? ""}: ${formatTime(resp.from)} to ${formatTime(resp.to)}`),
      h("thead", {}, h("tr", {}, ["Metric", "Min", "Avg", "Max", "p95", "Samples"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.map((r) => h("tr", { "data-metric": r.metric.name },
        h("th", { scope: "row" }, r.metric.label),
        cell(r.metric.unit, r.min), cell(r.metric.unit, r.avg), cell(r.metric.unit, r.max), cell(r.metric.unit, r.p95),
        h("td", { "data-raw": String(r.count) }, formatCount(r.count)))))),
    resp.exact ? null : h("p", { class: "muted small" }, `p95 is estimated from rollups (error at most ±${resp.p95_max_error ?? "?"}).`));
}
