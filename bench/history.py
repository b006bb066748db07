"""Two years of history: one host with 90 days of minute buckets, 2 years of hour buckets and 7 days of raw
samples, on InfluxDB (a throwaway influxd) and SQLite; then the downsampler's cost at many hosts.

Queries (median of --runs, milliseconds): stats over 7 d, 90 d, 1 y and 2 y as the API computes them
(statusmon/store/history.py), beside the aggregate InfluxQL on the tier the API reads; chart series over 90 d and
1 y at the API's default step. Storage: the tiers' bytes on disk (InfluxDB: the minute and hour policies'
directories after a full compaction; SQLite: the tier tables' pages). Downsampler: one pass over one minute of
--hosts hosts reporting every second (system metrics, one mount, one GPU): CPU seconds of this process per
minute of data, as a share of one core.

The tier rows are synthetic (busy CPU, drifting RAM, constant disk; a pool of distinct buckets repeated), built
the way the downsampler builds them.

    .venv/bin/python -m bench.history            # full scale
    .venv/bin/python -m bench.history --minute-days 30 --hour-days 365 --hosts 200   # quicker
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

import tests.support.influxd as influxd_support
from api.views.series import DEFAULT_MAX_POINTS, choose_step
from bench.common import machine, table, write_json
from statusmon.meta.db import MetaDB
from statusmon.meta.leases import MetaLease
from statusmon.meta.rollup_progress import RollupProgress
from statusmon.store.base import DiskSample, GpuSample, Sample, TimeSeriesStore
from statusmon.store.downsampler import LEASE_NAME, Downsampler
from statusmon.store.history import HistoryStats, read_aggregate, read_series
from statusmon.store.influx import InfluxStore
from statusmon.store.influxtiers import place
from statusmon.store.sketch import Sketch
from statusmon.store.sqlite import SQLiteStore
from statusmon.store.tiers import UNITS, TierRow, merge_rows

DAY = 86400
GEN: dict[str, Callable[[random.Random, int], float | None]] = {
    "cpu_percent": lambda r, i: min(100.0, max(0.0, 35 + 20 * math.sin(i / 5400) + r.gauss(0, 10))),
    "ram_percent": lambda r, i: 40 + 10 * math.sin(i / 40000) + r.gauss(0, 0.2),
    "disk_percent": lambda r, i: 71.3,
    "inode_percent": lambda r, i: 3.2,
    "docker_bytes": lambda r, i: 12_000_000_000 + (i // 3600) * 1000,
    "gpu_percent": lambda r, i: min(100.0, max(0.0, 60 + r.gauss(0, 25))),
}
POOL = 240  # distinct minute buckets per metric (then repeated)
DASHBOARD_POINTS = 600  # what the History page asks for (dashboards/web/src/pages/client/history.ts)


def pool_rows(rng: random.Random) -> dict[str, list[TierRow]]:
    out: dict[str, list[TierRow]] = {}
    for metric, gen in GEN.items():
        rows = []
        for b in range(POOL):
            vals = [float(v) for i in range(60) if (v := gen(rng, b * 60 + i)) is not None]
            sk = Sketch.for_unit(UNITS[("system", metric)])
            sk.add(vals)
            rows.append(TierRow("bench", "system", "", metric, b * 60, 60, math.fsum(vals), min(vals), max(vals),
                                vals[-1], sk))
        out[metric] = rows
    return out


def tier_rows(pool: dict[str, list[TierRow]], start: int, end: int, width: int) -> list[TierRow]:
    """Rows of every ``width`` bucket in [start, end), from the pool (hours merge 60 pool minutes, days 24 of
    those hours, as the downsampler merges them)."""
    src_pool = pool
    if width >= 3600:
        src_pool = {}
        for metric, rows in pool.items():
            merged = []
            for h in range(POOL // 60):
                merged += merge_rows(rows[h * 60:(h + 1) * 60], 3600)
            if width == DAY:
                merged = merge_rows([merged[h % len(merged)] for h in range(24)], DAY)
            src_pool[metric] = merged
    out = []
    for n, ts in enumerate(range(start, end, width)):
        for metric in GEN:
            src = src_pool[metric]
            r = src[n % len(src)]
            out.append(TierRow("bench", "system", "", metric, ts, r.count, r.sum, r.min, r.max, r.last, r.sketch))
    return out


def timed(fn: Callable[[], Any], runs: int) -> float:
    return timed_pair(fn, None, runs)[0]


def timed_pair(a: Callable[[], Any], b: Callable[[], Any] | None, runs: int) -> tuple[float, float]:
    """Medians (ms) of ``a`` and ``b`` run alternately, so both see the same load."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for fn, out in ((a, times[0]), (b, times[1])):
            if fn is not None:
                t0 = time.perf_counter()
                fn()
                out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[0]), statistics.median(times[1]) if times[1] else float("nan")


