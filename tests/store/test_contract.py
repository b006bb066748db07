"""The time-series store contract, run unchanged against SQLite and a real InfluxDB 1.6.7."""

from __future__ import annotations

import math
import random
import time

import pytest

from statusmon.meta.db import MetaDB
from statusmon.meta.leases import MetaLease
from statusmon.meta.rollup_progress import RollupProgress
from statusmon.metrics import SYSTEM_METRIC_NAMES
from statusmon.store.base import DiskSample, GpuSample, Sample, TimeSeriesStore
from statusmon.store.downsampler import LEASE_NAME, Downsampler
from statusmon.store.history import HistoryStats
from statusmon.store.percentile import percentile

NOW = int(time.time())
BASE = (NOW - 2 * 86400) // 3600 * 3600  # two days ago, on an hour: inside InfluxDB's 7-day retention


def sample(ts: int, cpu: float | None = 10.0, **values: float | int | None) -> Sample:
    v: dict[str, float | int | None] = {"cpu_percent": cpu, "ram_percent": 50.0, "disk_percent": 70.0,
                                        "inode_percent": 5.0, "docker_bytes": 123_456_789, "gpu_percent": None}
    v.update(values)
    return Sample(ts=ts, values=v)


def test_written_samples_read_back_raw_with_equal_values(store: TimeSeriesStore) -> None:
    samples = [sample(BASE + i, cpu=i * 1.5, docker_bytes=10**12 + i) for i in range(20)]
    assert store.write("c1", "web-1", samples) == 20
    series = store.series("c1", BASE, BASE + 20, None)[""]
    assert series.time == [BASE + i for i in range(20)]
    assert series.values["cpu_percent"] == [i * 1.5 for i in range(20)]
    assert series.values["docker_bytes"] == [10**12 + i for i in range(20)]
    assert all(isinstance(v, int) for v in series.values["docker_bytes"])
    assert series.values["gpu_percent"] == [None] * 20


def test_retried_batch_changes_nothing(store: TimeSeriesStore) -> None:
    batch = [sample(BASE + i, cpu=float(i)) for i in range(10)]
    store.write("c1", "web-1", batch)
    before = store.stats("c1", BASE, BASE + 10, SYSTEM_METRIC_NAMES)
    store.write("c1", "web-1", batch)
    store.write("c1", "web-1", list(reversed(batch[:5])))  # replayed out of order
    after = store.stats("c1", BASE, BASE + 10, SYSTEM_METRIC_NAMES)
    assert after == before
    assert after["cpu_percent"].count == 10


def test_p95_is_nearest_rank_on_both_backends(store: TimeSeriesStore) -> None:
    rng = random.Random(7)
    values = [round(rng.uniform(0, 100), 3) for _ in range(997)]
    store.write("c1", "h", [sample(BASE + i, cpu=v) for i, v in enumerate(values)])
    got = store.stats("c1", BASE, BASE + len(values), ["cpu_percent"])["cpu_percent"]
    assert got.count == 997
    assert got.p95 == percentile(values, 95)
    assert got.min == min(values) and got.max == max(values)
    assert got.avg == pytest.approx(sum(values) / len(values), rel=1e-12)


def test_p95_of_few_points_follows_influxql(store: TimeSeriesStore) -> None:
    # InfluxQL's nearest rank: p95 of 1 point is that point; of 10 points the 10th (index floor(9.5+0.5)-1).
    store.write("c1", "h", [sample(BASE, cpu=42.0)])
    assert store.stats("c1", BASE, BASE + 1, ["cpu_percent"])["cpu_percent"].p95 == 42.0
    store.write("c2", "h", [sample(BASE + i, cpu=float(i)) for i in range(10)])
    assert store.stats("c2", BASE, BASE + 10, ["cpu_percent"])["cpu_percent"].p95 == 9.0


def test_empty_range_gives_zero_count_and_nulls(store: TimeSeriesStore) -> None:
    store.write("c1", "h", [sample(BASE)])
    stats = store.stats("c1", BASE + 100, BASE + 200, SYSTEM_METRIC_NAMES)
    assert all(s.count == 0 and s.min is None and s.p95 is None for s in stats.values())
    assert store.series("c1", BASE + 100, BASE + 200, None) == {}
    assert store.series("c1", BASE + 100, BASE + 200, 10) == {}


def test_client_without_gpu_has_no_gpu_values(store: TimeSeriesStore) -> None:
    store.write("c1", "h", [sample(BASE + i) for i in range(5)])
    stats = store.stats("c1", BASE, BASE + 5, ["gpu_percent", "cpu_percent"])
    assert stats["gpu_percent"].count == 0 and stats["gpu_percent"].avg is None
    assert stats["cpu_percent"].count == 5
    assert store.series("c1", BASE, BASE + 5, None, family="gpu") == {}


