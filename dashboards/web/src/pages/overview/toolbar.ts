// The overview's toolbar: cards or table, group by a label key, filter by text, labels and status, sort order.
// Its controls start from the view the URL names and hand each change to `onChange`.
import { h } from "../../dom";
import type { SortKey, StatusFilter } from "../../shape";
import { COLUMNS } from "./row";
import { parseSelector, selectorText, type ViewMode, type ViewState } from "./view";

export class Toolbar {
  readonly el: HTMLElement;
  /** The table view's column headers (sortable): shown above the table only. */
  readonly tableHead: HTMLElement;
  private readonly search = h("input", { type: "search", id: "filter", placeholder: "Filter by name or label", autocomplete: "off", "aria-label": "Filter by name" });
  private readonly labels = h("input", { type: "search", id: "label-filter", placeholder: "env=prod role=gpu", autocomplete: "off", "aria-label": "Filter by labels", spellcheck: "false" });
  private readonly statusSel = h("select", { id: "status-filter", "aria-label": "Status" },
    h("option", { value: "all" }, "All"), h("option", { value: "online" }, "Online"), h("option", { value: "offline" }, "Offline"),
    h("option", { value: "alerting" }, "Alerting"));
  private readonly sortSel = h("select", { id: "sort", "aria-label": "Sort by" },
    h("option", { value: "name" }, "Name"), h("option", { value: "status" }, "Status (offline first)"),
    h("option", { value: "cpu" }, "CPU (busiest first)"), h("option", { value: "disk" }, "Disk (fullest first)"),
    h("option", { value: "gpu" }, "GPU (busiest first)"), h("option", { value: "last_seen" }, "Last seen"),
    h("option", { value: "alerting" }, "Alerting (most alerts first)"));
  private readonly groupSel = h("select", { id: "group-by", "aria-label": "Group by" }, h("option", { value: "" }, "No grouping"));
  private readonly cardsBtn = h("button", { type: "button", "data-view": "cards" }, "Cards");
  private readonly tableBtn = h("button", { type: "button", "data-view": "table" }, "Table");
  private readonly labelError = h("span", { class: "field-error small", role: "alert" });

  constructor(private state: ViewState, onChange: (patch: Partial<ViewState>) => void) {
    this.search.value = state.query;
    this.labels.value = selectorText(state.labels);
    this.statusSel.value = state.status;
    this.sortSel.value = state.sort;
    this.setKeys([]);
    this.search.addEventListener("input", () => onChange({ query: this.search.value }));
    this.labels.addEventListener("input", () => {
      const { labels, bad } = parseSelector(this.labels.value);
      this.labelError.textContent = bad.length ? `not key=value: ${bad.join(" ")}` : "";
      if (!bad.length) onChange({ labels });
    });
    this.statusSel.addEventListener("change", () => onChange({ status: this.statusSel.value as StatusFilter }));
    this.sortSel.addEventListener("change", () => onChange({ sort: this.sortSel.value as SortKey }));
    this.groupSel.addEventListener("change", () => onChange({ group: this.groupSel.value, collapsed: [] }));
    for (const b of [this.cardsBtn, this.tableBtn]) b.addEventListener("click", () => onChange({ view: b.dataset.view as ViewMode }));
    this.tableHead = h("div", { class: "table-head", role: "row" }, ...COLUMNS.map(([, label, sort]) => sort
      ? h("button", { type: "button", "data-sort": sort, onclick: () => onChange({ sort: sort as SortKey }) }, label)
      : h("span", {}, label)));
    this.el = h("div", { class: "toolbar", role: "search" },
      h("div", { class: "view-toggle", role: "group", "aria-label": "View" }, this.cardsBtn, this.tableBtn),
      h("label", { class: "field" }, h("span", {}, "Group by"), this.groupSel),
      h("label", { class: "field" }, h("span", {}, "Filter"), this.search),
      h("label", { class: "field" }, h("span", {}, "Labels"), this.labels, this.labelError),
      h("label", { class: "field" }, h("span", {}, "Status"), this.statusSel),
      h("label", { class: "field" }, h("span", {}, "Sort"), this.sortSel));
    this.sync(state);
  }

  /** The label keys the fleet carries: the "Group by" menu (the URL's key stays offered even before it loads). */
  setKeys(keys: string[]): void {
    const all = [...new Set([...keys, ...(this.state.group ? [this.state.group] : [])])].sort();
    this.groupSel.replaceChildren(h("option", { value: "" }, "No grouping"), ...all.map((k) => h("option", { value: k }, k)));
    this.groupSel.value = this.state.group;
  }

  /** Reflect a view changed elsewhere (a column header, a folded group). */
  sync(state: ViewState): void {
    this.state = state;
    if (this.sortSel.value !== state.sort) this.sortSel.value = state.sort;
    if (this.groupSel.value !== state.group) this.groupSel.value = state.group;
    this.cardsBtn.setAttribute("aria-pressed", String(state.view === "cards"));
    this.tableBtn.setAttribute("aria-pressed", String(state.view === "table"));
    this.tableHead.hidden = state.view !== "table";
    for (const b of this.tableHead.querySelectorAll<HTMLButtonElement>("button[data-sort]")) {
      if (b.dataset.sort === state.sort) b.setAttribute("aria-sort", state.sort === "name" ? "ascending" : "descending");
      else b.removeAttribute("aria-sort");
    }
  }
}
