import { test } from "node:test";
import assert from "node:assert/strict";
import { arrangement, groupStats, groupSummaryText, labelKeys, NO_FILTER, onlineCount, rearrangeOn } from "../src/pages/overview/arrangement";
import { CARD_HEIGHT, columnsFor, GAP, HEAD_HEIGHT, layout, ROW_HEIGHT, visibleRange } from "../src/pages/overview/layout";
import { DEFAULT_VIEW, parseSelector, parseView, viewSearch } from "../src/pages/overview/view";
import { FrameBudget, MOUNTS_PER_FRAME } from "../src/pages/overview/budget";
import type { ClientView, SampleView } from "../src/types";

const host = (id: string, labels: Record<string, string>, online = true, cpu: number | null = null, disk: number | null = null): ClientView => ({
  id, hostname: id, online, created_at: 0, agent_version: null, last_seen: online ? 100 : null,
  latest: cpu == null && disk == null ? null : ({ ts: 100, cpu_percent: cpu, disk_percent: disk, gpu_percent: null } as unknown as SampleView),
  dropped_total: 0, labels,
});
const fleet = [
  host("gpu-1", { env: "prod", role: "gpu" }, true, 90, 40),
  host("gpu-2", { env: "dev", role: "gpu" }, true, 20, 95),
  host("web-1", { env: "prod", role: "web" }, false, 99, 10),
  host("db-1", {}, true, 5),
];

test("the view round-trips through the URL and bad parts fall back to the default", () => {
  const v = { ...DEFAULT_VIEW, view: "table" as const, group: "env", labels: { role: "gpu", env: "prod" }, query: "gpu",
    status: "online" as const, sort: "cpu" as const, collapsed: ["dev", ""] };
  assert.deepEqual(parseView(viewSearch(v)), v);
  assert.equal(viewSearch(DEFAULT_VIEW), "");
  assert.deepEqual(parseView("?view=grid&sort=nope&status=x&group=Bad%20Key&label=env&label=Env=x"), DEFAULT_VIEW);
  assert.deepEqual(parseView("?label=env=prod&label=role=gpu").labels, { env: "prod", role: "gpu" });
  // collapsed groups mean nothing without grouping: left out of the URL
  assert.equal(viewSearch({ ...DEFAULT_VIEW, collapsed: ["x"] }), "");
});

test("a typed selector reads key=value pairs and names what is not one", () => {
  assert.deepEqual(parseSelector(" env=prod, role=gpu "), { labels: { env: "prod", role: "gpu" }, bad: [] });
  assert.deepEqual(parseSelector("env=prod role"), { labels: { env: "prod" }, bad: ["role"] });
  assert.deepEqual(parseSelector("Env=x a=b c"), { labels: { a: "b" }, bad: ["Env=x", "c"] });
});

test("hosts filter by every label given and by text in the hostname or a label", () => {
  const ids = (f: Partial<typeof NO_FILTER>) => arrangement(fleet, { ...NO_FILTER, ...f }).order;
  assert.deepEqual(ids({ labels: { env: "prod" } }), ["gpu-1", "web-1"]);
  assert.deepEqual(ids({ labels: { env: "prod", role: "gpu" } }), ["gpu-1"]);
  assert.deepEqual(ids({ labels: { env: "nowhere" } }), []);
  assert.deepEqual(ids({ query: "role=web" }), ["web-1"]);
  assert.deepEqual(ids({ query: "DEV" }), ["gpu-2"]);
  assert.deepEqual(ids({ sort: "disk" }), ["gpu-2", "gpu-1", "web-1", "db-1"]);
});

test("grouping by a key: groups by value in natural order, hosts without it last, each sorted within", () => {
  const a = arrangement(fleet, { ...NO_FILTER, group: "env", sort: "cpu" });
  assert.deepEqual(a.groups.map((g) => g.title), ["env = dev", "env = prod", "no env"]);
  assert.deepEqual(a.groups.map((g) => g.hosts.map((c) => c.id)), [["gpu-2"], ["web-1", "gpu-1"], ["db-1"]]);
  assert.deepEqual(arrangement(fleet, NO_FILTER).groups.map((g) => g.value), [""]);
  assert.deepEqual(labelKeys(fleet), ["env", "role"]);
});

