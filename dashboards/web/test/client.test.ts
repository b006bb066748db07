import { test } from "node:test";
import assert from "node:assert/strict";
import { chartSets, hasData, resolutionLabel, stepLabel } from "../src/pages/client/chartsets";
import { metaText } from "../src/pages/client/head";
import { statsNote } from "../src/pages/client/stats";
import { updateNote } from "../src/update";
import { clientPath, fromQuery, TABS, tabAfterKey } from "../src/pages/client/route";
import type { ClientView, MetricsResponse } from "../src/types";

test("the URL's query picks the tab and range; unknown values fall back to Live and 1h", () => {
  assert.deepEqual(fromQuery(new URLSearchParams("tab=history&range=24h")), { tab: "history", range: "24h" });
  assert.deepEqual(fromQuery(new URLSearchParams("")), { tab: "live", range: "1h" });
  assert.deepEqual(fromQuery(new URLSearchParams("tab=graphs&range=5y")), { tab: "live", range: "1h" });
  assert.deepEqual(fromQuery(new URLSearchParams("tab=stats&range=90d")), { tab: "stats", range: "90d" });
});

test("the page's path leaves defaults out and keeps a range only beside History or Stats", () => {
  assert.equal(clientPath("a b", "live", "1h"), "/client/a%20b");
  assert.equal(clientPath("c1", "live", "24h"), "/client/c1");
  assert.equal(clientPath("c1", "stats", "1h"), "/client/c1?tab=stats");
  assert.equal(clientPath("c1", "history", "7d"), "/client/c1?tab=history&range=7d");
});

test("arrow keys move between tabs and wrap around, Home and End jump, other keys do nothing", () => {
  assert.deepEqual(TABS.map(([t]) => t), ["live", "history", "stats"]);
  assert.equal(tabAfterKey("ArrowRight", 0), 1);
  assert.equal(tabAfterKey("ArrowRight", 2), 0);
  assert.equal(tabAfterKey("ArrowLeft", 0), 2);
  assert.equal(tabAfterKey("Home", 2), 0);
  assert.equal(tabAfterKey("End", 0), 2);
  assert.equal(tabAfterKey("Enter", 1), -1);
});

test("the header's meta line says when the client was seen, its agent and lost samples when known", () => {
  const c: ClientView = { id: "c1", hostname: "h", created_at: 0, agent_version: null, last_seen: 100, online: true, latest: null, dropped_total: 0 };
  assert.equal(metaText(c, 112), "last seen 12 s ago");
  assert.equal(metaText({ ...c, agent_version: "1.4.0", dropped_total: 1200 }, 112),
    "last seen 12 s ago · agent 1.4.0 · 1,200 samples lost on the host");
  assert.equal(metaText({ ...c, last_seen: null }, 112), "last seen never");
});

test("agent updates: the header shows the last attempt and a pending target; the card only failures", () => {
  const c: ClientView = { id: "c1", hostname: "h", created_at: 0, agent_version: "1.0.0", last_seen: 100, online: true, latest: null, dropped_total: 0 };
  const attempt = (version: string, result: string) => ({ version, result, detail: null, at: 1 });
  assert.equal(updateNote({ ...c, update: { channel: "stable", target: null, last_attempt: null } }), "");
  assert.equal(updateNote({ ...c, update: { channel: "stable", target: "1.1.0", last_attempt: null } }), "updating to 1.1.0");
  const rolled = { ...c, update: { channel: "stable", target: "1.1.0", last_attempt: attempt("1.1.0", "rolled_back") } };
  assert.equal(updateNote(rolled), "update 1.1.0 rolled back");
  assert.equal(metaText(rolled, 112), "last seen 12 s ago · agent 1.0.0 · update 1.1.0 rolled back");
  const done = { ...c, agent_version: "1.1.0", update: { channel: "stable", target: "1.1.0", last_attempt: attempt("1.1.0", "installed") } };
  assert.equal(updateNote(done), "");
  assert.equal(updateNote(done, true), "update 1.1.0 installed");
});

const reply = (extra: Partial<MetricsResponse>): MetricsResponse =>
  ({ client_id: "c1", family: "system", from: 0, to: 10, step: null, ...extra });

