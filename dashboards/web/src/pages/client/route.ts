// The client page's tabs and where its state lives in the URL (?tab=history&range=24h). Pure: unit-tested
// in test/client.test.ts.
import { RANGES, type RangeName } from "../../metrics";

export type Tab = "live" | "history" | "stats";
export const TABS: readonly (readonly [Tab, string])[] = [["live", "Live"], ["history", "History"], ["stats", "Stats"]];
const DEFAULT_TAB: Tab = "live";
const DEFAULT_RANGE: RangeName = "1h";

/** The tab and range a URL's query asks for; unknown values fall back to Live and 1h. */
export function fromQuery(params: URLSearchParams): { tab: Tab; range: RangeName } {
  const t = params.get("tab");
  const r = params.get("range") ?? "";
  return {
    tab: TABS.some(([name]) => name === t) ? (t as Tab) : DEFAULT_TAB,
    range: (RANGES as readonly string[]).includes(r) ? (r as RangeName) : DEFAULT_RANGE,
  };
}

/** The page's path for a tab and range: defaults left out, the range only beside a tab that has one. */
export function clientPath(id: string, tab: Tab, range: RangeName): string {
  const q = new URLSearchParams();
  if (tab !== DEFAULT_TAB) q.set("tab", tab);
  if (tab !== DEFAULT_TAB && range !== DEFAULT_RANGE) q.set("range", range);
  const s = q.toString();
  return `/client/${encodeURIComponent(id)}${s ? `?${s}` : ""}`;
}

/** The tab a key moves to from tab `i` (arrows wrap around, Home and End): its index, or -1 for other keys. */
export function tabAfterKey(key: string, i: number, n = TABS.length): number {
  return key === "ArrowRight" ? (i + 1) % n : key === "ArrowLeft" ? (i + n - 1) % n
    : key === "Home" ? 0 : key === "End" ? n - 1 : -1;
}

/** A fixed time window (epoch seconds), as an incident link opens History at it. */
export interface TimeWindow {
  from: number;
  to: number | null; // null: up to now
}

const EPOCH = /^\d{1,11}$/;

/**
 * The window and the shaded span an incident link asks for (`from`, `to`, `mark=<fired>-<resolved or empty>`,
 * as built by `incidentLink` in pages/alerts.ts). Anything malformed, or a window that ends before it starts,
 * is ignored: the page falls back to its range.
 */
export function spanFromQuery(params: URLSearchParams): { window: TimeWindow | null; mark: TimeWindow | null } {
  const num = (s: string | null | undefined) => (s != null && EPOCH.test(s) ? Number(s) : null);
  const from = num(params.get("from"));
  const to = num(params.get("to"));
  const window = from != null && (to == null || to > from) && (params.get("to") == null || to != null)
    ? { from, to } : null;
  const m = /^(\d{1,11})-(\d{1,11})?$/.exec(params.get("mark") ?? "");
  const mFrom = num(m?.[1]);
  const mTo = num(m?.[2]);
  const mark = mFrom != null && (mTo == null || mTo >= mFrom) ? { from: mFrom, to: mTo } : null;
  return { window, mark };
}

/** `clientPath` with an incident's window and mark kept in the query (History only). */
export function windowPath(id: string, window: TimeWindow, mark: TimeWindow | null): string {
  const q = new URLSearchParams({ tab: "history", from: String(window.from) });
  if (window.to != null) q.set("to", String(window.to));
  if (mark) q.set("mark", `${mark.from}-${mark.to ?? ""}`);
  return `/client/${encodeURIComponent(id)}?${q}`;
}
