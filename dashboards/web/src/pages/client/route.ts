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
