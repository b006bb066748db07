import { test } from "node:test";
import assert from "node:assert/strict";
import { nextSort, sortContainers, sparkPath } from "../src/pages/client/containers";
import { dockerKinds, hostFigures } from "../src/pages/client/tables";
import { formatUnit } from "../src/format";
import type { ContainerView } from "../src/types";

const list: ContainerView[] = [
  { id: "1", name: "web", image: "nginx", state: "running", cpu_percent: 2.5, mem_bytes: 300, restart_count: 0 },
  { id: "2", name: "db", image: "postgres", state: "running", cpu_percent: 12, mem_bytes: 900, restart_count: 3 },
  { id: "3", name: "job", image: "busybox", state: "exited", restart_count: 1 },
];

test("containers sort by any column, missing values last either way, ties by name", () => {
  const names = (s: Parameters<typeof sortContainers>[1]) => sortContainers(list, s).map((c) => c.name);
  assert.deepEqual(names({ column: "cpu_percent", desc: true }), ["db", "web", "job"]);
  assert.deepEqual(names({ column: "cpu_percent", desc: false }), ["web", "db", "job"]);
  assert.deepEqual(names({ column: "name", desc: false }), ["db", "job", "web"]);
  assert.deepEqual(names({ column: "restart_count", desc: true }), ["db", "job", "web"]);
  assert.deepEqual(list.map((c) => c.name), ["web", "db", "job"]); // the input is not reordered
});

test("a click on the sorted column reverses it; a new numeric column starts largest first, text A to Z", () => {
  assert.deepEqual(nextSort({ column: "cpu_percent", desc: true }, "cpu_percent"), { column: "cpu_percent", desc: false });
  assert.deepEqual(nextSort({ column: "cpu_percent", desc: true }, "mem_bytes"), { column: "mem_bytes", desc: true });
  assert.deepEqual(nextSort({ column: "cpu_percent", desc: true }, "name"), { column: "name", desc: false });
});

test("a sparkline path scales into its box and skips gaps", () => {
  assert.equal(sparkPath([0, 50, null, 100], 30, 10), "M0.0,10.0L10.0,5.0L30.0,0.0");
  assert.equal(sparkPath([5], 30, 10), "");
  assert.equal(sparkPath([null, 7], 30, 10), "");
});

test("Docker's breakdown and the host figures show what the sample carries, nothing for older agents", () => {
  assert.deepEqual(dockerKinds({ docker_images_bytes: 10, docker_volumes_bytes: 0, docker_reclaimable_bytes: null }), [["Images", 10], ["Volumes", 0]]);
  assert.deepEqual(dockerKinds({}), []);
  assert.deepEqual(hostFigures({ load1: 2, load5: 1.5, load15: 1, load1_per_core: 0.25, net_rx_bytes_per_s: 2048, net_tx_bytes_per_s: 0 }), [
    ["load", "Load 1/5/15 min", "2.00 / 1.50 / 1.00 (0.25 per core)"], ["net", "Network in / out", "2.00 KiB/s / 0 B/s"]]);
  assert.deepEqual(hostFigures({ cpu_percent: 5 } as never), []);
  assert.equal(formatUnit("per_second", 12.34), "12.3/s");
});
