import { test } from "node:test";
import assert from "node:assert/strict";
import { applySamples, isOnline, joinSeries, nameRanks, overviewOf, Ring, selectClients, statsRows, toAligned, unpack, withGaps } from "../src/shape";
import type { ClientView, SampleView } from "../src/types";

test("a ring keeps the last N points in time order and replaces a repeated timestamp", () => {
  const r = new Ring(["cpu_percent"], 3);
  r.push(10, { cpu_percent: 1 });
  r.push(12, { cpu_percent: 3 });
  r.push(11, { cpu_percent: 2 }); // out of order
  r.push(12, { cpu_percent: 4 }); // replayed
  assert.deepEqual(r.data(), [[10, 11, 12], [1, 2, 4]]);
  r.push(13, { cpu_percent: 5 });
  assert.deepEqual(r.data(), [[11, 12, 13], [2, 4, 5]]);
  r.push(5, { cpu_percent: 9 }); // older than everything kept: ignored
  assert.deepEqual(r.data()[0], [11, 12, 13]);
  r.push(14, { cpu_percent: Number.NaN });
  assert.deepEqual(r.data()[1], [4, 5, null]);
  r.trimBefore(14);
  assert.deepEqual(r.data(), [[14], [null]]);
});

test("gaps longer than the limit become a null so uPlot breaks the line", () => {
  assert.deepEqual(withGaps([[1, 2, 30, 31], [5, 6, 7, 8]], 10), [[1, 2, 3, 30, 31], [5, 6, null, 7, 8]]);
  assert.deepEqual(withGaps([[], []], 10), [[], []]);
});

test("system columns come out in uPlot's layout, missing fields as nulls", () => {
  const d = toAligned({ time: [1, 2], values: { cpu_percent: [1, null] }, max: null }, ["cpu_percent", "gpu_percent"]);
  assert.deepEqual(d, [[1, 2], [1, null], [null, null]]);
});

test("keyed series are joined on the union of their times, keys in natural order", () => {
  const j = joinSeries({
    "/data10": { time: [2, 3], values: { used_percent: [20, 30] }, max: null },
    "/data2": { time: [1, 2], values: { used_percent: [1, 2] }, max: null },
  }, "used_percent");
  assert.deepEqual(j.keys, ["/data2", "/data10"]);
  assert.deepEqual(j.data, [[1, 2, 3], [1, 2, null], [null, 20, 30]]);
});

const client = (hostname: string, online: boolean, cpu: number | null, lastSeen: number | null = 100): ClientView => ({
  id: hostname, hostname, created_at: 0, agent_version: null, last_seen: lastSeen, online, dropped_total: 0,
  latest: cpu == null ? null : ({ ts: 100, cpu_percent: cpu } as SampleView),
});

test("the overview filters by name and status and sorts", () => {
  const list = [client("web-10", true, 5), client("web-2", false, 50), client("db-1", true, 90)];
  assert.deepEqual(selectClients(list, "", "all", "name").map((c) => c.hostname), ["db-1", "web-2", "web-10"]);
  assert.deepEqual(selectClients(list, "WEB", "all", "name").map((c) => c.hostname), ["web-2", "web-10"]);
  assert.deepEqual(selectClients(list, "", "online", "name").map((c) => c.hostname), ["db-1", "web-10"]);
  assert.deepEqual(selectClients(list, "", "all", "status").map((c) => c.hostname), ["web-2", "db-1", "web-10"]);
  assert.deepEqual(selectClients(list, "", "all", "cpu").map((c) => c.hostname), ["db-1", "web-2", "web-10"]);
  // sorted by precomputed name ranks: the same order as the collator's
  const rank = nameRanks(list);
  assert.deepEqual(selectClients(list, "", "all", "name", new Map(), {}, rank).map((c) => c.hostname), ["db-1", "web-2", "web-10"]);
  assert.deepEqual(selectClients(list, "", "all", "status", new Map(), {}, rank).map((c) => c.hostname), ["web-2", "db-1", "web-10"]);
  assert.equal(list[0].hostname, "web-10"); // the input is not reordered
});

