import { test } from "node:test";
import assert from "node:assert/strict";
import type uPlot from "uplot";
import { markHook, thresholdHook, withOverlays } from "../src/overlays";
import { lineOptions } from "../src/charts";
import { linesFor, type Threshold } from "../src/pages/client/thresholds";
import type { ChartSet } from "../src/pages/client/chartsets";
import { spanFromQuery, windowPath } from "../src/pages/client/route";
import { incidentLink } from "../src/pages/alerts";

// A chart 100 px wide from x=10 (times 1000..2000) and 50 px tall from y=5 (values 0..100, up is smaller y):
// a recording canvas stands in for uPlot's, so the test sees what the hooks draw.
function fakeChart() {
  const calls: string[] = [];
  const ctx = new Proxy({} as Record<string, unknown>, {
    get: (target, k: string) => target[k] ?? ((...a: unknown[]) => calls.push(`${k}(${a.join(",")})`)),
    set: (target, k: string, v) => { target[k] = v; return true; },
  });
  const u = {
    ctx, bbox: { left: 10, top: 5, width: 100, height: 50 },
    valToPos: (v: number, scale: string) => (scale === "x" ? 10 + (v - 1000) / 10 : 55 - v / 2),
  } as unknown as uPlot;
  return { u, calls };
}

test("an incident's span is shaded between its times, clipped to the plot, to the edge when ongoing", () => {
  let c = fakeChart();
  markHook(1200, 1500)(c.u);
  assert.ok(c.calls.includes("fillRect(30,5,30,50)"), c.calls.join(" "));
  c = fakeChart();
  markHook(900, null)(c.u); // began before the window, still firing
  assert.ok(c.calls.includes("fillRect(10,5,100,50)"), c.calls.join(" "));
  c = fakeChart();
  markHook(2500, 2600)(c.u); // after the window: nothing drawn
  assert.ok(!c.calls.some((x) => x.startsWith("fillRect")));
});

test("a threshold is a dashed horizontal line across the plot at its value; one off the scale is left out", () => {
  const c = fakeChart();
  thresholdHook([{ value: 90, label: "CPU > 90" }, { value: 300, label: "off" }])(c.u);
  assert.ok(c.calls.includes("setLineDash(6,4)"));
  assert.ok(c.calls.includes("moveTo(10,10)") && c.calls.includes("lineTo(110,10)"), c.calls.join(" "));
  assert.equal(c.calls.filter((x) => x.startsWith("stroke(")).length, 1);
  assert.ok(c.calls.some((x) => x.startsWith("fillText(CPU > 90,")));
});

test("overlays join a chart's options: mark before the series, lines after, a fitted scale reaches the line", () => {
  const base = lineOptions({ title: "t", unit: "celsius", labels: ["GPU 0"], width: 300, height: 100 });
  const o = withOverlays(base, { mark: { from: 1, to: 2 }, thresholds: [{ value: 85, label: "GPU 0 > 85" }] });
  assert.equal(o.hooks?.drawClear?.length, 1);
  assert.equal(o.hooks?.draw?.length, 1);
  const range = o.scales!.y.range as (u: uPlot, min: number, max: number) => [number, number];
  assert.ok(range({} as uPlot, 0, 40)[1] >= 85, "the 85 °C line is in view when the data stays at 40");
  const pct = withOverlays(lineOptions({ title: "t", unit: "percent", labels: ["a"], width: 300, height: 100, range: [0, 100] }),
    { thresholds: [{ value: 90, label: "" }] });
  assert.deepEqual((pct.scales!.y.range as unknown as (u: uPlot, a: number, b: number) => number[])({} as uPlot, 0, 40), [0, 100]);
  assert.equal(withOverlays(base, {}).hooks?.draw, undefined, "nothing drawn without overlays");
});

const t = (x: Partial<Threshold>): Threshold => ({ metric_type: "cpu_percent", family: "system", field: "cpu_percent",
  mount: null, gpu: null, threshold: 90, direction: "above", ...x });
const system: ChartSet = { key: "cpu-ram-gpu", spec: { title: "", unit: "percent", labels: ["CPU", "RAM", "GPU"] },
  data: [[]], family: "system", fields: ["cpu_percent", "ram_percent", "gpu_percent"], resolution: "raw samples" };
const mounts: ChartSet = { key: "mounts-space", spec: { title: "", unit: "percent", labels: ["/", "/data"] },
  data: [[]], family: "disk", fields: ["used_percent"], keys: ["/", "/data"], resolution: "raw samples" };

test("thresholds find their chart by family, field and mount; series sharing a value share a line", () => {
  const rows = [t({}), t({ field: "ram_percent", metric_type: "ram_percent" }), t({ field: "ram_percent", threshold: 95 }),
    t({ family: "disk", field: "used_percent", mount: "/data", threshold: 85 }),
    t({ family: "disk", field: "used_percent", mount: "/gone", threshold: 70 }),
    t({ family: "disk", field: "inodes_percent", mount: "/data", threshold: 60 }),
    t({ family: "gpu", field: "util_percent", gpu: 0, threshold: 99 })];
  assert.deepEqual(linesFor(system, rows), [{ value: 90, label: "CPU, RAM > 90.0 %" }, { value: 95, label: "RAM > 95.0 %" }]);
  assert.deepEqual(linesFor(mounts, rows), [{ value: 85, label: "/data > 85.0 %" }]);
  assert.deepEqual(linesFor(mounts, [t({ family: "disk", field: "used_percent", mount: "/", threshold: 10, direction: "below" })]),
    [{ value: 10, label: "/ < 10.0 %" }]);
});

test("an incident link opens History at its window with its span marked; bad values are ignored", () => {
  const link = new URL(incidentLink("c1", 10_000, 10_300), "http://x");
  const q = spanFromQuery(link.searchParams);
  assert.deepEqual(q, { window: { from: 9_400, to: 10_900 }, mark: { from: 10_000, to: 10_300 } });
  assert.equal(windowPath("c1", q.window!, q.mark), link.pathname + link.search);
  const ongoing = spanFromQuery(new URL(incidentLink("c1", 10_000, null), "http://x").searchParams);
  assert.deepEqual(ongoing, { window: { from: 9_400, to: null }, mark: { from: 10_000, to: null } });
  assert.deepEqual(spanFromQuery(new URLSearchParams("from=5&to=4&mark=x")), { window: null, mark: null });
  assert.deepEqual(spanFromQuery(new URLSearchParams("from=abc&to=9&mark=9-3")), { window: null, mark: null });
  assert.deepEqual(spanFromQuery(new URLSearchParams("tab=history")), { window: null, mark: null });
});
