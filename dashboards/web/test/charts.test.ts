import { test } from "node:test";
import assert from "node:assert/strict";
import { lineOptions } from "../src/charts";
import type uPlot from "uplot";

test("line charts: one series per label, gaps kept, cursor synced, axis in the chart's unit", () => {
  const o = lineOptions({ title: "t", unit: "bytes", labels: ["a", "b"], width: 300, height: 100, syncKey: "k" });
  assert.equal(o.series.length, 3);
  assert.ok(o.series.slice(1).every((s) => s.spanGaps === false));
  assert.equal(o.cursor?.sync?.key, "k");
  const values = o.axes![1].values as (u: uPlot, splits: number[]) => string[];
  assert.deepEqual(values({} as uPlot, [0, 1024]), ["0 B", "1.00 KiB"]);
  const fmt = o.series[1].value as (u: uPlot, v: number | null) => string;
  assert.equal(fmt({} as uPlot, null), "—");
});

test("percent charts have a fixed 0..100 range when asked", () => {
  const o = lineOptions({ title: "t", unit: "percent", labels: ["a"], width: 300, height: 100, range: [0, 100] });
  const range = o.scales!.y.range as (u: uPlot, min: number, max: number) => [number, number];
  assert.deepEqual(range({} as uPlot, 3, 7), [0, 100]);
  const free = lineOptions({ title: "t", unit: "watts", labels: ["a"], width: 300, height: 100 });
  const fit = free.scales!.y.range as (u: uPlot, min: number, max: number) => [number, number];
  assert.deepEqual(fit({} as uPlot, 3, 100), [0, 110.00000000000001]);
});

