// The History tab: fetches a range's metrics and draws a chart per set, cursors synced across them.
import type uPlot from "uplot";
import { api } from "../../api";
import { lineOptions, mountChart } from "../../charts";
import { h } from "../../dom";
import type { RangeName } from "../../metrics";
import { chartSets, type ChartSet } from "./chartsets";

// About one point per pixel of a chart: the API buckets longer ranges (mean per bucket, gaps stay gaps).
const HISTORY_POINTS = 600;
const CHART_HEIGHT = 200;

export async function loadHistory(id: string, range: RangeName): Promise<ChartSet[]> {
  const [sys, disk, gpu] = await Promise.all([
    api.metrics(id, { range, family: "system", max_points: HISTORY_POINTS }),
    api.metrics(id, { range, family: "disk", metrics: "used_percent,inodes_percent", max_points: HISTORY_POINTS }),
    api.metrics(id, { range, family: "gpu", metrics: "util_percent,mem_percent,temp_c,power_w", max_points: HISTORY_POINTS }),
  ]);
  return chartSets(sys, disk, gpu);
}

/** A chart per set in `wrap`, which must be in the document already (a chart takes its container's width). */
export function mountHistoryCharts(wrap: HTMLElement, sets: ChartSet[], id: string): uPlot[] {
  return sets.map((set) => {
    const box = h("div", { class: "chart", "data-chart": set.key });
    wrap.append(box);
    return mountChart(box, (w) => lineOptions({ ...set.spec, width: w, height: CHART_HEIGHT, syncKey: `history-${id}` }), set.data);
  });
}