def test_gaps_leave_no_buckets(store: TimeSeriesStore) -> None:
    # Data in [0, 10) and [40, 50): 10-second buckets at 0 and 40 only; the API layer draws the gap.
    store.write("c1", "h", [sample(BASE + i, cpu=float(i)) for i in [*range(10), *range(40, 50)]])
    s = store.series("c1", BASE, BASE + 60, 10, fields=["cpu_percent"])[""]
    assert s.time == [BASE, BASE + 40]
    assert s.values["cpu_percent"] == [4.5, 44.5]
    assert s.maxima is not None and s.maxima["cpu_percent"] == [9.0, 49.0]


def test_disks_and_gpus_are_keyed_by_mount_and_index(store: TimeSeriesStore) -> None:
    disks = (DiskSample("/", 50, 100, 1, 10), DiskSample("/data dir,x=1", 10, 1000, 0, 100))
    gpus = (GpuSample(0, "GPU-a", "NVIDIA H100", 90.0, 10, 80, 60.0, 300.0), GpuSample(1, util_percent=10.0))
    store.write("c1", "h", [Sample(BASE + i, {"cpu_percent": 1.0}, disks, gpus) for i in range(3)])
    d = store.series("c1", BASE, BASE + 3, None, family="disk")
    assert set(d) == {"/", "/data dir,x=1"}
    assert d["/"].values["used_percent"] == [50.0] * 3
    assert d["/data dir,x=1"].values["inodes_percent"] == [0.0] * 3
    g = store.series("c1", BASE, BASE + 3, None, family="gpu")
    assert set(g) == {"0", "1"}
    assert g["0"].values["mem_percent"] == [12.5] * 3
    assert g["0"].values["power_w"] == [300.0] * 3
    assert g["1"].values["temp_c"] == [None] * 3


def test_points_of_all_clients_in_one_call(store: TimeSeriesStore) -> None:
    for cid in ("a", "b", "c"):
        store.write(cid, f"host-{cid}", [sample(BASE + i, cpu=float(ord(cid))) for i in range(4)])
    everything = store.points("system", BASE, BASE + 4, ["cpu_percent"])
    assert set(everything) == {("a", ""), ("b", ""), ("c", "")}
    assert everything[("b", "")].values["cpu_percent"] == [98.0] * 4
    some = store.points("system", BASE, BASE + 4, ["cpu_percent"], client_ids=["a", "c"])
    assert set(some) == {("a", ""), ("c", "")}


def test_first_time_is_the_earliest_point_of_a_family_in_a_range(store: TimeSeriesStore) -> None:
    store.write("b", "host-b", [sample(BASE + 500), sample(BASE + 900, cpu=None)])
    store.write("a", "host-a", [Sample(BASE + 700, {"ram_percent": 1.0}, gpus=(GpuSample(0, power_w=99.0),))])
    assert store.first_time("system", BASE, BASE + 3600) == BASE + 500
    assert store.first_time("system", BASE + 501, BASE + 3600) == BASE + 700  # only ram_percent in it
    assert store.first_time("system", BASE + 701, BASE + 3600) == BASE + 900  # no cpu_percent: still a point
    assert store.first_time("system", BASE + 500, BASE + 500) is None
    assert store.first_time("system", BASE, BASE + 500) is None  # the end is not in the range
    assert store.first_time("gpu", BASE, BASE + 3600) == BASE + 700  # only power_w in it
    assert store.first_time("disk", BASE, BASE + 3600) is None


def test_delete_client_removes_every_family(store: TimeSeriesStore) -> None:
    s = Sample(BASE, {"cpu_percent": 1.0}, (DiskSample("/", 1, 2),), (GpuSample(0, util_percent=1.0),))
    store.write("gone", "h1", [s])
    store.write("kept", "h2", [s])
    store.delete_client("gone")
    for family in ("system", "disk", "gpu"):
        assert store.series("gone", BASE, BASE + 1, None, family=family) == {}
        assert store.series("kept", BASE, BASE + 1, None, family=family) != {}


def test_retention_removes_old_points(store: TimeSeriesStore) -> None:
    if store.backend == "sqlite":
        store.write("c1", "h", [sample(BASE), sample(BASE + 100)])
        assert store.prune(BASE + 50) == 1
        assert store.series("c1", BASE, BASE + 200, None)[""].time == [BASE + 100]
    else:
        # InfluxDB prunes by itself: the database's default retention policy keeps 7 days.
        result = store.query(f'SHOW RETENTION POLICIES ON "{store.db}"')  # type: ignore[attr-defined]
        series = result[0]["series"][0]
        rows = [dict(zip(series["columns"], row, strict=True)) for row in series["values"]]
        default = [r for r in rows if r["default"]]
        assert default and default[0]["duration"] == "168h0m0s"