test("history charts: the fixed three, then one per keyed field that has data", () => {
  const sys = reply({ time: [1, 2], values: { cpu_percent: [5, 6], docker_bytes: [null, null] }, max: null });
  const disk = reply({ family: "disk", series: { "/": { time: [1], values: { used_percent: [40], inodes_percent: [null] }, max: null } } });
  const gpu = reply({ family: "gpu", series: {} });
  const sets = chartSets(sys, disk, gpu);
  assert.deepEqual(sets.map((s) => s.key), ["cpu-ram-gpu", "mounts-space"]);
  assert.deepEqual(sets[0].data, [[1, 2], [5, 6], [null, null], [null, null]]);
  assert.deepEqual(sets[1].spec.labels, ["/"]);
});

test("history charts: GPUs are labelled by index, units follow the field", () => {
  const sys = reply({ time: [], values: {}, max: null });
  const gpu = reply({ family: "gpu", series: { "1": { time: [1], values: { util_percent: [9], temp_c: [60], power_w: [null], mem_percent: [null] }, max: null } } });
  const sets = chartSets(sys, reply({ family: "disk" }), gpu);
  assert.deepEqual(sets.map((s) => [s.key, s.spec.unit]), [["cpu-ram-gpu", "percent"], ["gpu-util", "percent"], ["gpu-temp", "celsius"]]);
  assert.deepEqual(sets[1].spec.labels, ["GPU 1"]);
});

test("history charts: no data in the range gives no charts", () => {
  const sys = reply({ time: [1], values: { cpu_percent: [null] }, max: null });
  assert.deepEqual(chartSets(sys, reply({ family: "disk" }), reply({ family: "gpu" })), []);
  assert.ok(!hasData([[1], [null]]));
  assert.ok(hasData([[1], [0]]));
});

test("history charts: load beside CPU, network and disk I/O, Docker by kind, sensors and busy disks", () => {
  const sys = reply({ time: [1, 2], values: { cpu_percent: [5, 6], load1: [0.5, 1], load5: [0.4, 0.5], load15: [null, 0.3],
    net_rx_bytes_per_s: [100, 200], net_tx_bytes_per_s: [10, 20], disk_read_bytes_per_s: [null, 4096],
    docker_images_bytes: [10, 10], cpu_temp_c: [null, null] }, max: null });
  const temp = reply({ family: "temp", series: { "coretemp/Core 0": { time: [1], values: { temp_c: [50] }, max: null } } });
  const diskio = reply({ family: "diskio", series: { nvme0n1: { time: [1], values: { busy_percent: [12.5] }, max: null } } });
  const sets = chartSets(sys, reply({ family: "disk" }), reply({ family: "gpu" }), temp, diskio);
  assert.deepEqual(sets.map((s) => [s.key, s.spec.unit]), [["cpu-ram-gpu", "percent"], ["load", "load"], ["net", "bytes_per_second"],
    ["diskio", "bytes_per_second"], ["docker-kinds", "bytes"], ["temps", "celsius"], ["disks-busy", "percent"]]);
  assert.deepEqual(sets[2].data, [[1, 2], [100, 200], [10, 20]]);
  assert.deepEqual(sets[5].spec.labels, ["coretemp/Core 0"]);
  assert.deepEqual(sets[1].spec.labels, ["1 min", "5 min", "15 min"]);
});

test("a chart says which resolution it shows: raw samples, or steps of a history tier", () => {
  assert.equal(resolutionLabel({ step: null, resolution: "raw" }), "raw samples");
  assert.equal(resolutionLabel({ step: 10, resolution: "raw" }), "10 s means of raw samples");
  assert.equal(resolutionLabel({ step: 1800, resolution: "minute" }), "30 min means of 1-minute buckets");
  assert.equal(resolutionLabel({ step: 7200, resolution: "hour" }), "2 h means of 1-hour buckets");
  assert.equal(resolutionLabel({ step: 86400, resolution: "hour" }), "1 d means of 1-hour buckets");
  assert.equal(resolutionLabel({ step: 172800, resolution: "day" }), "2 d means of 1-day buckets");
  assert.equal(stepLabel(90), "90 s");
});

test("the stats note says which tiers answered and the p95 bound per kind of metric", () => {
  assert.equal(statsNote({ p95_max_error: { cpu_percent: 0.5, docker_bytes: 0.01 }, sources: { hour: 90 * 3600, minute: 3600, raw: 60 } }),
    "Min, avg, max and samples are exact (90 h from 1-hour buckets, 1 h from 1-minute buckets, 1 min from raw samples); "
    + "p95 is merged from the buckets' sketches, within 0.5 points for percentages and 1 % for the others.");
  assert.equal(statsNote({ p95_max_error: { cpu_percent: 0.5 } }),
    "Min, avg, max and samples are exact; p95 is merged from the buckets' sketches, within 0.5 points for percentages.");
});
