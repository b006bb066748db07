"""Grafana's /query over ranges longer than the raw samples' week reads the history tiers, on both backends.

One host with 40 days of samples (every 5 minutes; spikes; two mounts, two GPUs), tiers built by the real
downsampler, then the raw samples older than 7 days removed as retention removes them (SQLite: the store's
prune; InfluxDB: the raw policy's shards dropped, as influxd's retention service drops them). Every number is
checked against the same statistic computed here from the points this test generated: min, max, avg and count
exactly, p95 within the sketch's bound of a hand-written nearest-rank p95.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest

from api.app import create_app
from statusmon.config import Settings
from statusmon.meta.leases import MetaLease
from statusmon.store.base import DiskSample, GpuSample, Sample
from statusmon.store.downsampler import LEASE_NAME, Downsampler
from tests.grafana.conftest import ADMIN_PASSWORD
from tests.grafana.fleet import iso, post

DAY = 86400
NOW = int(time.time())
FIRST = (NOW - 40 * DAY) // 60 * 60 + 17  # every sample at second 17 of its minute
EVERY = 300
RAW_KEPT = 7 * DAY
MOUNTS = ("/", "/data")
TOTAL = 10**12  # a mount's size in bytes


@dataclass
class Point:
    ts: int
    values: dict[tuple[str, str, str], float]  # (family, key, metric) -> value


def generate() -> list[Point]:
    rnd = random.Random(42)
    out = []
    for ts in range(FIRST, NOW - 60, EVERY):
        v: dict[tuple[str, str, str], float] = {
            ("system", "", "cpu_percent"): 100.0 if rnd.random() < 0.03 else round(rnd.uniform(0, 60), 2),
            ("system", "", "ram_percent"): round(rnd.uniform(30, 40), 1),
            ("system", "", "docker_bytes"): float(rnd.randrange(10**9, 10**10)),
        }
        for m in MOUNTS:
            used = rnd.randrange(TOTAL // 10, TOTAL)
            v[("disk", m, "used_bytes")] = float(used)
            v[("disk", m, "used_percent")] = round(100.0 * used / TOTAL, 4)  # df's Use% without avail: used/total
        for g in ("0", "1"):
            v[("gpu", g, "temp_c")] = round(rnd.uniform(30, 90), 1)
            v[("gpu", g, "power_w")] = 400.0 if rnd.random() < 0.02 else round(rnd.uniform(50, 300), 1)
        out.append(Point(ts, v))
    return out


def as_sample(p: Point) -> Sample:
    v = p.values
    system = {m: v[("system", "", m)] for m in ("cpu_percent", "ram_percent", "docker_bytes")}
    system["docker_bytes"] = int(system["docker_bytes"])
    return Sample(p.ts, system,
                  disks=tuple(DiskSample(m, int(v[("disk", m, "used_bytes")]), TOTAL) for m in MOUNTS),
                  gpus=tuple(GpuSample(int(g), temp_c=v[("gpu", g, "temp_c")], power_w=v[("gpu", g, "power_w")])
                             for g in ("0", "1")))


@dataclass
class LongEnv:
    app: Any
    token: str
    points: list[Point]
    backend: str


def drop_old_raw_shards(store: Any, before: int) -> int:
    """What influxd's retention service does to the raw policy once it keeps 7 days: drop its shards that end
    before then (a DELETE would reach the tiers' policies too: their measurements have the same names)."""
    dropped = 0
    for result in store.query("SHOW SHARDS"):
        for s in result.get("series") or ():
            cols = s["columns"]
            for row in s.get("values") or ():
                r = dict(zip(cols, row, strict=True))
                end = datetime.fromisoformat(r["end_time"].replace("Z", "+00:00")).timestamp()
                if r["database"] == store.db and r["retention_policy"] == "week" and end <= before:
                    store.query(f"DROP SHARD {int(r['id'])}")
                    dropped += 1
    return dropped


@pytest.fixture(scope="module", params=["sqlite", pytest.param("influxdb", marks=pytest.mark.influx)])
def long_env(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LongEnv]:
    data_dir = tmp_path_factory.mktemp(f"grafana-long-{request.param}")
    settings = Settings(data_dir=data_dir, admin_password=ADMIN_PASSWORD)
    if request.param == "influxdb":
        influxd = request.getfixturevalue("influxd")
        settings = Settings(data_dir=data_dir, admin_password=ADMIN_PASSWORD, influx_url=influxd.url,
                            influx_db=f"grafana_long_{data_dir.name.replace('-', '_')}")
    app = create_app(settings, start_background=False)
    state = app.extensions["statusmon"]
    store = state.store
    if request.param == "influxdb":
        store.set_retention("raw", 60)  # so that 40-day-old samples are accepted at all
    client, _ = state.clients.add("long-1")
    points = generate()
    samples = [as_sample(p) for p in points]
    for i in range(0, len(samples), 2000):
        store.write(client.id, "long-1", samples[i:i + 2000])
    done = Downsampler(store, state.rollup_progress, MetaLease(state.meta, LEASE_NAME, "test"), clock=lambda: NOW,
                       initial_lookback=41 * DAY, minute_chunk=DAY).run_once()
    assert done.ran and done.done_until["day"] >= (NOW - DAY) // DAY * DAY - DAY
    if request.param == "influxdb":
        store.set_retention("raw", 7)
        assert drop_old_raw_shards(store, NOW - RAW_KEPT) >= 30
    else:
        store.prune(NOW - RAW_KEPT)
    # The premise: the raw samples of the range's first three weeks are gone.
    old = store.series(client.id, FIRST, NOW - 9 * DAY, None, "system", ["cpu_percent"])
    assert not old or not any(v is not None for s in old.values() for v in s.values["cpu_percent"])
    _, token = state.api_tokens.create("grafana")
    yield LongEnv(app, token, points, request.param)
    store.close()


# -- the statistics, written here (never the product's loops) ---------------------------------------------------


def nearest_rank_p95(values: list[float]) -> float:
    """InfluxQL's PERCENTILE: sort, take the element at rank floor(n * 0.95 + 0.5) (1-based)."""
    ordered = sorted(values)
    rank = int(math.floor(len(ordered) * 95 / 100 + 0.5))
    return ordered[max(rank, 1) - 1]


def within_bound(got: float, want: float, metric: str) -> bool:
    if metric.endswith("percent"):
        return abs(got - want) <= 0.5 + 1e-9  # percentages: half a point
    return abs(got - want) <= 0.01 * abs(want) + 1e-9  # bytes, watts, degrees: 1 % relative


def expected(points: list[Point], family: str, key: str, metric: str, start: int, end: int,
             step: int) -> dict[int, list[float]]:
    """Each step's values: the tiers hold whole buckets, so the first step counts from its start (not the
    range's), the last up to the range's end."""
    out: dict[int, list[float]] = {}
    for p in points:
        if start // step * step <= p.ts < end:
            out.setdefault(p.ts // step * step, []).append(p.values[(family, key, metric)])
    return out


def query(env: LongEnv, targets: list[dict[str, Any]], start: int, last: int, interval_ms: int) -> list[Any]:
    body = {"range": {"from": iso(start), "to": iso(last)}, "targets": targets, "intervalMs": interval_ms,
            "maxDataPoints": 2000}
    return post(env.app.test_client(), "/query", env.token, body)


# Mid-bucket at both ends (mid-minute, mid-hour, mid-day), 30 days and then some, well past the raw week. The
# stats read the seconds before the range's first whole minute raw, and those are gone: no sample falls there
# (second 30 of a minute, samples at second 17).
START = (NOW - 30 * DAY) // 3600 * 3600 + 25 * 60 + 30
LAST = NOW - 77  # Grafana's "to" is inclusive: the range is [START, LAST + 1)


@pytest.mark.parametrize("target, family, keys", [
    ("cpu_percent", "system", [""]),
    ("docker_bytes", "system", [""]),
    ("disk.used_percent", "disk", list(MOUNTS)),
    ("gpu.power_w", "gpu", ["0", "1"]),
    ("gpu.temp_c", "gpu", ["0", "1"]),
])
@pytest.mark.parametrize("step", [3600, 6 * 3600])
def test_every_aggregation_over_30_days_equals_the_generated_points(long_env: LongEnv, target: str, family: str,
                                                                    keys: list[str], step: int) -> None:
    metric = target.split(".")[-1]
    aggs = ("mean", "max", "min", "p95")
    got = query(long_env, [{"target": target, "refId": a, "payload": {"client": "long-1", "aggregation": a}}
                           for a in aggs], START, LAST, step * 1000)
    by = {(r["refId"], r["target"]): r["datapoints"] for r in got}
    for key in keys:
        want = expected(long_env.points, family, key, metric, START, LAST + 1, step)
        assert min(want) < NOW - 20 * DAY  # the range reaches three weeks past the raw samples
        label = {"system": "long-1", "disk": f"long-1 {key}", "gpu": f"long-1 gpu{key}"}[family] + f" {metric}"
        for agg in aggs:
            points = by[(agg, label if agg == "mean" else f"{label} {agg}")]
            times = [t // 1000 for _, t in points]
            assert times == sorted(want), (agg, key)  # a point for every step, none past 7 days missing
            for value, t in points:
                vals = want[t // 1000]
                if agg == "mean":
                    assert value == pytest.approx(math.fsum(vals) / len(vals), rel=1e-9), (agg, key, t)
                elif agg in ("max", "min"):
                    assert value == (max(vals) if agg == "max" else min(vals)), (agg, key, t)
                else:
                    assert within_bound(value, nearest_rank_p95(vals), metric), (key, t, value, vals)


def test_the_stats_table_over_30_days_equals_the_generated_points(long_env: LongEnv) -> None:
    metrics = ["cpu_percent", "ram_percent", "docker_bytes"]
    got = query(long_env, [{"target": "stats", "payload": {"client": "long-1", "metrics": metrics}}],
                START, LAST, 3_600_000)
    columns = [c["text"] for c in got[0]["columns"]]
    rows = {r[columns.index("metric")]: dict(zip(columns, r, strict=True)) for r in got[0]["rows"]}
    for metric in metrics:
        vals = [p.values[("system", "", metric)] for p in long_env.points if START <= p.ts <= LAST]
        row = rows[metric]
        assert row["count"] == len(vals) > 30 * DAY // EVERY - 10, metric  # the 23 days without raw counted too
        assert (row["min"], row["max"]) == (min(vals), max(vals)), metric
        assert row["avg"] == pytest.approx(math.fsum(vals) / len(vals), rel=1e-12), metric
        assert within_bound(row["p95"], nearest_rank_p95(vals), metric), metric
        assert row["exact"] == "no"


def test_a_year_at_the_dashboards_interval_reads_the_tiers_and_is_not_empty(long_env: LongEnv) -> None:
    """Grafana's "Last 1 year" (its interval rounds to 12 h): every step with data answers, from the tiers."""
    step = 12 * 3600
    got = query(long_env, [{"target": "cpu_percent", "refId": a, "payload": {"client": "long-1", "aggregation": a}}
                           for a in ("min", "p95")], NOW - 365 * DAY, LAST, step * 1000)
    want = expected(long_env.points, "system", "", "cpu_percent", NOW - 365 * DAY, LAST + 1, step)
    for r in got:
        assert [t // 1000 for _, t in r["datapoints"]] == sorted(want)
        assert r["datapoints"][0][1] // 1000 < NOW - 35 * DAY
    mins = {t // 1000: v for v, t in next(r for r in got if r["refId"] == "min")["datapoints"]}
    assert mins == {t: min(vs) for t, vs in want.items()}
