// Drawings over a uPlot chart, as option builders (pure, unit-tested in test/overlays.test.ts): an incident's
// span shaded behind the lines, and alert thresholds as dashed horizontal lines over them.
import type uPlot from "uplot";

export const MARK_FILL = "rgba(229,72,77,0.16)";
export const THRESHOLD_STROKE = "#f5a524";

/** A threshold to draw: its value on the chart's y scale and a short label ("> 90", "/data > 85"). */
export interface ThresholdLine {
  value: number;
  label: string;
}

/** The part of a chart uPlot's hooks use (so a test can hand in a fake one). */
type Drawable = Pick<uPlot, "ctx" | "bbox" | "valToPos">;

/** Shade `from`..`to` (epoch seconds; `to` null: to the chart's right edge) across the plot, clipped to it. */
export function markHook(from: number, to: number | null, fill = MARK_FILL): (u: Drawable) => void {
  return (u) => {
    const { ctx, bbox } = u;
    const right = bbox.left + bbox.width;
    const x0 = Math.max(bbox.left, u.valToPos(from, "x", true));
    const x1 = Math.min(right, to == null ? right : u.valToPos(to, "x", true));
    if (!(x1 > x0)) return; // outside the window shown
    ctx.save();
    ctx.fillStyle = fill;
    ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
    ctx.restore();
  };
}

/** A dashed horizontal line per threshold inside the plot (those off the y scale are left out), labelled. */
export function thresholdHook(lines: ThresholdLine[], stroke = THRESHOLD_STROKE): (u: Drawable) => void {
  return (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    ctx.strokeStyle = stroke;
    ctx.fillStyle = stroke;
    ctx.lineWidth = Math.max(1, devicePixelRatioOf(ctx));
    ctx.setLineDash([6, 4]);
    ctx.font = `${11 * devicePixelRatioOf(ctx)}px system-ui, sans-serif`;
    ctx.textAlign = "right";
    ctx.textBaseline = "bottom";
    const gap = 12 * devicePixelRatioOf(ctx);
    let lastRightY = -Infinity;
    for (const t of lines) {
      const y = Math.round(u.valToPos(t.value, "y", true));
      if (y < bbox.top || y > bbox.top + bbox.height) continue;
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      // Two lines close together (90 % and 95 %): the second label goes to the left end, not over the first.
      const right = Math.abs(y - lastRightY) >= gap;
      ctx.textAlign = right ? "right" : "left";
      ctx.fillText(t.label, right ? bbox.left + bbox.width - 4 : bbox.left + 4, y - 2);
      if (right) lastRightY = y;
    }
    ctx.restore();
  };
}

// The canvas is drawn at device pixels; uPlot sizes it so, and the ratio is the canvas's width over its CSS width.
function devicePixelRatioOf(ctx: CanvasRenderingContext2D): number {
  const c = ctx.canvas as HTMLCanvasElement | undefined;
  return c && c.clientWidth ? c.width / c.clientWidth : 1;
}

/**
 * `opts` with the overlays added to its hooks (kept: hooks it already had): the span shaded before the series
 * are drawn (`drawClear`), threshold lines after them (`draw`), and the y scale widened so every threshold is
 * in view when the data stays below it (a fixed range is left alone).
 */
export function withOverlays(opts: uPlot.Options, o: { mark?: { from: number; to: number | null } | null; thresholds?: ThresholdLine[] }): uPlot.Options {
  const hooks: uPlot.Hooks.Arrays = { ...(opts.hooks ?? {}) };
  if (o.mark) hooks.drawClear = [...(hooks.drawClear ?? []), markHook(o.mark.from, o.mark.to)];
  const lines = o.thresholds ?? [];
  let scales = opts.scales;
  if (lines.length) {
    hooks.draw = [...(hooks.draw ?? []), thresholdHook(lines)];
    const y = scales?.y;
    const fit = y?.range;
    if (typeof fit === "function") {
      // Fit as if the data reached the highest threshold: it stays in view (a fixed range ignores max).
      const top = Math.max(...lines.map((l) => l.value));
      scales = { ...scales, y: { ...y, range: (u: uPlot, min: number, max: number) => fit(u, min, Math.max(max, top), "y") } };
    }
  }
  return { ...opts, hooks, scales };
}
