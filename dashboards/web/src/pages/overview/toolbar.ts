// The overview's toolbar: filter by name, status and sort order.
import { h } from "../../dom";
import type { SortKey, StatusFilter } from "../../shape";
import type { Filter } from "./arrangement";

/** The toolbar's controls; each change hands the new part of the filter to `onChange`. */
export function toolbar(onChange: (patch: Partial<Filter>) => void): HTMLElement {
  const search = h("input", { type: "search", id: "filter", placeholder: "Filter by name", autocomplete: "off", "aria-label": "Filter by name" });
  const statusSel = h("select", { id: "status-filter", "aria-label": "Status" },
    h("option", { value: "all" }, "All"), h("option", { value: "online" }, "Online"), h("option", { value: "offline" }, "Offline"),
    h("option", { value: "alerting" }, "Alerting"));
  const sortSel = h("select", { id: "sort", "aria-label": "Sort by" },
    h("option", { value: "name" }, "Name"), h("option", { value: "status" }, "Status (offline first)"),
    h("option", { value: "cpu" }, "CPU (busiest first)"), h("option", { value: "last_seen" }, "Last seen"),
    h("option", { value: "alerting" }, "Alerting (most alerts first)"));
  search.addEventListener("input", () => onChange({ query: search.value }));
  statusSel.addEventListener("change", () => onChange({ status: statusSel.value as StatusFilter }));
  sortSel.addEventListener("change", () => onChange({ sort: sortSel.value as SortKey }));
  return h("div", { class: "toolbar", role: "search" },
    h("label", { class: "field" }, h("span", {}, "Filter"), search),
    h("label", { class: "field" }, h("span", {}, "Status"), statusSel),
    h("label", { class: "field" }, h("span", {}, "Sort"), sortSel));
}
