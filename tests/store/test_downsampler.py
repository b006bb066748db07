"""The downsampler on both backends: tier buckets equal the raw points' statistics, and it is idempotent,
catches up after downtime, runs once among two processes and forgets deleted clients."""

from __future__ import annotations

import math
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from statusmon.meta.db import MetaDB
from statusmon.meta.leases import MetaLease
from statusmon.meta.rollup_progress import RollupProgress
from statusmon.store.base import DiskSample, GpuSample, Sample, Series, TimeSeriesStore
from statusmon.store.downsampler import LEASE_NAME, Downsampler
from statusmon.store.sketch import LINEAR, Sketch
from statusmon.store.tiers import TierRow, buckets_from_raw, merge_rows

NOW = int(time.time())
BASE = (NOW - 2 * 86400) // 3600 * 3600  # two days ago, on an hour: inside InfluxDB's 7-day raw retention


def cpu_at(i: int) -> float | None:
    if 1500 <= i < 1800:
        return None  # a gap of five minutes
    if i % 97 == 0:
        return 100.0  # spikes
    return round((i * 7.31) % 60, 2)


def samples(start: int, n: int, step: int = 1) -> list[Sample]:
    out = []
    for i in range(0, n, step):
        out.append(Sample(ts=start + i, values={"cpu_percent": cpu_at(i), "ram_percent": 40.0 + (i % 3),
                                                "docker_bytes": 10**9 + i * 1000},
                          disks=(DiskSample("/", 100 + i % 10, 1000, avail_bytes=800),),
                          gpus=(GpuSample(0, power_w=150.0 + (i % 50)),)))
    return out


@pytest.fixture
def meta(tmp_path: Path) -> MetaDB:
    return MetaDB(tmp_path / "meta.db")


def downsampler(store: TimeSeriesStore, meta: MetaDB, now: int, owner: str = "a") -> Downsampler:
    return Downsampler(store, RollupProgress(meta), MetaLease(meta, LEASE_NAME, owner), clock=lambda: now,
                       initial_lookback=now - BASE)


def day_done(hours_done: int) -> int:
    """Where the day tier stands after a pass that built hours up to ``hours_done`` (it starts 730 days back)."""
    return hours_done // 86400 * 86400


def by_key(rows: list[TierRow]) -> dict[tuple[str, str, str, str, int], tuple[object, ...]]:
    return {(*r.series, r.ts): (r.count, r.sum, r.min, r.max, r.last, r.sketch.encode()) for r in rows}


def test_minute_and_hour_buckets_equal_the_raw_statistics(store: TimeSeriesStore, meta: MetaDB) -> None:
    store.write("c1", "web-1", samples(BASE, 2 * 3600 + 120))
    result = downsampler(store, meta, BASE + 2 * 3600 + 600).run_once()
    assert result.ran and result.done_until == {"minute": BASE + 2 * 3600 + 480, "hour": BASE + 2 * 3600,
                                                "day": day_done(BASE + 2 * 3600)}
    minutes = {(r.metric, r.ts): r for r in store.tiers.rows("minute", "system", BASE, BASE + 3 * 3600)}
    for m in range(0, 2 * 3600 + 120, 60):
        vals = [v for i in range(m, m + 60) if (v := cpu_at(i)) is not None]
        row = minutes.get(("cpu_percent", BASE + m))
        if not vals:
            assert row is None  # the gap: no bucket, so charts show it
            continue
        assert row is not None
        assert (row.count, row.min, row.max, row.last) == (len(vals), min(vals), max(vals), vals[-1])
        assert row.sum == pytest.approx(math.fsum(vals), rel=1e-12)
    hours = {(r.family, r.key, r.metric, r.ts): r for fam in ("system", "disk", "gpu")
             for r in store.tiers.rows("hour", fam, BASE, BASE + 3 * 3600)}
    # Two hours of cpu, ram, docker; the mount's space (its inodes never sent); the GPU's power (only it sent).
    assert len(hours) == 2 * 3 + 2 * 1 + 2 * 1
    h0 = hours[("system", "", "cpu_percent", BASE)]
    vals = [v for i in range(3600) if (v := cpu_at(i)) is not None]
    assert (h0.count, h0.min, h0.max) == (len(vals), min(vals), max(vals))
    assert h0.sum == pytest.approx(math.fsum(vals), rel=1e-12)
    assert h0.sketch.count == len(vals)
    power = hours[("gpu", "0", "power_w", BASE + 3600)]
    assert (power.count, power.min, power.max, power.last) == (3600, 150.0, 199.0, 150.0 + 7199 % 50)
    assert hours[("disk", "/", "used_percent", BASE)].count == 3600


