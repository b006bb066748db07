// uPlot option builders (pure, unit-tested) and a helper that keeps a chart as wide as its container.
import uPlot from "uplot";
import { formatUnit, formatTime, type Unit } from "./format";
import type { Aligned } from "./shape";

export const PALETTE = ["#4ea1ff", "#f5a524", "#3ecf8e", "#e5484d", "#a78bfa", "#2dd4bf", "#f472b6", "#eab308"];
const AXIS = { stroke: "#9aa4b2", grid: { stroke: "#262c36", width: 1 }, ticks: { stroke: "#262c36", width: 1 } };

export interface LineSpec {
  title: string;
  unit: Unit;
  labels: string[];
  width: number;
  height: number;
  syncKey?: string;
  /** A fixed y range (percentages: 0..100); otherwise uPlot fits the data, from zero. */
  range?: [number, number];
}

/** Options for a history or live line chart: one scale per unit, nulls drawn as gaps, cursor synced. */
export function lineOptions(spec: LineSpec): uPlot.Options {
  const fmt = (v: number | null) => formatUnit(spec.unit, v);
  const range = spec.range;
  return {
    title: spec.title,
    width: spec.width,
    height: spec.height,
    cursor: spec.syncKey ? { sync: { key: spec.syncKey, setSeries: true }, drag: { x: false, y: false } } : { drag: { x: false, y: false } },
    legend: { show: true, live: true },
    scales: {
      x: { time: true },
      y: range ? { range: () => range } : { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
    },
    axes: [
      { ...AXIS },
      { ...AXIS, size: spec.unit === "bytes" ? 84 : 64, values: (_u, splits) => splits.map((v) => axisLabel(spec.unit, v)) },
    ],
    series: [
      { value: (_u, v) => (v == null ? "—" : formatTime(v)) },
      ...spec.labels.map((label, i) => ({
        label,
        stroke: PALETTE[i % PALETTE.length],
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        value: (_u: uPlot, v: number | null) => fmt(v),
      })),
    ],
  };
}

/** Axis ticks: whole numbers where the unit allows, so labels stay short. */
export function axisLabel(unit: Unit, v: number): string {
  if (unit === "percent") return `${Math.round(v)} %`;
  if (unit === "celsius" || unit === "watts") return formatUnit(unit, Math.round(v));
  return formatUnit(unit, v);
}

/** A chart that follows its container's width (charts are created once and then fed with setData). */
export function mountChart(container: HTMLElement, makeOpts: (width: number) => uPlot.Options, data: Aligned): uPlot {
  const width = Math.max(200, container.clientWidth || 600);
  const chart = new uPlot(makeOpts(width), data as uPlot.AlignedData, container);
  const ro = new ResizeObserver(() => {
    const w = Math.max(200, container.clientWidth);
    if (Math.abs(w - chart.width) > 2) chart.setSize({ width: w, height: chart.height });
  });
  ro.observe(container);
  const destroy = chart.destroy.bind(chart);
  chart.destroy = () => {
    ro.disconnect();
    destroy();
  };
  return chart;
}
