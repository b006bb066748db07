import { test } from "node:test";
import assert from "node:assert/strict";
import { arrangement, NO_FILTER, summaryText } from "../src/pages/overview/arrangement";
import { CARDS_PER_FRAME, FrameBudget, SEEDS_PER_FRAME } from "../src/pages/overview/budget";
import { CARD_INSET, sparkWidthFor } from "../src/pages/overview/layout";
import { pathData, sparkLines } from "../src/pages/overview/sparkline";
import { CELLS, cellLevel, cellText, cellValue, NET } from "../src/pages/overview/cells";
import { afterFrame, mergeListed, withStatus } from "../src/pages/updates";
import type { ClientView, SampleView } from "../src/types";

const sample = (ts: number, cpu: number): SampleView => ({ ts, cpu_percent: cpu } as unknown as SampleView);
const client = (id: string, hostname: string, online: boolean, cpu: number | null = null): ClientView => ({
  id, hostname, online, created_at: 0, agent_version: null, last_seen: online ? 100 : null,
  latest: cpu == null ? null : sample(100, cpu), dropped_total: 0,
});
const fleet = [client("a", "web-10", true, 5), client("b", "web-2", false), client("c", "gpu-1", true, 90)];

test("the visible set follows the filter, in display order, with a summary of all and shown", () => {
  const all = arrangement(fleet, NO_FILTER);
  assert.deepEqual(all.order, ["c", "b", "a"]); // natural order: web-2 before web-10
  assert.equal(all.summary, "3 clients · 2 online");
  assert.equal(all.state, "grid");
  const web = arrangement(fleet, { ...NO_FILTER, query: " WEB " });
  assert.deepEqual(web.order, ["b", "a"]);
  assert.equal(web.summary, "3 clients · 2 online · 2 shown");
  assert.deepEqual(arrangement(fleet, { ...NO_FILTER, sort: "cpu" }).order, ["c", "a", "b"]);
  assert.deepEqual(arrangement(fleet, { ...NO_FILTER, sort: "status" }).order, ["b", "c", "a"]);
});

test("the body says when there are no clients or none matches", () => {
  assert.equal(arrangement([], NO_FILTER).state, "no-clients");
  assert.equal(arrangement([], NO_FILTER).summary, "0 clients · 0 online");
  const none = arrangement(fleet, { ...NO_FILTER, query: "db" });
  assert.equal(none.state, "no-match");
  assert.deepEqual(none.order, []);
});

test("the summary counts one client in the singular", () => {
  assert.equal(summaryText(1, 1, 1), "1 client · 1 online");
  assert.equal(summaryText(500, 480, 3), "500 clients · 480 online · 3 shown");
});

test("a frame repaints at most 8 cards", () => {
  assert.equal(CARDS_PER_FRAME, 8);
  const b = new FrameBudget();
  const cards = Array.from({ length: 20 }, () => b.takeCard());
  assert.equal(cards.filter(Boolean).length, 8);
  assert.deepEqual(cards.slice(7, 9), [true, false]);
  assert.ok(new FrameBudget().takeCard()); // each frame starts afresh
  assert.equal(SEEDS_PER_FRAME, 2);
  const seeds = Array.from({ length: 4 }, () => b.takeSeed());
  assert.deepEqual(seeds, [true, true, false, false]); // apart from the cards' allowance
});

test("sparkline paths: a line per polyline, the area closed down to the floor, a lone point drawn", () => {
  assert.equal(pathData([[0, 10, 50, 0.625]]), "M0.0 10.0L50.0 0.6");
  assert.equal(pathData([[0, 10, 50, 20], [80, 5]]), "M0.0 10.0L50.0 20.0M80.0 5.0L80.5 5.0");
  assert.equal(pathData([[0, 10, 50, 20]], 36), "M0.0 36L0.0 10.0L50.0 20.0L50.0 36Z");
  assert.equal(pathData([]), "");
});