def test_seven_days_of_one_second_data(store: TimeSeriesStore) -> None:
    """604,800 samples: 24 h stats exact; 7 d stats from the rollup tiers keep min/max/avg/count exact and
    p95 within the stated bound (0.5 percentage points for percentages, 1 % for bytes)."""
    # Inside InfluxDB's 7-day retention: a few minutes short of a week ago until a few minutes ahead. From the
    # clock now, not the module's NOW: late in a long run the import's time is already minutes old, and the
    # oldest points fell outside the policy (InfluxDB dropped them: "points beyond retention policy").
    start = int(time.time()) - 7 * 86400 + 600
    end = start + 7 * 86400
    rng = random.Random(1)
    batch: list[Sample] = []
    for ts in range(start, end):
        batch.append(Sample(ts, {"cpu_percent": round(rng.betavariate(2, 5) * 100, 2),
                                 "ram_percent": 40 + 20 * math.sin(ts / 3600), "docker_bytes": 10**9 + ts % 1000}))
        if len(batch) == 20_000:
            store.write("big", "h", batch)
            batch = []
    store.write("big", "h", batch)
    fields = ["cpu_percent", "ram_percent", "docker_bytes"]
    exact = store.stats("big", start, end, fields)
    assert exact["cpu_percent"].count == 7 * 86400
    meta = MetaDB(":memory:")
    progress = RollupProgress(meta)
    built = Downsampler(store, progress, MetaLease(meta, LEASE_NAME), clock=lambda: end + 7200,
                        minute_chunk=6 * 3600, initial_lookback=end + 7200 - start).run_once()
    assert built.done_until["hour"] >= end // 3600 * 3600
    service = HistoryStats(store, progress.all)
    day = service.stats("big", end - 86400, end, fields)
    assert day.exact and day.stats == store.stats("big", end - 86400, end, fields)
    for _ in range(2):
        week = service.stats("big", start, end, fields)
        by = week.seconds_by_source
        assert not week.exact and by["day"] >= 5 * 86400 and by["day"] + by["hour"] >= 6 * 86400
        for f in fields:
            got, want = week.stats[f], exact[f]
            assert (got.count, got.min, got.max) == (want.count, want.min, want.max)
            assert got.avg == pytest.approx(want.avg, rel=1e-9)
        assert abs(week.stats["cpu_percent"].p95 - exact["cpu_percent"].p95) <= 0.5  # type: ignore[operator]
        assert abs(week.stats["ram_percent"].p95 - exact["ram_percent"].p95) <= 0.5  # type: ignore[operator]
        assert week.stats["docker_bytes"].p95 == pytest.approx(exact["docker_bytes"].p95, rel=0.01)


def test_network_disk_io_temperatures_and_containers_read_back_per_key(store: TimeSeriesStore) -> None:
    from statusmon.store.base import ContainerSample, DiskIoSample, NetSample, TempSample

    samples = [Sample(ts=BASE + i, values={"cpu_percent": 1.0, "load1": 0.5 + i, "net_rx_bytes_per_s": 1000.0 * i,
                                           "docker_images_bytes": 10**10 + i, "containers_restarting": i % 2},
                      net=(NetSample("eno1", 1000.0 * i, 10.5, 0.0, 0.0), NetSample("eno2", 2.0)),
                      diskio=(DiskIoSample("nvme0n1", 4096.0, 8192.0, 1.0, 2.0, 12.5),),
                      temps=(TempSample("coretemp", "Package id 0", 50.0 + i), TempSample("nvme", "Composite", 38.9)),
                      containers=(ContainerSample("abc", "web", "nginx:1", "running", 2.5, 10**8 + i, 10**9, 1.0,
                                                  2.0, 3),) if i % 2 == 0 else ())
               for i in range(4)]
    store.write("c1", "h", samples)
    system = store.series("c1", BASE, BASE + 4, None, fields=["load1", "docker_images_bytes", "containers_restarting"])
    assert system[""].values["load1"] == [0.5, 1.5, 2.5, 3.5]
    assert system[""].values["docker_images_bytes"] == [10**10 + i for i in range(4)]
    assert system[""].values["containers_restarting"] == [0, 1, 0, 1]
    net = store.series("c1", BASE, BASE + 4, None, family="net")
    assert set(net) == {"eno1", "eno2"}
    assert net["eno1"].values["rx_bytes_per_s"] == [0.0, 1000.0, 2000.0, 3000.0]
    assert net["eno2"].values["tx_bytes_per_s"] == [None] * 4
    diskio = store.series("c1", BASE, BASE + 4, None, family="diskio")
    assert diskio["nvme0n1"].values["busy_percent"] == [12.5] * 4
    temps = store.series("c1", BASE, BASE + 4, None, family="temp")
    assert set(temps) == {"coretemp/Package id 0", "nvme/Composite"}
    assert temps["coretemp/Package id 0"].values["temp_c"] == [50.0, 51.0, 52.0, 53.0]
    containers = store.series("c1", BASE, BASE + 4, None, family="container")
    assert containers["web"].time == [BASE, BASE + 2]  # a container point only where a poll's list rode
    assert containers["web"].values["mem_bytes"] == [10**8, 10**8 + 2]
    assert all(isinstance(v, int) for v in containers["web"].values["restart_count"])
    assert store.points("container", BASE, BASE + 4)[("c1", "web")].values["cpu_percent"] == [2.5, 2.5]
    store.delete_client("c1")
    assert store.series("c1", BASE, BASE + 4, None, family="net") == {}
    assert store.series("c1", BASE, BASE + 4, None, family="container") == {}