def test_rebuilding_buckets_gives_the_same_rows(store: TimeSeriesStore, meta: MetaDB) -> None:
    store.write("c1", "web-1", samples(BASE, 3600 + 60, step=5))
    downsampler(store, meta, BASE + 2 * 3600).run_once()
    first = by_key(store.tiers.rows("minute", "system", BASE, BASE + 7200)
                   + store.tiers.rows("hour", "system", BASE, BASE + 7200))
    progress = RollupProgress(meta)
    for tier in ("minute", "hour"):  # back to where they started: both tiers built again over the same range
        progress.set(tier, BASE)
    again = downsampler(store, meta, BASE + 2 * 3600).run_once()
    assert again.rows["minute"] > 0 and again.rows["hour"] > 0
    second = by_key(store.tiers.rows("minute", "system", BASE, BASE + 7200)
                    + store.tiers.rows("hour", "system", BASE, BASE + 7200))
    assert second == first


def test_a_stopped_downsampler_catches_up(store: TimeSeriesStore, meta: MetaDB) -> None:
    store.write("c1", "web-1", samples(BASE, 600, step=10))
    downsampler(store, meta, BASE + 600).run_once()
    assert RollupProgress(meta).get("minute") == BASE + 480  # 90 s grace: 8 minutes closed
    # Stopped for five hours while samples kept arriving.
    store.write("c1", "web-1", samples(BASE + 600, 5 * 3600, step=10))
    result = downsampler(store, meta, BASE + 600 + 5 * 3600 + 120).run_once()
    assert result.done_until == {"minute": BASE + 5 * 3600 + 600, "hour": BASE + 5 * 3600,
                                 "day": day_done(BASE + 5 * 3600)}
    hours = store.tiers.rows("hour", "system", BASE, BASE + 6 * 3600)
    assert sorted({r.ts for r in hours}) == [BASE + h * 3600 for h in range(5)]
    ram = {r.ts: r.count for r in hours if r.metric == "ram_percent"}
    assert ram == {BASE + h * 3600: 360 for h in range(5)}


def test_two_downsamplers_at_once_count_nothing_twice(store: TimeSeriesStore, meta: MetaDB,
                                                      tmp_path: Path) -> None:
    store.write("c1", "web-1", samples(BASE, 3 * 3600, step=3))
    other_meta = MetaDB(tmp_path / "meta.db")  # a second process: its own connection to the same file
    now = BASE + 3 * 3600 + 120
    ran = []
    workers = [downsampler(store, meta, now, "a"), downsampler(store, other_meta, now, "b")]
    threads = [threading.Thread(target=lambda d=d: ran.append(d.run_once())) for d in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ran) == 2
    hours = store.tiers.rows("hour", "system", BASE, now)
    assert {r.ts: r.count for r in hours if r.metric == "ram_percent"} == {BASE + h * 3600: 1200 for h in range(3)}
    minutes = store.tiers.rows("minute", "system", BASE, now)
    assert sum(r.count for r in minutes if r.metric == "ram_percent") == 3600
    # While one holds the lease, the other skips its pass.
    lease_a, lease_b = MetaLease(meta, LEASE_NAME, "a"), MetaLease(other_meta, LEASE_NAME, "b")
    assert lease_a.acquire(60)
    assert not downsampler(store, other_meta, now, "b").run_once().ran
    lease_a.release()
    assert lease_b.acquire(60)


def test_an_expired_lease_can_be_taken_over(meta: MetaDB) -> None:
    clock = [1000.0]
    a = MetaLease(meta, "job", "a", clock=lambda: clock[0])
    b = MetaLease(meta, "job", "b", clock=lambda: clock[0])
    assert a.acquire(30) and not b.acquire(30)
    assert a.acquire(30)  # renewing
    clock[0] += 31
    assert b.acquire(30) and not a.acquire(30)
    assert b.holder() == "b"


def test_a_deleted_client_is_gone_from_every_tier(store: TimeSeriesStore, meta: MetaDB) -> None:
    store.write("c1", "web-1", samples(BASE, 3600 + 120, step=10))
    store.write("c2", "web-2", samples(BASE, 3600 + 120, step=10))
    downsampler(store, meta, BASE + 2 * 3600).run_once()
    for tier in ("minute", "hour"):
        for family in ("system", "disk", "gpu"):
            assert {r.client_id for r in store.tiers.rows(tier, family, BASE, BASE + 7200)} == {"c1", "c2"}
    store.delete_client("c1")
    for tier in ("minute", "hour"):
        for family in ("system", "disk", "gpu"):
            assert {r.client_id for r in store.tiers.rows(tier, family, BASE, BASE + 7200)} == {"c2"}


