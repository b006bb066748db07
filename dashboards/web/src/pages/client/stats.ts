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
    resp.exact ? null : h("p", { class: "muted small", id: "stats-note" }, statsNote(resp)));
}

/** Under a range served by the history tiers: where the numbers come from and how far p95 may be off. */
export function statsNote(resp: Pick<StatsResponse, "p95_max_error" | "sources">): string {
  const s = resp.sources ?? {};
  const span = (n: number) => n >= 3600 ? `${Math.round(n / 3600)} h` : `${Math.max(1, Math.round(n / 60))} min`;
  const parts = [s.hour ? `${span(s.hour)} from 1-hour buckets` : "", s.minute ? `${span(s.minute)} from 1-minute buckets` : "",
    s.raw ? `${span(s.raw)} from raw samples` : ""].filter(Boolean);
  const errors = Object.values(resp.p95_max_error ?? {});
  const bound = [errors.some((e) => e >= 0.5) ? "0.5 points for percentages" : "",
    errors.some((e) => e < 0.5) ? `${Math.max(...errors.filter((e) => e < 0.5)) * 100} % for the others` : ""].filter(Boolean);
  return `Min, avg, max and samples are exact${parts.length ? ` (${parts.join(", ")})` : ""}; `
    + `p95 is merged from the buckets' sketches, within ${bound.join(" and ") || "its bound"}.`;
}
