// An overview card's sparkline (CPU and RAM, 0..100 %) as one small inline SVG of three paths: no chart object
// and no canvas per card. A uPlot per card cost a few ms to create and several elements to lay out; a canvas
// per card is a compositor layer whose pixels Chromium copies at every commit (a trace of 44 cards on screen:
// 0.8 ms each, 35 ms a frame); SVG paths paint with the card. `sparkLines` and `pathData` are pure
// (unit-tested in test/overview.test.ts); `Sparkline` owns the SVG and sets its paths.
import { PALETTE } from "../../charts";

/** CSS px, as .spark in style.css. */
export const SPARK_HEIGHT = 36;
const STROKE = 1.25;
const CPU_FILL = "rgba(78,161,255,0.12)";

/** One polyline as flat [x0, y0, x1, y1, ...] in CSS px; a gap (null) ends one and starts the next. */
export type Polyline = number[];

/**
 * The polylines of `values` over `time` in a `width` x `height` box: x spans the first to the last time, y the
 * range 0..100 (clamped, so a stray value stays in the box), top = 100. A lone point between gaps is kept (it
 * draws as a dot-sized segment).
 */
export function sparkLines(time: readonly number[], values: readonly (number | null)[], width: number,
  height: number): Polyline[] {
  const n = Math.min(time.length, values.length);
  if (n === 0 || width <= 0 || height <= 0) return [];
  const t0 = time[0];
  const span = time[n - 1] - t0;
  const pad = STROKE / 2; // keeps the stroke inside the canvas at 0 % and 100 %
  const lines: Polyline[] = [];
  let cur: Polyline | null = null;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v == null || !Number.isFinite(v)) {
      cur = null;
      continue;
    }
    const x = span > 0 ? ((time[i] - t0) / span) * width : width;
    const y = pad + (1 - Math.min(100, Math.max(0, v)) / 100) * (height - 2 * pad);
    if (!cur) {
      cur = [];
      lines.push(cur);
    }
    cur.push(x, y);
  }
  return lines;
}

/** SVG path data for `lines`: "M x y L x y ..." per polyline, or closed down to `floor` (an area to fill). */
export function pathData(lines: readonly Polyline[], floor?: number): string {
  const out: string[] = [];
  for (const l of lines) {
    const pts: string[] = [];
    for (let i = 0; i < l.length; i += 2) pts.push(`${l[i].toFixed(1)} ${l[i + 1].toFixed(1)}`);
    if (l.length === 2) pts.push(`${(l[0] + 0.5).toFixed(1)} ${l[1].toFixed(1)}`); // a lone point still shows
    if (floor === undefined) out.push(`M${pts.join("L")}`);
    else out.push(`M${l[0].toFixed(1)} ${floor}L${pts.join("L")}L${l[l.length - 2].toFixed(1)} ${floor}Z`);
  }
  return out.join("");
}

const SVG = "http://www.w3.org/2000/svg";

function path(attrs: Record<string, string>): SVGPathElement {
  const el = document.createElementNS(SVG, "path");
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

/** One card's sparkline: an SVG sized to its box (CSS px as user units), its paths set on each draw. */
export class Sparkline {
  readonly el = document.createElementNS(SVG, "svg");
  private readonly area = path({ fill: CPU_FILL, stroke: "none" });
  private readonly cpu = path({ fill: "none", stroke: PALETTE[0], "stroke-width": String(STROKE), "stroke-linejoin": "round" });
  private readonly ram = path({ fill: "none", stroke: PALETTE[1], "stroke-width": String(STROKE), "stroke-linejoin": "round" });
  private width = 0;

  constructor() {
    this.el.setAttribute("height", String(SPARK_HEIGHT));
    this.el.setAttribute("class", "spark-lines");
    this.el.append(this.area, this.cpu, this.ram);
  }

  get drawn(): boolean {
    return this.width > 0;
  }

  /** Draws `cpu` and `ram` over `time` at `width` CSS px (writes only: the width comes from the grid). */
  draw(time: readonly number[], cpu: readonly (number | null)[], ram: readonly (number | null)[], width: number): void {
    if (width !== this.width) {
      this.width = width;
      this.el.setAttribute("width", String(width));
      this.el.setAttribute("viewBox", `0 0 ${width} ${SPARK_HEIGHT}`);
    }
    const cpuLines = sparkLines(time, cpu, width, SPARK_HEIGHT);
    this.area.setAttribute("d", pathData(cpuLines, SPARK_HEIGHT));
    this.cpu.setAttribute("d", pathData(cpuLines));
    this.ram.setAttribute("d", pathData(sparkLines(time, ram, width, SPARK_HEIGHT)));
  }
}