def test_a_day_bucket_is_its_hours_merged_and_rebuilds_the_same(store: TimeSeriesStore, meta: MetaDB) -> None:
    day = (NOW - 3 * 86400) // 86400 * 86400
    # 01:00 to 01:00 the next day (23 hours in the first day, one in the second), every 20 s; two clients.
    for c in ("c1", "c2"):
        store.write(c, "web", samples(day + 3600, 24 * 3600, step=20))
    d = Downsampler(store, RollupProgress(meta), MetaLease(meta, LEASE_NAME, "a"),
                    clock=lambda: day + 25 * 3600 + 600, initial_lookback=25 * 3600 + 600)
    result = d.run_once()
    assert result.done_until["day"] == day + 86400  # the second day is not whole yet
    for family in ("system", "disk", "gpu"):
        hours = store.tiers.rows("hour", family, day, day + 86400, ["c1"])
        days = store.tiers.rows("day", family, day, day + 2 * 86400, ["c1"])
        assert hours and {r.ts for r in days} == {day}
        want = {r.series: r for r in merge_rows(hours, 86400)}
        for r in days:
            w = want.pop(r.series)
            assert (r.count, r.min, r.max, r.last, r.sketch) == (w.count, w.min, w.max, w.last, w.sketch)
            assert r.sum == pytest.approx(w.sum, rel=1e-12)
        assert not want
    cpu = [r for r in store.tiers.rows("day", "system", day, day + 86400, ["c1"]) if r.metric == "cpu_percent"][0]
    vals = [v for i in range(0, 23 * 3600, 20) if (v := cpu_at(i)) is not None]
    assert (cpu.count, cpu.min, cpu.max, cpu.sketch.count) == (len(vals), min(vals), max(vals), len(vals))
    first = by_key(store.tiers.rows("day", "system", day, day + 86400))
    RollupProgress(meta).mark_late("c1", [day + 7200])  # a late sample: its minute, hour and day built again
    again = d.run_once()
    assert again.late == 1 and again.rows["day"] > 0
    assert by_key(store.tiers.rows("day", "system", day, day + 86400)) == first
    store.delete_client("c1")
    assert {r.client_id for f in ("system", "disk", "gpu")
            for r in store.tiers.rows("day", f, day, day + 86400)} == {"c2"}


def test_hours_built_before_the_day_tier_get_their_days(store: TimeSeriesStore, meta: MetaDB) -> None:
    old = (NOW - 20 * 86400) // 86400 * 86400  # older than the raw samples and the first pass's lookback
    hours = [TierRow("c1", "system", "", "cpu_percent", old + h * 3600, 10, 10.0 * h, float(h), float(h), float(h),
                     Sketch(LINEAR, {h: 10})) for h in range(24)]
    store.tiers.write("hour", hours)
    progress = RollupProgress(meta)
    now = NOW // 3600 * 3600
    progress.set("minute", now)
    progress.set("hour", now)
    result = Downsampler(store, progress, MetaLease(meta, LEASE_NAME, "a"), clock=lambda: now + 300).run_once()
    assert result.done_until["day"] == now // 86400 * 86400
    (day,) = store.tiers.rows("day", "system", old - 86400, old + 2 * 86400)
    assert (day.ts, day.count, day.sum, day.min, day.max, day.last) == (old, 240, 2760.0, 0.0, 23.0, 23.0)
    assert day.sketch.bins == {h: 10 for h in range(24)}


@pytest.mark.influx
def test_the_readmes_tier_query_runs_on_influxdb(request: pytest.FixtureRequest, meta: MetaDB,
                                                 tmp_path: Path) -> None:
    import re

    from tests.store.conftest import make_store

    store = make_store("influxdb", tmp_path, request)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### History tiers")[1].split("\n### ")[0]
    (query,) = re.findall(r"```sql\n(.*?)```", section, re.S)
    day = (NOW - 3 * 86400) // 86400 * 86400 + 3600  # 01:00 UTC: the three hours stay in one day's bucket
    store.write("abc", "web-1", samples(day, 3 * 3600, step=10))
    Downsampler(store, RollupProgress(meta), MetaLease(meta, LEASE_NAME, "a"), clock=lambda: day + 4 * 3600,
                initial_lookback=4 * 3600).run_once()
    text = " ".join(query.split()).replace('"statusmon".', f'"{store.db}".')  # type: ignore[attr-defined]
    result = store.query(text)  # type: ignore[attr-defined]
    values = [v for s in result[0]["series"] for v in s["values"] if v[1] is not None]
    want = [v for i in range(3 * 3600) if i % 10 == 0 and (v := cpu_at(i)) is not None]
    assert len(values) == 1 and values[0][1] == pytest.approx(sum(want) / len(want))
    assert values[0][2] == max(want)
    store.close()