test("a group's summary: hosts, online, alerting and the worst values of its online hosts", () => {
  const prod = fleet.filter((c) => c.labels?.env === "prod");
  const s = groupStats(prod, new Map([["web-1", 2]]));
  // web-1 is offline: its 99 % CPU is history, not the group's state
  assert.deepEqual(s, { hosts: 2, online: 1, alerting: 1, cpu: 90, disk: 40, gpu: null });
  assert.equal(groupSummaryText(s), "2 hosts · 1 online · 1 alerting · worst CPU 90 % · disk 40 % · GPU —");
});

test("the layout stacks group heads and rows of cards or table rows; folded groups show their head only", () => {
  const a = arrangement(fleet, { ...NO_FILTER, group: "env" });
  const width = columnsFor(1000) * 300;
  const cards = layout(a.groups, true, new Set(["prod"]), "cards", width);
  assert.deepEqual(cards.rows.map((r) => r.kind), ["head", "cards", "head", "head", "cards"]);
  assert.equal(cards.height, 3 * HEAD_HEIGHT + 2 * (CARD_HEIGHT + GAP));
  const table = layout(a.groups, true, new Set(), "table", 800);
  assert.deepEqual(table.rows.map((r) => r.kind), ["head", "row", "head", "row", "row", "head", "row"]);
  assert.equal(table.height, 3 * HEAD_HEIGHT + 4 * ROW_HEIGHT);
  const flat = layout(arrangement(fleet, NO_FILTER).groups, false, new Set(), "cards", 2 * 270 + GAP);
  assert.equal(flat.columns, 2);
  assert.deepEqual(flat.rows.map((r) => (r.kind === "cards" ? r.hosts.length : 0)), [2, 2]);
  assert.equal(columnsFor(100), 1);
});

test("only the rows overlapping the viewport are visible (binary search)", () => {
  const hosts = Array.from({ length: 5000 }, (_, i) => host(`h${i}`, {}));
  const t = layout(arrangement(hosts, NO_FILTER).groups, false, new Set(), "table", 800);
  assert.equal(t.rows.length, 5000);
  assert.deepEqual(visibleRange(t.rows, 0, 10 * ROW_HEIGHT), [0, 10]);
  assert.deepEqual(visibleRange(t.rows, 100 * ROW_HEIGHT + 1, 110 * ROW_HEIGHT), [100, 110]);
  assert.deepEqual(visibleRange(t.rows, -500, 0), [0, 0]);
  assert.deepEqual(visibleRange(t.rows, 5000 * ROW_HEIGHT, 6000 * ROW_HEIGHT), [5000, 5000]);
});

test("a frame mounts at most 4 new cards or rows (a jump fills the screen over a few frames)", () => {
  assert.equal(MOUNTS_PER_FRAME, 4);
  const b = new FrameBudget();
  const taken = Array.from({ length: 10 }, () => b.takeMount());
  assert.equal(taken.filter(Boolean).length, 4);
  assert.ok(b.takeCard()); // a separate allowance
});

test("a status change or new alerts re-arrange only a view that filters or sorts by them (or by a live value)", () => {
  const v = (patch: Partial<typeof NO_FILTER>) => ({ ...NO_FILTER, ...patch });
  assert.equal(rearrangeOn("online", v({})), false);
  assert.equal(rearrangeOn("alerts", v({ group: "env" })), false);
  assert.equal(rearrangeOn("online", v({ sort: "status" })), true);
  assert.equal(rearrangeOn("online", v({ status: "offline" })), true);
  assert.equal(rearrangeOn("online", v({ status: "alerting" })), false);
  assert.equal(rearrangeOn("alerts", v({ status: "alerting" })), true);
  assert.equal(rearrangeOn("alerts", v({ sort: "alerting" })), true);
  assert.equal(rearrangeOn("alerts", v({ sort: "status" })), false);
  assert.equal(rearrangeOn("alerts", v({ sort: "cpu" })), true);
  const hosts = [{ online: true }, { online: false }, { online: true }] as ClientView[];
  assert.equal(onlineCount(hosts), 2);
});
