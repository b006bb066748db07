// The History and Stats tabs: a row of range buttons over a body that loads per range.
import type uPlot from "uplot";
import { api, describe } from "../../api";
import { empty, errorBox, fill, h, loading } from "../../dom";
import { RANGES, type RangeName } from "../../metrics";
import { loadHistory, mountHistoryCharts } from "./history";
import { statsTable } from "./stats";

/** What a ranged tab shares with its page. */
export interface RangedPage {
  readonly id: string;
  /** The chosen range: History and Stats share it, and it is kept in the URL (`syncUrl`). */
  range: RangeName;
  /** Counts loads across the page's tabs: a reply is drawn only if no later load started. */
  loadSeq: number;
  syncUrl(): void;
}

/** Mounts a History or Stats tab into `el`; returns its cleanup (destroys the charts). */
export function mountRanged(el: HTMLElement, t: "history" | "stats", page: RangedPage): () => void {
  const buttons = h("div", { class: "ranges", role: "group", "aria-label": "Range" });
  const body = h("div", { class: t === "history" ? "history" : "stats" });
  el.append(buttons, body);
  let charts: uPlot[] = [];
  const clear = () => { charts.forEach((c) => c.destroy()); charts = []; };
  const show = (r: RangeName) => {
    page.range = r;
    page.syncUrl();
    for (const b of buttons.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.range === r));
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
      loadHistory(page.id, r).then((sets) => {
        if (seq !== page.loadSeq) return;
        if (!sets.length) return done(empty(`No data in the last ${r}.`));
        const wrap = h("div", { class: "charts" });
        done(wrap);
        charts.push(...mountHistoryCharts(wrap, sets, page.id));
      }).catch(fail);
    }
  };
  for (const r of RANGES) {
    const b = h("button", { type: "button", "data-range": r }, r);
    b.addEventListener("click", () => show(r));
    buttons.append(b);
  }
  show(page.range);
  // Leaving the tab ends its load too: a reply that arrives later must not draw charts into a removed panel.
  return () => { page.loadSeq++; clear(); };
}