@pytest.mark.parametrize("shuffled", [False, True])
def test_minute_buckets_from_raw_points_equal_each_minutes_statistics(shuffled: bool) -> None:
    # buckets_from_raw cuts a series' (ascending) times into minutes once for all its metrics; points in another
    # order are sorted first. Checked against each minute's values gathered one by one, gaps and nulls included.
    times = [t for t in range(BASE, BASE + 600, 3) if not BASE + 120 <= t < BASE + 300]
    cpu: list[float | None] = [None if t % 7 == 0 else float(t % 89) for t in times]
    docker: list[float | None] = [float(10**9 + t) for t in times]
    if shuffled:
        order = list(range(len(times)))
        random.Random(5).shuffle(order)
        times, cpu, docker = ([col[i] for i in order] for col in (times, cpu, docker))
    raw = {("c1", ""): Series(step=None, time=times, values={"cpu_percent": cpu, "docker_bytes": docker})}
    rows = buckets_from_raw("system", raw, 60)
    want: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for metric, col in (("cpu_percent", cpu), ("docker_bytes", docker)):
        for t, v in zip(times, col, strict=True):
            if v is not None:
                want.setdefault((metric, t // 60 * 60), []).append((t, v))
    assert {(r.metric, r.ts) for r in rows} == set(want) and len(rows) == len(want)
    for r in rows:
        pts = sorted(want[(r.metric, r.ts)])
        vals = [v for _, v in pts]
        sk = Sketch.for_unit("percent" if r.metric == "cpu_percent" else "bytes")
        sk.add(vals)
        assert (r.count, r.sum, r.min, r.max, r.last) == (len(vals), math.fsum(vals), min(vals), max(vals),
                                                          vals[-1])
        assert r.sketch == sk


class PointReads:
    """Notes the clients each ``points`` read asks for, on the real store (a spy, not a fake: it reads)."""

    def __init__(self, store: TimeSeriesStore):
        self.asked: list[tuple[str, ...] | None] = []
        self._points = store.points

        def points(family: str, start: int, end: int, fields: Any = None, client_ids: Any = None) -> Any:
            self.asked.append(None if client_ids is None else tuple(client_ids))
            return self._points(family, start, end, fields, client_ids)

        store.points = points  # type: ignore[method-assign]


def test_late_samples_rebuild_only_their_clients_buckets(store: TimeSeriesStore, meta: MetaDB) -> None:
    # Two hours of two hosts, built; then c1 sends a spool of 10 minutes late (its samples in minutes that were
    # built without them). The next pass reads c1's points of those minutes only, and every tier ends as a build
    # from scratch over all the points would have it; c2's rows and the tiers' progress stay as they were.
    store.write("c1", "web-1", [s for s in samples(BASE, 2 * 3600, step=10) if not 1800 <= s.ts - BASE < 2400])
    store.write("c2", "web-2", samples(BASE, 2 * 3600, step=10))
    now = BASE + 2 * 3600 + 600
    first = downsampler(store, meta, now).run_once()
    progress = RollupProgress(meta)
    before = progress.all()
    c2_rows = by_key([r for t in ("minute", "hour") for f in ("system", "disk", "gpu")
                      for r in store.tiers.rows(t, f, BASE, now, ["c2"])])
    late = [s for s in samples(BASE, 2 * 3600, step=10) if 1800 <= s.ts - BASE < 2400]
    store.write("c1", "web-1", late)
    progress.mark_late("c1", {s.ts // 60 * 60 for s in late})
    reads = PointReads(store)
    again = downsampler(store, meta, now).run_once()
    assert again.late == 10 and again.rows["minute"] == 10 * 5 and again.rows["hour"] == 5  # 5 series a host
    assert set(reads.asked) == {("c1",)} and len(reads.asked) == 3  # one read a family for the 10 minutes
    assert progress.all() == before and progress.late(now) == []
    got = by_key([r for t in ("minute", "hour") for f in ("system", "disk", "gpu")
                  for r in store.tiers.rows(t, f, BASE, now)])
    for tier in ("minute", "hour"):
        progress.set(tier, BASE)
    scratch = downsampler(store, meta, now).run_once()
    assert scratch.done_until == first.done_until
    want = by_key([r for t in ("minute", "hour") for f in ("system", "disk", "gpu")
                   for r in store.tiers.rows(t, f, BASE, now)])
    assert got == want and {k: v for k, v in got.items() if k[0] == "c2"} == c2_rows


def test_a_late_minute_not_built_yet_waits_for_its_build(store: TimeSeriesStore, meta: MetaDB) -> None:
    # A mark for a minute the forward pass has not reached (it was reading that minute as the sample came) stays
    # until the minute is built, and is then built again with the sample in it.
    store.write("c1", "web-1", samples(BASE, 600, step=10))
    progress = RollupProgress(meta)
    progress.mark_late("c1", [BASE + 300])
    first = downsampler(store, meta, BASE + 300 + 90).run_once()
    assert first.done_until["minute"] == BASE + 300 and first.late == 0
    assert [m.minute for m in progress.late(BASE + 3600)] == [BASE + 300]
    second = downsampler(store, meta, BASE + 600 + 90).run_once()
    assert second.late == 1 and progress.late(BASE + 3600) == []


def test_late_minutes_of_many_clients_are_read_together(store: TimeSeriesStore, meta: MetaDB) -> None:
    # A fleet back from one outage: three hosts' spools over the same 5 minutes are one read a family (not one a
    # host), c3's single minute inside the run included; the buckets equal a build from scratch.
    for c in ("c1", "c2", "c3"):
        store.write(c, c, [s for s in samples(BASE, 3600, step=10) if not 600 <= s.ts - BASE < 900])
    now = BASE + 3600 + 600
    downsampler(store, meta, now).run_once()
    progress = RollupProgress(meta)
    for c, span in (("c1", range(600, 900)), ("c2", range(600, 900)), ("c3", range(720, 780))):
        late = [s for s in samples(BASE, 3600, step=10) if s.ts - BASE in span]
        store.write(c, c, late)
        progress.mark_late(c, {s.ts // 60 * 60 for s in late})
    reads = PointReads(store)
    again = downsampler(store, meta, now).run_once()
    assert again.late == 11 and reads.asked == [("c1", "c2", "c3")] * 3
    got = by_key([r for t in ("minute", "hour") for r in store.tiers.rows(t, "system", BASE, now)])
    for tier in ("minute", "hour"):
        progress.set(tier, BASE)
    downsampler(store, meta, now).run_once()
    assert got == by_key([r for t in ("minute", "hour") for r in store.tiers.rows(t, "system", BASE, now)])


def test_a_first_pass_skips_the_empty_days_to_the_first_sample(store: TimeSeriesStore, meta: MetaDB) -> None:
    # A fresh install looks back a week: its first pass jumps from the first empty chunk to the minute of the first
    # sample (one ``first_time`` a family) instead of reading 1,000 empty ten-minute chunks, and builds the same.
    store.write("c1", "web-1", samples(BASE + 3600 + 37, 1200, step=10))
    reads = PointReads(store)
    now = BASE + 3600 + 1200 + 600
    result = Downsampler(store, RollupProgress(meta), MetaLease(meta, LEASE_NAME, "a"), clock=lambda: now,
                         initial_lookback=7 * 86400).run_once()
    assert len(reads.asked) <= 3 * 4  # the empty chunk, then the 20 minutes of samples in 10-minute chunks
    assert result.done_until["minute"] == (now - 90) // 60 * 60
    minutes = store.tiers.rows("minute", "system", BASE - 7 * 86400, now)
    assert {r.ts for r in minutes} == {BASE + 3600 + m * 60 for m in range(21)}


def test_runs_of_late_buckets_are_consecutive_and_at_most_a_chunk_long() -> None:
    from statusmon.store.downsampler import _runs

    assert _runs([120, 0, 60, 300, 60], 60, 600) == [(0, 180), (300, 360)]
    assert _runs(list(range(0, 1500, 60)), 60, 600) == [(0, 600), (600, 1200), (1200, 1500)]
    assert _runs([3600], 3600, 600) == [(3600, 7200)]  # a chunk shorter than a bucket still takes one
    assert _runs([], 60, 600) == []