test("a sparkline spans its box: first to last time across, 0..100 % bottom to top, gaps split it", () => {
  const [a, b] = sparkLines([0, 10, 20, 30, 40], [0, 100, null, 50, 150], 200, 36);
  const pad = 1.25 / 2;
  assert.deepEqual(a, [0, 36 - pad, 50, pad]); // 0 % at the bottom, 100 % at the top, the stroke inside
  assert.deepEqual(b, [150, 18, 200, pad]); // after the gap; 150 % clamped to the top
  assert.deepEqual(sparkLines([5], [40], 100, 36), [[100, pad + 0.6 * (36 - 2 * pad)]]); // one point: at the right
  assert.deepEqual(sparkLines([], [], 100, 36), []);
  assert.deepEqual(sparkLines([0, 1], [null, null], 100, 36), []);
  assert.deepEqual(sparkLines([0, 1], [1, 2], 0, 36), []); // not measured yet: nothing to draw
});

test("a card's sparkline width follows the card's, less its padding and border", () => {
  assert.equal(sparkWidthFor(300.7), 300 - CARD_INSET);
  assert.equal(sparkWidthFor(10), 0);
});

test("card cells read as whole percentages with a level, Docker as bytes without one", () => {
  assert.deepEqual(CELLS.map(([name]) => name),
    ["cpu_percent", "ram_percent", "disk_percent", "inode_percent", "gpu_percent", "docker_bytes", NET]);
  assert.equal(cellText("cpu_percent", 12.6), "13 %");
  assert.equal(cellText("gpu_percent", null), "—");
  assert.equal(cellText("docker_bytes", 37 * 2 ** 30), "37.0 GiB");
  assert.equal(cellLevel("ram_percent", 91), "crit");
  assert.equal(cellLevel("disk_percent", undefined), "none");
  assert.equal(cellLevel("docker_bytes", 99), null);
});

test("the network cell is received plus sent per second, a dash when the agent sends neither", () => {
  const s = { ts: 1, cpu_percent: 5 } as unknown as SampleView;
  assert.equal(cellValue(s, "cpu_percent"), 5);
  assert.equal(cellValue(s, NET), null);
  assert.equal(cellValue(null, NET), null);
  assert.equal(cellValue({ ...s, net_rx_bytes_per_s: 3 * 2 ** 20, net_tx_bytes_per_s: 2 ** 20 }, NET), 4 * 2 ** 20);
  assert.equal(cellValue({ ...s, net_tx_bytes_per_s: 512 }, NET), 512);
  assert.equal(cellText(NET, 4 * 2 ** 20), "4.00 MiB/s");
  assert.equal(cellText(NET, null), "—");
  assert.equal(cellLevel(NET, 99), null);
});

test("a listed client keeps the newer latest sample of the list and the card", () => {
  const shown = { ...client("a", "web-10", true), latest: sample(120, 7) };
  const listed = { ...client("a", "web-10", false), latest: sample(110, 3), agent_version: "2.0" };
  const merged = mergeListed(listed, shown);
  assert.equal(merged.latest?.ts, 120);
  assert.equal(merged.online, false); // everything else from the list
  assert.equal(merged.agent_version, "2.0");
  assert.equal(mergeListed({ ...listed, latest: sample(130, 1) }, shown).latest?.ts, 130);
  assert.equal(mergeListed({ ...listed, latest: null }, shown).latest, null);
});

test("a client follows live frames: samples, status and removal", () => {
  const c = client("b", "web-2", false);
  const after = afterFrame(c, { type: "samples", client_id: "b", hostname: "web-2", samples: [sample(200, 50)] })!;
  assert.equal(after.online, true);
  assert.equal(after.last_seen, 200);
  assert.equal(after.latest?.ts, 200);
  const off = afterFrame(after, { type: "status", client_id: "b", hostname: "web-2", online: false, last_seen: null })!;
  assert.equal(off.online, false);
  assert.equal(off.last_seen, 200); // a status without a time keeps the last one
  assert.equal(withStatus(off, { online: true, last_seen: 210 }).last_seen, 210);
  assert.equal(afterFrame(off, { type: "removed", client_id: "b" }), null);
});

test("alerting filters to the hosts with firing alerts and sorts the most alerting first", () => {
  const alerting = new Map([["a", 1], ["b", 3]]);
  assert.deepEqual(arrangement(fleet, { ...NO_FILTER, status: "alerting" }, alerting).order, ["b", "a"]);
  assert.deepEqual(arrangement(fleet, { ...NO_FILTER, sort: "alerting" }, alerting).order, ["b", "a", "c"]);
  assert.deepEqual(arrangement(fleet, { ...NO_FILTER, status: "alerting" }).order, []); // none firing
});