def settle(pid: int | None, limit: float = 180.0) -> None:
    if pid is None:
        return
    proc = psutil.Process(pid)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.cpu_percent(interval=2.0) > 15:
        pass


def populate(store: TimeSeriesStore, now: int, args: argparse.Namespace, pool: dict[str, list[TierRow]]) -> None:
    rng = random.Random(3)
    raw_start = now - args.raw_days * DAY
    batch = []
    for ts in range(raw_start, now):
        batch.append(Sample(ts, {m: g(rng, ts) for m, g in GEN.items()}))
        if len(batch) == 20_000:
            store.write("bench", "bench-host", batch)
            batch = []
    store.write("bench", "bench-host", batch)
    minute_start = (now - args.minute_days * DAY) // 3600 * 3600
    rows = tier_rows(pool, minute_start, now // 60 * 60 - 120, 60)
    for i in range(0, len(rows), 60_000):
        store.tiers.write("minute", rows[i:i + 60_000])
    hour_start = (now - args.hour_days * DAY) // DAY * DAY  # on a day, so the first day row is whole
    rows = tier_rows(pool, hour_start, now // 3600 * 3600, 3600)
    for i in range(0, len(rows), 60_000):
        store.tiers.write("hour", rows[i:i + 60_000])
    store.tiers.write("day", tier_rows(pool, hour_start, now // DAY * DAY, DAY))


Timing = dict[str, float | None]  # column -> median ms ("hours": stats before the day tier, "days": with it)


def queries(store: TimeSeriesStore, now: int, runs: int) -> dict[str, Timing]:
    hours_built = {"minute": now // 60 * 60 - 120, "hour": now // 3600 * 3600}
    built = hours_built | {"day": now // DAY * DAY}
    before, after = HistoryStats(store, lambda: hours_built), HistoryStats(store, lambda: built)
    fields = list(GEN)  # the six series the bench fills (all have tiers)
    out: dict[str, Timing] = {}
    for name, days in (("7d", 7), ("90d", 90), ("1y", 365), ("2y", 730)):
        start = now - days * DAY
        old, new = before.stats("bench", start, now, fields), after.stats("bench", start, now, fields)
        assert new.stats["cpu_percent"].count > 0
        for f in fields:  # the day tier changes nothing in the answer
            o, n = old.stats[f], new.stats[f]
            assert (o.count, o.min, o.max, o.p95) == (n.count, n.min, n.max, n.p95), (f, o, n)
            assert o.avg is not None and n.avg is not None and math.isclose(o.avg, n.avg, rel_tol=1e-9), f
        hours, days_ms = timed_pair(lambda s=start: before.stats("bench", s, now, fields),
                                    lambda s=start: after.stats("bench", s, now, fields), runs)
        raw = None
        if isinstance(store, InfluxStore):
            text = (f'SELECT sum("count"), min("min"), max("max"), sum("sum") FROM "{store.db}"."hour"."system" '
                    f"WHERE \"client_id\" = 'bench' AND time >= {start}s AND time < {now}s GROUP BY \"metric\"")
            raw = timed(lambda t=text: store.query(t), runs)
        out[f"stats {name}"] = {"tier InfluxQL": raw, "hours": hours, "days": days_ms}
    for name, days, points in (("90d", 90, DEFAULT_MAX_POINTS), ("1y", 365, DEFAULT_MAX_POINTS),
                               ("90d", 90, DASHBOARD_POINTS), ("1y", 365, DASHBOARD_POINTS)):
        start = now - days * DAY
        step = choose_step(start, now, None, points)
        series, resolution = read_series(store, built, "bench", start, now, step, "system", fields)
        assert series[""].time
        api = timed(lambda s=start, st=step: read_series(store, built, "bench", s, now, st, "system", fields), runs)
        raw = None
        if isinstance(store, InfluxStore):  # what the API sent before it read one-bucket steps without GROUP BY
            rp, measurement = place(resolution, "system")  # days: system_day in the hour policy
            text = (f'SELECT sum("sum"), sum("count"), max("max") FROM "{store.db}"."{rp}"."{measurement}" '
                    f"WHERE \"client_id\" = 'bench' AND time >= {start}s AND time < {now}s "
                    f'GROUP BY time({step}s), "metric" fill(none)')
            raw = timed(lambda t=text: store.query(t), runs)
        out[f"series {name}, {points} points ({step} s, {resolution})"] = {"tier InfluxQL": raw, "days": api}
    # Grafana's /query: one metric a target, at the interval Grafana rounds to (30 min for 30 days on a wide panel,
    # 12 h for a year); min and p95 per step read the tiers through the same choice (history.read_aggregate).
    for name, days, step, agg in (("30d", 30, 1800, "min"), ("30d", 30, 1800, "p95"), ("1y", 365, 43200, "min"),
                                  ("1y", 365, 43200, "p95")):
        start = now - days * DAY
        got, resolution = read_aggregate(store, built, "bench", start, now, step, "system", ["cpu_percent"], agg)
        assert got[""].time and any(v is not None for v in got[""].values["cpu_percent"])
        ms = timed(functools.partial(read_aggregate, store, built, "bench", start, now, step, "system",
                                     ["cpu_percent"], agg), runs)
        out[f"grafana {agg} {name} ({step} s, {resolution}, one metric)"] = {"tier InfluxQL": None, "days": ms}
    return out


def downsampler_cost(store: TimeSeriesStore, hosts: int, tmp: Path) -> dict[str, float]:
    """CPU of one pass over one minute of ``hosts`` hosts at 1 Hz, after writing them."""
    now = int(time.time()) // 60 * 60 - 300
    rng = random.Random(9)
    for h in range(hosts):
        samples = [Sample(now + i, {m: g(rng, i) for m, g in GEN.items()},
                          disks=(DiskSample("/", 10**9, 5 * 10**9, avail_bytes=3 * 10**9),),
                          gpus=(GpuSample(0, util_percent=50.0, mem_used_bytes=10**9, mem_total_bytes=8 * 10**9,
                                          temp_c=60.0, power_w=200.0),))
                   for i in range(60)]
        store.write(f"h{h}", f"host-{h}", samples)
    meta = MetaDB(tmp / f"meta-{store.backend}.db")
    progress = RollupProgress(meta)
    progress.set("minute", now)
    progress.set("hour", now // 3600 * 3600 + 3600 * 10)  # no hour due: measure the per-minute work
    progress.set("day", now // DAY * DAY + DAY * 10)  # nor a day
    d = Downsampler(store, progress, MetaLease(meta, LEASE_NAME), clock=lambda: now + 60 + 90)
    cpu0, t0 = time.process_time(), time.perf_counter()
    result = d.run_once()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    assert result.rows["minute"] >= hosts * 11, result  # 6 system, 1 mount (no inodes sent), 4 GPU series
    return {"cpu_s": cpu, "wall_s": wall, "core_share_percent": 100 * cpu / 60, "rows": result.rows["minute"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--raw-days", type=int, default=7)
    ap.add_argument("--minute-days", type=int, default=90)
    ap.add_argument("--hour-days", type=int, default=730)
    ap.add_argument("--hosts", type=int, default=1000)
    args = ap.parse_args()
    info = machine()
    # Cold shards compacted in seconds rather than InfluxDB's 4 hours, so the storage figure is after compaction.
    influxd_support._CONFIG = influxd_support._CONFIG.replace(  # type: ignore[attr-defined]
        "[data]\n", '[data]\n  compact-full-write-cold-duration = "5s"\n  cache-snapshot-write-cold-duration = "5s"\n')
    tmp = Path(tempfile.mkdtemp(prefix="bench-history-"))
    now = int(time.time())
    pool = pool_rows(random.Random(1))
    results: dict[str, Any] = {"machine": info, "args": vars(args)}
    try:
        influx = influxd_support.start_influxd(tmp / "influx")
        try:
            stores: dict[str, TimeSeriesStore] = {
                "influxdb": InfluxStore(influx.url, db="bench", tier_days={"minute": args.minute_days + 1,
                                                                          "hour": args.hour_days + 1}),
                "sqlite": SQLiteStore(tmp / "metrics.db"),
            }
            stores["influxdb"].ensure_database()  # type: ignore[attr-defined]
            timings: dict[str, dict[str, Timing]] = {}
            storage: dict[str, float] = {}
            for backend, store in stores.items():
                t0 = time.perf_counter()
                populate(store, now, args, pool)
                print(f"{backend}: populated in {time.perf_counter() - t0:.0f} s")
                pid = influx.proc.pid if backend == "influxdb" and influx.proc else None
                settle(pid)
                timings[backend] = queries(store, now, args.runs)
                if backend == "influxdb":
                    time.sleep(10)
                    settle(pid)
                    data = tmp / "influx" / "data" / "bench"
                    storage[backend] = sum(f.stat().st_size for rp in ("minute", "hour")
                                           for f in (data / rp).rglob("*") if f.is_file()) / 1e6
                else:
                    conn = store._conn  # type: ignore[attr-defined]
                    try:
                        pages = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'rollup_%'").fetchone()[0]
                        storage[backend] = pages / 1e6
                    except Exception:
                        storage[backend] = float("nan")
            ds = {backend: downsampler_cost(store, args.hosts, tmp) for backend, store in stores.items()}
            for store in stores.values():
                store.close()
        finally:
            influx.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = []
    for q in timings["influxdb"]:
        i, s = timings["influxdb"][q], timings["sqlite"][q]
        ih, sh = i.get("hours"), s.get("hours")
        rows.append([q, i["tier InfluxQL"] or "", ih or "", i["days"], sh or "", s["days"],
                     ih / i["days"] if ih and i["days"] else "", sh / s["days"] if sh and s["days"] else ""])
    print(f"machine: {info['cpu']} x{info['cores']} ({info['host']}), influxd {info['influxd']}, "
          f"load {info['loadavg_at_start']}")
    print(table(["query (ms, median)", "tier InfluxQL", "influxdb before", "influxdb now", "sqlite before",
                 "sqlite now", "influxdb before/now", "sqlite before/now"], rows))
    print(table(["backend", f"tier storage MB ({args.minute_days} d minutes + {args.hour_days} d hours)"],
                [[b, mb] for b, mb in storage.items()]))
    print(table(["backend", "downsampler CPU s per minute", "wall s", "% of one core", "rows"],
                [[b, d["cpu_s"], d["wall_s"], d["core_share_percent"], d["rows"]] for b, d in ds.items()]))
    results.update({"timings_ms": timings, "storage_mb": storage, "downsampler": ds})
    print(f"wrote {write_json('history', results)}")


if __name__ == "__main__":
    main()
