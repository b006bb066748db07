// The overview's choice (cards or table, group by, filters, sort, collapsed groups) and its URL form, so a view
// can be bookmarked and shared. Pure: unit-tested in test/fleet.test.ts.
import { KEY_RE, parsePair } from "../../labels";
import type { SortKey, StatusFilter } from "../../shape";

export { parsePair, parseSelector, selectorText } from "../../labels";

export type ViewMode = "cards" | "table";

export interface ViewState {
  view: ViewMode;
  /** A label key to group by ("" for one flat list). */
  group: string;
  /** Label selector: every pair must match. */
  labels: Record<string, string>;
  /** Text matched against the hostname and the labels (key=value). */
  query: string;
  status: StatusFilter;
  sort: SortKey;
  /** Group values folded away ("" stands for hosts without the key). */
  collapsed: string[];
}

export const DEFAULT_VIEW: Readonly<ViewState> = {
  view: "cards", group: "", labels: {}, query: "", status: "all", sort: "name", collapsed: [],
};

const SORTS: readonly SortKey[] = ["name", "status", "cpu", "disk", "gpu", "last_seen", "alerting"];
const STATUSES: readonly StatusFilter[] = ["all", "online", "offline", "alerting"];
/** The state a URL's query string names; anything unknown or malformed falls back to the default. */
export function parseView(search: string): ViewState {
  const p = new URLSearchParams(search);
  const labels: Record<string, string> = {};
  for (const raw of p.getAll("label")) {
    const pair = parsePair(raw);
    if (pair) labels[pair[0]] = pair[1];
  }
  const view = p.get("view");
  const sort = p.get("sort") as SortKey | null;
  const status = p.get("status") as StatusFilter | null;
  const group = p.get("group") ?? "";
  return {
    view: view === "table" ? "table" : "cards",
    group: KEY_RE.test(group) ? group : "",
    labels,
    query: p.get("q") ?? "",
    status: status && STATUSES.includes(status) ? status : "all",
    sort: sort && SORTS.includes(sort) ? sort : "name",
    collapsed: p.getAll("collapsed"),
  };
}

/** The query string (with its "?", or "" for the default view) that `parseView` reads back as `s`. */
export function viewSearch(s: ViewState): string {
  const p = new URLSearchParams();
  if (s.view !== "cards") p.set("view", s.view);
  if (s.group) p.set("group", s.group);
  for (const [k, v] of Object.entries(s.labels)) p.append("label", `${k}=${v}`);
  if (s.query) p.set("q", s.query);
  if (s.status !== "all") p.set("status", s.status);
  if (s.sort !== "name") p.set("sort", s.sort);
  if (s.group) for (const c of s.collapsed) p.append("collapsed", c);
  const text = p.toString();
  return text ? `?${text}` : "";
}
