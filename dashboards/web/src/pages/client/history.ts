// The History tab: fetches a range's metrics and draws a chart per set, cursors synced across them.
import type uPlot from "uplot";
import { api } from "../../api";
import { lineOptions, mountChart } from "../../charts";
import { h } from "../../dom";
import type { RangeName } from "../../metrics";
import { withOverlays } from "../../overlays";
import { chartSets, type ChartSet } from "./chartsets";
import type { TimeWindow } from "./route";
import { linesFor, type Threshold } from "./thresholds";

// About one point per pixel of a chart: the API buckets longer ranges (mean per bucket, gaps stay gaps).
const HISTORY_POINTS = 600;
const CHART_HEIGHT = 200;

/** A range back from now ("24h") or a fixed window (an incident link's). */
export type Span = RangeName | TimeWindow;

export async function loadHistory(id: string, span: Span, now: () => number): Promise<ChartSet[]> {
  const range: Record<string, string | number> = typeof span === "string" ? { range: span }
    : { from: span.from, to: span.to ?? Math.ceil(now()) + 1 };
  const [sys, disk, gpu, temp, diskio] = await Promise.all([
    api.metrics(id, { ...range, family: "system", max_points: HISTORY_POINTS }),
    api.metrics(id, { ...range, family: "disk", metrics: "used_percent,inodes_percent", max_points: HISTORY_POINTS }),
    api.metrics(id, { ...range, family: "gpu", metrics: "util_percent,mem_percent,temp_c,power_w", max_points: HISTORY_POINTS }),
    api.metrics(id, { ...range, family: "temp", metrics: "temp_c", max_points: HISTORY_POINTS }),
    api.metrics(id, { ...range, family: "diskio", metrics: "busy_percent", max_points: HISTORY_POINTS }),
  ]);
  return chartSets(sys, disk, gpu, temp, diskio);
}

/** What is drawn over the charts: an incident's span shaded, the client's alert thresholds as lines. */
export interface Overlays {
  mark: TimeWindow | null;
  thresholds: Threshold[];
}

/** A chart per set in `wrap`, which must be in the document already (a chart takes its container's width). */
export function mountHistoryCharts(wrap: HTMLElement, sets: ChartSet[], id: string, over: Overlays): uPlot[] {
  return sets.map((set) => {
    const lines = linesFor(set, over.thresholds);
    const box = h("div", { class: "chart", "data-chart": set.key, "data-thresholds": lines.map((l) => l.label).join("; "),
      "data-resolution": set.resolution });
    if (over.mark) box.dataset.mark = `${over.mark.from}-${over.mark.to ?? ""}`;
    wrap.append(box, h("div", { class: "chart-resolution muted" }, set.resolution));
    return mountChart(box, (w) => withOverlays(
      lineOptions({ ...set.spec, width: w, height: CHART_HEIGHT, syncKey: `history-${id}` }),
      { mark: over.mark, thresholds: lines }), set.data);
  });
}