test("live samples move latest and last seen forward only, and mark the client online", () => {
  const c = client("a", false, 10, 100);
  const next = applySamples(c, [{ ts: 90 } as SampleView, { ts: 105, cpu_percent: 7 } as SampleView]);
  assert.equal(next.latest?.ts, 105);
  assert.equal(next.last_seen, 105);
  assert.equal(next.online, true);
  assert.equal(applySamples(next, [{ ts: 50 } as SampleView]).latest?.ts, 105);
  assert.ok(isOnline(100, 160, 60) && !isOnline(100, 161, 60) && !isOnline(null, 0, 60));
});

test("the overview keeps only its fields of a live sample, and cuts only a new newest one", () => {
  const whole = { ts: 105, cpu_percent: 7, ram_percent: 50, disk_percent: null, docker_bytes: 9, net_rx_bytes_per_s: 1,
    disks: [{ mount: "/" }], gpus: [{ index: 0 }], temps: [], containers: [], load1: 2 } as unknown as SampleView;
  const slim = overviewOf(whole);
  assert.deepEqual(slim, { ts: 105, cpu_percent: 7, ram_percent: 50, disk_percent: null, docker_bytes: 9, net_rx_bytes_per_s: 1 });
  assert.ok(!("gpu_percent" in slim) && !("disks" in slim)); // absent stays absent, as in the listing
  const c = client("a", true, 10, 100);
  const next = applySamples(c, [whole], overviewOf);
  assert.deepEqual(next.latest, slim);
  assert.equal(next.last_seen, 105);
  let cuts = 0;
  const counting = (s: SampleView) => (cuts++, overviewOf(s));
  assert.equal(applySamples(next, [{ ts: 50 } as SampleView], counting).latest, next.latest); // an older one: kept as is
  assert.equal(cuts, 0);
});

test("batches unpack into their frames, recursively", () => {
  const frames = unpack({ type: "batch", frames: [{ type: "removed", client_id: "a" }, { type: "batch", frames: [{ type: "removed", client_id: "b" }] }] });
  assert.deepEqual(frames.map((f) => (f as { client_id: string }).client_id), ["a", "b"]);
});

test("stats rows follow the catalogue's order and skip absent metrics", () => {
  const s = { count: 2, min: 1, max: 3, avg: 2, p95: 3 };
  const rows = statsRows({ client_id: "x", from: 0, to: 1, range: "1h", exact: true, p95_max_error: null, metrics: { ram_percent: s, cpu_percent: s } });
  assert.deepEqual(rows.map((r) => r.metric.name), ["cpu_percent", "ram_percent"]);
  assert.equal(rows[0].avg, 2);
});

test("sorting with ranks gives the same order as sorting through the collator, for every sort key", () => {
  const base = { created_at: 0, agent_version: null, dropped_total: 0 };
  const list: ClientView[] = Array.from({ length: 60 }, (_, i) => ({
    ...base, id: `c${i}`, hostname: `host-${(i * 7) % 60}`, online: i % 3 !== 0, last_seen: i % 5 ? 100 + (i % 4) : null,
    latest: i % 4 ? { ts: 1, cpu_percent: (i * 13) % 7, disk_percent: i % 2 ? 50 : null, gpu_percent: i % 3 } as SampleView : null,
  }));
  const alerting = new Map([["c3", 2], ["c9", 1], ["c10", 2]]);
  const rank = nameRanks(list);
  for (const sort of ["name", "status", "cpu", "disk", "gpu", "last_seen", "alerting"] as const) {
    assert.deepEqual(selectClients(list, "", "all", sort, alerting, {}, rank).map((c) => c.id),
      selectClients(list, "", "all", sort, alerting).map((c) => c.id), sort);
  }
});
