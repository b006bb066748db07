// The History and Stats tabs: a row of range buttons over a body that loads per range.
import type uPlot from "uplot";
import { api, describe } from "../../api";
import { empty, errorBox, fill, h, loading } from "../../dom";
import { RANGES, type RangeName } from "../../metrics";
import { formatTime } from "../../format";
import { loadHistory, mountHistoryCharts, type Overlays } from "./history";
import type { TimeWindow } from "./route";
import { statsTable } from "./stats";

/** What a ranged tab shares with its page. */
export interface RangedPage {
  readonly id: string;
  /** The chosen range: History and Stats share it, and it is kept in the URL (`syncUrl`). */
  range: RangeName;
  /** Counts loads across the page's tabs: a reply is drawn only if no later load started. */
  loadSeq: number;
  /** A fixed window (from an incident link) that History shows instead of the range until a range is chosen. */
  window: TimeWindow | null;
  /** Drawn over the History charts. */
  overlays(): Promise<Overlays>;
  now(): number;
  syncUrl(): void;
}

/** Mounts a History or Stats tab into `el`; returns its cleanup (destroys the charts). */
export function mountRanged(el: HTMLElement, t: "history" | "stats", page: RangedPage): () => void {
  const buttons = h("div", { class: "ranges", role: "group", "aria-label": "Range" });
  const body = h("div", { class: t === "history" ? "history" : "stats" });
  el.append(buttons, body);
  let charts: uPlot[] = [];
  const clear = () => { charts.forEach((c) => c.destroy()); charts = []; };
  const windowNote = h("span", { class: "window-note muted", id: "history-window" });
  const show = (r: RangeName, keepWindow = false) => {
    page.range = r;
    if (!keepWindow) page.window = null;
    const span = t === "history" && page.window ? page.window : r;
    page.syncUrl();
    for (const b of buttons.querySelectorAll("button")) b.setAttribute("aria-pressed", String(typeof span === "string" && b.dataset.range === r));
    windowNote.textContent = typeof span === "string" ? ""
      : `${formatTime(span.from)} – ${span.to == null ? "now" : formatTime(span.to)}`;
    clear();
    const seq = ++page.loadSeq;
    // Keep the old height while loading: no jump when the data arrives.
    body.style.minHeight = `${body.offsetHeight}px`;
    fill(body, loading(t === "history" ? "Loading charts…" : "Loading statistics…"));
    const done = (node: Node) => { if (seq === page.loadSeq) { fill(body, node); body.style.minHeight = ""; } };
    const fail = (e: unknown) => done(errorBox(`Could not load the ${t}: ${describe(e)}`, () => show(r)));
    if (t === "stats") {
      api.stats(page.id, r).then((s) => done(statsTable(s))).catch(fail);
    } else {
      Promise.all([loadHistory(page.id, span, () => page.now()), page.overlays()]).then(([sets, over]) => {
        if (seq !== page.loadSeq) return;
        if (!sets.length) return done(empty(typeof span === "string" ? `No data in the last ${r}.` : "No data in this window."));
        const wrap = h("div", { class: "charts" });
        done(wrap);
        charts.push(...mountHistoryCharts(wrap, sets, page.id, over));
      }).catch(fail);
    }
  };
  for (const r of RANGES) {
    const b = h("button", { type: "button", "data-range": r }, r);
    b.addEventListener("click", () => show(r));
    buttons.append(b);
  }
  buttons.append(windowNote);
  show(page.range, true);
  // Leaving the tab ends its load too: a reply that arrives later must not draw charts into a removed panel.
  return () => { page.loadSeq++; clear(); };
}
