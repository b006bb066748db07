// An overview card's sparkline (CPU and RAM, 0..100 %) drawn as plain canvas 2D polylines: no chart object, no
// extra DOM per card (a uPlot per card cost a few ms to create and several elements to lay out and paint).
// `sparkLines` is pure (unit-tested in test/overview.test.ts); `Sparkline` owns the canvas and draws into it.
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

/** The canvas of one card's sparkline: sized to its box (device pixels), redrawn whole on each draw. */
export class Sparkline {
  readonly canvas = document.createElement("canvas");
  private width = 0;
  private ratio = 0;

  constructor() {
    this.canvas.style.display = "block";
    this.canvas.style.height = `${SPARK_HEIGHT}px`;
  }

  get drawn(): boolean {
    return this.width > 0;
  }

  /** Draws `cpu` and `ram` over `time` at `width` CSS px (writes only: the width comes from the grid). */
  draw(time: readonly number[], cpu: readonly (number | null)[], ram: readonly (number | null)[], width: number): void {
    const ratio = window.devicePixelRatio || 1;
    if (width !== this.width || ratio !== this.ratio) {
      this.width = width;
      this.ratio = ratio;
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(SPARK_HEIGHT * ratio);
      this.canvas.style.width = `${width}px`;
    }
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, SPARK_HEIGHT);
    ctx.lineWidth = STROKE;
    ctx.lineJoin = "round";
    const cpuLines = sparkLines(time, cpu, width, SPARK_HEIGHT);
    ctx.fillStyle = CPU_FILL;
    for (const l of cpuLines) {
      ctx.beginPath();
      ctx.moveTo(l[0], SPARK_HEIGHT);
      for (let i = 0; i < l.length; i += 2) ctx.lineTo(l[i], l[i + 1]);
      ctx.lineTo(l[l.length - 2], SPARK_HEIGHT);
      ctx.closePath();
      ctx.fill();
    }
    stroke(ctx, cpuLines, PALETTE[0]);
    stroke(ctx, sparkLines(time, ram, width, SPARK_HEIGHT), PALETTE[1]);
  }

  /** Frees the pixels while the card is off screen (a card's next draw sizes the canvas again). */
  release(): void {
    this.width = 0;
    this.canvas.width = 0;
    this.canvas.height = 0;
  }
}

function stroke(ctx: CanvasRenderingContext2D, lines: Polyline[], color: string): void {
  ctx.strokeStyle = color;
  ctx.beginPath();
  for (const l of lines) {
    ctx.moveTo(l[0], l[1]);
    if (l.length === 2) ctx.lineTo(l[0] + 0.5, l[1]); // a lone point still shows
    for (let i = 2; i < l.length; i += 2) ctx.lineTo(l[i], l[i + 1]);
  }
  ctx.stroke();
}
