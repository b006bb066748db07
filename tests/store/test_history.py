"""Stats and chart series over the tiers, on both backends: min/max/avg/count equal the raw points' for ranges
that start and end mid-bucket, p95 within its bound of the exact nearest-rank p95."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusmon.meta.db import MetaDB
from statusmon.meta.leases import MetaLease
from statusmon.meta.rollup_progress import RollupProgress
from statusmon.store.base import Sample, TimeSeriesStore
from statusmon.store.downsampler import LEASE_NAME, Downsampler
from statusmon.store.history import HistoryStats, plan, read_aggregate, read_series
from statusmon.store.percentile import percentile
from statusmon.store.sqlite import SQLiteStore

NOW = int(time.time())
BASE = (NOW - 2 * 86400) // 3600 * 3600
FIELDS = ["cpu_percent", "ram_percent", "docker_bytes"]


def build(store: TimeSeriesStore, meta: MetaDB, now: int) -> RollupProgress:
    progress = RollupProgress(meta)
    Downsampler(store, progress, MetaLease(meta, LEASE_NAME, "t"), clock=lambda: now,
                initial_lookback=now - BASE).run_once()
    return progress


def test_a_range_is_cut_into_built_days_hours_minutes_and_raw_edges() -> None:
    day = BASE // 86400 * 86400
    built = {"minute": day + 2 * 86400 + 3660, "hour": day + 2 * 86400 + 3600, "day": day + 2 * 86400}
    assert plan(day - 30, day + 2 * 86400 + 3700, built) == [
        ("raw", day - 30, day), ("day", day, day + 2 * 86400), ("hour", day + 2 * 86400, day + 2 * 86400 + 3600),
        ("minute", day + 2 * 86400 + 3600, day + 2 * 86400 + 3660), ("raw", day + 2 * 86400 + 3660,
                                                                      day + 2 * 86400 + 3700)]
    built = {"minute": BASE + 3 * 3600 + 600, "hour": BASE + 3 * 3600}
    assert plan(BASE + 30, BASE + 4 * 3600, built) == [
        ("raw", BASE + 30, BASE + 60), ("minute", BASE + 60, BASE + 3600), ("hour", BASE + 3600, BASE + 3 * 3600),
        ("minute", BASE + 3 * 3600, BASE + 3 * 3600 + 600), ("raw", BASE + 3 * 3600 + 600, BASE + 4 * 3600)]
    assert plan(BASE + 30, BASE + 4 * 3600, {}) == [("raw", BASE + 30, BASE + 4 * 3600)]


def test_stats_over_tiers_equal_the_raw_statistics(store: TimeSeriesStore, tmp_path: Path) -> None:
    rng = random.Random(11)
    batch = []
    for i in range(0, 5 * 3600, 2):
        if 7000 <= i < 9000:
            continue  # a gap across an hour's edge
        cpu = 100.0 if i % 601 == 0 else round(rng.betavariate(2, 5) * 100, 2)
        batch.append(Sample(BASE + i, {"cpu_percent": cpu, "ram_percent": 37.5,
                                       "docker_bytes": 10**9 + rng.randrange(10**6)}))
    store.write("c1", "h", batch)
    meta = MetaDB(tmp_path / "meta.db")
    progress = build(store, meta, BASE + 4 * 3600 + 300)
    history = HistoryStats(store, progress.all, exact_seconds=600)
    for start, end in [(BASE + 17, BASE + 4 * 3600 + 1234), (BASE + 3599, BASE + 3 * 3600 + 61),
                       (BASE + 61, BASE + 5 * 3600)]:
        got = history.stats("c1", start, end, FIELDS)
        assert not got.exact and got.seconds_by_source.get("hour") and got.seconds_by_source.get("raw")
        want = store.stats("c1", start, end, FIELDS)
        for f in FIELDS:
            g, w = got.stats[f], want[f]
            assert (g.count, g.min, g.max) == (w.count, w.min, w.max), f
            assert g.avg == pytest.approx(w.avg, rel=1e-12), f
            assert g.p95 is not None and w.p95 is not None
        assert got.p95_error == {"cpu_percent": 0.5, "ram_percent": 0.5, "docker_bytes": 0.01}
        assert abs(got.stats["cpu_percent"].p95 - want["cpu_percent"].p95) <= 0.5  # type: ignore[operator]
        assert got.stats["ram_percent"].p95 == 37.5
        assert got.stats["docker_bytes"].p95 == pytest.approx(want["docker_bytes"].p95, rel=0.01)


def test_stats_over_whole_days_read_the_day_tier_and_equal_the_raw_statistics(store: TimeSeriesStore,
                                                                              tmp_path: Path) -> None:
    rng = random.Random(5)
    day = (NOW - 4 * 86400) // 86400 * 86400
    batch = [Sample(day + i, {"cpu_percent": 100.0 if i % 7001 == 0 else round(rng.betavariate(2, 5) * 100, 2),
                              "ram_percent": 37.5, "docker_bytes": 10**9 + rng.randrange(10**6)})
             for i in range(1800, 3 * 86400, 30)]
    store.write("c1", "h", batch)
    meta = MetaDB(tmp_path / "meta.db")
    progress = RollupProgress(meta)
    Downsampler(store, progress, MetaLease(meta, LEASE_NAME, "t"), clock=lambda: day + 3 * 86400 + 300,
                initial_lookback=3 * 86400 + 300).run_once()
    assert progress.get("day") == day + 3 * 86400
    history = HistoryStats(store, progress.all, exact_seconds=600)
    for start, end in [(day + 17, day + 3 * 86400), (day + 86400 - 61, day + 2 * 86400 + 3 * 3600 + 31),
                       (day - 3600, day + 3 * 86400 + 100)]:
        got = history.stats("c1", start, end, FIELDS)
        assert got.seconds_by_source.get("day", 0) >= 86400, got.seconds_by_source
        want = store.stats("c1", start, end, FIELDS)
        for f in FIELDS:
            g, w = got.stats[f], want[f]
            assert (g.count, g.min, g.max) == (w.count, w.min, w.max), f
            assert g.avg == pytest.approx(w.avg, rel=1e-12), f
        assert abs(got.stats["cpu_percent"].p95 - want["cpu_percent"].p95) <= 0.5  # type: ignore[operator]
        assert got.stats["ram_percent"].p95 == 37.5
        assert got.stats["docker_bytes"].p95 == pytest.approx(want["docker_bytes"].p95, rel=0.01)


def test_fields_without_tiers_are_read_raw_beside_the_tiered_ones(store: TimeSeriesStore, tmp_path: Path) -> None:
    # load1_per_core has no tiers (no ``rollup`` flag): asking for it with cpu_percent (as the dashboard asks for
    # every field) reads it raw and still reads cpu_percent from the tiers, not from the raw samples alone.
    day = (NOW - 3 * 86400) // 86400 * 86400
    store.write("c1", "h", [Sample(day + i, {"cpu_percent": float(i % 97), "load1_per_core": 0.25})
                            for i in range(0, 2 * 86400, 60)])
    meta = MetaDB(tmp_path / "meta.db")
    progress = RollupProgress(meta)
    Downsampler(store, progress, MetaLease(meta, LEASE_NAME, "t"), clock=lambda: day + 2 * 86400 + 300,
                initial_lookback=2 * 86400 + 300).run_once()
    got = HistoryStats(store, progress.all).stats("c1", day, day + 2 * 86400, ["load1_per_core", "cpu_percent"])
    assert list(got.stats) == ["load1_per_core", "cpu_percent"]
    assert got.seconds_by_source.get("day") == 2 * 86400
    assert got.p95_error == {"load1_per_core": 0.0, "cpu_percent": 0.5}
    want = store.stats("c1", day, day + 2 * 86400, ["cpu_percent", "load1_per_core"])
    assert got.stats["load1_per_core"] == want["load1_per_core"]
    c, w = got.stats["cpu_percent"], want["cpu_percent"]
    assert (c.count, c.min, c.max) == (w.count, w.min, w.max) == (2 * 1440, 0.0, 96.0)


def test_chart_series_read_the_tier_up_to_where_it_is_built(store: TimeSeriesStore, tmp_path: Path) -> None:
    store.write("c1", "h", [Sample(BASE + i, {"cpu_percent": float(i % 100)}) for i in range(0, 4 * 3600, 5)])
    meta = MetaDB(tmp_path / "meta.db")
    built = build(store, meta, BASE + 3 * 3600 + 100).all()
    assert (built["minute"], built["hour"]) == (BASE + 3 * 3600, BASE + 3 * 3600)
    for step, resolution in [(3600, "hour"), (300, "minute"), (10, "raw")]:
        got, res = read_series(store, built, "c1", BASE + 30, BASE + 4 * 3600, step, "system", ["cpu_percent"])
        assert res == resolution
        want = store.series("c1", BASE + 30, BASE + 4 * 3600, step, "system", ["cpu_percent"])
        if resolution != "raw":  # the tier holds whole buckets: the first one counts from BASE, not BASE + 30
            want = store.series("c1", BASE, BASE + 4 * 3600, step, "system", ["cpu_percent"])
        assert got[""].time == want[""].time
        assert got[""].values["cpu_percent"] == pytest.approx(want[""].values["cpu_percent"], rel=1e-12)
        assert got[""].maxima == want[""].maxima


@pytest.mark.parametrize("days_built, resolution", [(2, "day"), (1, "day"), (0, "hour")])
def test_a_charts_last_step_reads_the_finer_tiers_and_equals_the_raw_samples(
        store: TimeSeriesStore, tmp_path: Path, days_built: int, resolution: str) -> None:
    # Day steps over 2 days and 5 hours: whole days from the day tier where it is built, from the hour tier where
    # it is not yet (just after midnight, yesterday's day row waits for its last hour), the last step from the
    # finer tiers and raw seconds; every way, the raw samples' means and maxima.
    day = (NOW - 4 * 86400) // 86400 * 86400
    store.write("c1", "h", [Sample(day + i, {"cpu_percent": float(i % 97), "ram_percent": 20.0 + i % 7})
                            for i in range(0, 54 * 3600, 10)])
    meta = MetaDB(tmp_path / "meta.db")
    built = build_at(store, meta, day + 54 * 3600 + 200, lookback=3 * 86400)
    assert built["day"] == day + 2 * 86400
    built["day"] = day + days_built * 86400
    end = day + 53 * 3600 + 1234  # the last day's step: 5 hours, 20 minutes and 34 raw seconds
    got, res = read_series(store, built, "c1", day + 30, end, 86400, "system", ["cpu_percent", "ram_percent"])
    want = store.series("c1", day, end, 86400, "system", ["cpu_percent", "ram_percent"])
    assert res == resolution and got[""].time == want[""].time == [day, day + 86400, day + 2 * 86400]
    for f in ("cpu_percent", "ram_percent"):
        assert got[""].values[f] == pytest.approx(want[""].values[f], rel=1e-12)
        assert got[""].maxima[f] == want[""].maxima[f]  # type: ignore[index]


def test_each_aggregation_per_step_reads_the_tiers_and_equals_the_raw_points(store: TimeSeriesStore,
                                                                            tmp_path: Path) -> None:
    # Grafana's mean, max, min and p95 per step: whole days from the day tier, or from the hour tier where no day
    # row is built yet, the step the range's end cuts from the finer tiers and raw seconds (never a whole bucket
    # past the end), a step finer than any tier from the raw points; checked against the points written here.
    day = (NOW - 3 * 86400) // 86400 * 86400
    rng = random.Random(3)
    cpu = {day + i: 100.0 if i % 7919 == 0 else round(rng.uniform(0, 70), 2) for i in range(0, 30 * 3600, 10)}
    store.write("c1", "h", [Sample(t, {"cpu_percent": v}) for t, v in cpu.items()])
    built = build_at(store, MetaDB(tmp_path / "meta.db"), day + 30 * 3600 + 200)
    end = day + 29 * 3600 + 1234
    assert built["day"] == day + 86400
    for step, resolution, days in [(86400, "day", 1), (86400, "hour", 0), (3600, "hour", 1), (600, "minute", 1),
                                   (30, "raw", 1)]:
        built["day"] = day + days * 86400
        start = end - 4 * 3600 - 17 if step == 30 else day + 30
        want: dict[int, list[float]] = {}
        first = start if resolution == "raw" else start // step * step  # a tier step holds whole buckets
        for ts, value in cpu.items():
            if first <= ts < end:
                want.setdefault(ts // step * step, []).append(value)
        for agg in ("min", "p95", "mean", "max"):
            got, res = read_aggregate(store, built, "c1", start, end, step, "system", ["cpu_percent"], agg)
            assert res == resolution and got[""].time == sorted(want), (step, agg)
            for t, v in zip(got[""].time, got[""].values["cpu_percent"], strict=True):
                if agg == "mean":
                    assert v == pytest.approx(sum(want[t]) / len(want[t]), rel=1e-9), (step, t)
                elif agg in ("min", "max"):
                    assert v == (min(want[t]) if agg == "min" else max(want[t])), (step, agg, t)
                elif resolution == "raw":
                    assert v == percentile(want[t], 95), (step, t)
                else:
                    exact = percentile(want[t], 95)
                    assert v is not None and exact is not None and abs(v - exact) <= 0.5 + 1e-9, (step, t)


def build_at(store: TimeSeriesStore, meta: MetaDB, now: int, lookback: int = 2 * 86400) -> dict[str, int]:
    progress = RollupProgress(meta)
    Downsampler(store, progress, MetaLease(meta, LEASE_NAME, "t"), clock=lambda: now,
                initial_lookback=lookback).run_once()
    return progress.all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_p95_over_tiers_is_within_the_bound_for_any_data(tmp_path: Path, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["constant", "spiky", "random", "gappy"]))
    n = 3 * 360
    if kind == "constant":
        cpu = [data.draw(st.floats(0, 100))] * n
    elif kind == "spiky":
        cpu = [100.0 if data.draw(st.booleans()) and i % 50 == 0 else 1.0 for i in range(n)]
    else:
        cpu = data.draw(st.lists(st.floats(0, 100), min_size=n, max_size=n))
    present = [None if kind == "gappy" and (i // 60) % 3 == 1 else v for i, v in enumerate(cpu)]
    store = SQLiteStore(":memory:")
    store.write("c", "h", [Sample(BASE + 10 * i, {"cpu_percent": v}) for i, v in enumerate(present)])
    progress = build(store, MetaDB(":memory:"), BASE + 4 * 3600)
    start = BASE + data.draw(st.integers(0, 3000))
    end = BASE + 3 * 3600 - data.draw(st.integers(0, 3000))
    got = HistoryStats(store, progress.all, exact_seconds=0).stats("c", start, end, ["cpu_percent"])
    values = [v for i, v in enumerate(present) if v is not None and start <= BASE + 10 * i < end]
    g = got.stats["cpu_percent"]
    assert g.count == len(values)
    if values:
        assert (g.min, g.max) == (min(values), max(values))
        assert abs(g.p95 - percentile(values, 95)) <= 0.5 + 1e-9  # type: ignore[operator]
