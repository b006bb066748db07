"""Queries over 7 days of 1-second data for one client (604,800 samples, all six metrics): the API's stats and
chart series on InfluxDB and on SQLite, beside the raw InfluxQL query that gives the same answer, in one run.

    .venv/bin/python -m bench.queries              # 5 runs per query, medians
    .venv/bin/python -m bench.queries --runs 3

The API runs as the real server (gunicorn + gevent) and is called over HTTP. For the 7-day stats the first call
after a start is reported apart ("cold": it builds the hourly summaries from a raw read), then the median of the
following calls ("warm"). The p95 error of the 7-day stats is measured against InfluxDB's exact PERCENTILE.
Targets (issue 6): the API adds <= 20 % to the raw query; 7-day stats <= 500 ms; SQLite within 2x of InfluxDB.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import requests

from bench.common import machine, table, write_json
from statusmon.metrics import SYSTEM_METRIC_NAMES
from statusmon.store.base import Sample
from statusmon.store.influx import InfluxStore
from statusmon.store.sqlite import SQLiteStore
from tests.support.influxd import start_influxd
from tests.support.server import start_server

WEEK = 7 * 86400
FIELDS = SYSTEM_METRIC_NAMES


def week_of_samples(start: int) -> list[Sample]:
    rng = random.Random(42)
    out = []
    for ts in range(start, start + WEEK):
        day = math.sin(2 * math.pi * (ts % 86400) / 86400)
        out.append(Sample(ts, {
            "cpu_percent": round(min(100.0, max(0.0, 35 + 25 * day + rng.gauss(0, 10))), 2),
            "ram_percent": round(55 + 10 * day + rng.random(), 2),
            "disk_percent": round(60 + 10 * (ts - start) / WEEK, 3),
            "inode_percent": round(4 + (ts - start) / WEEK, 3),
            "docker_bytes": 50 * 10**9 + int(5 * 10**9 * (ts - start) / WEEK) + rng.randrange(10**6),
            "gpu_percent": round(min(100.0, max(0.0, 70 + 30 * day + rng.gauss(0, 15))), 1),
        }))
    return out


def timed(fn: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def influxql(url: str, db: str, q: str) -> Any:
    r = requests.get(url + "/query", params={"db": db, "q": q, "epoch": "s"}, timeout=120)
    r.raise_for_status()
    return r.json()


def raw_stats_query(client: str, start: int, end: int) -> str:
    cols = ", ".join(f"count({f}), min({f}), max({f}), mean({f}), percentile({f}, 95)" for f in FIELDS)
    return f"SELECT {cols} FROM system WHERE client_id = '{client}' AND time >= {start}s AND time < {end}s"


def raw_series_query(client: str, start: int, end: int, step: int) -> str:
    cols = ", ".join(f"mean({f}), max({f})" for f in FIELDS)
    return (f"SELECT {cols} FROM system WHERE client_id = '{client}' AND time >= {start}s AND time < {end}s "
            f"GROUP BY time({step}s) fill(none)")


def alternate(runs: int, api: Any, raw: Any | None) -> tuple[float, float | None]:
    """Medians of `runs` calls of each, API and raw taking turns."""
    api_times, raw_times = [], []
    for _ in range(runs):
        api_times.append(timed(api)[0])
        if raw is not None:
            raw_times.append(timed(raw)[0])
    return statistics.median(api_times), (statistics.median(raw_times) if raw_times else None)


def settle(pid: int | None, quiet: float = 0.15, limit: float = 120.0) -> None:
    """Wait (up to `limit` s) until influxd is idle: after a bulk write it compacts for a while."""
    if pid is None:
        return
    proc = psutil.Process(pid)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.cpu_percent(interval=2.0) / 100 > quiet:
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    info = machine()
    now = int(time.time())
    start = now - WEEK + 600  # inside InfluxDB's 7-day retention
    end = start + WEEK
    samples = week_of_samples(start)
    results: dict[str, Any] = {"machine": info, "runs": args.runs, "samples": len(samples), "queries": {}}
    ranges = {"1h": (end - 3600, end), "24h": (end - 86400, end), "7d": (start, end)}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        influx = start_influxd(root / "influx")
        try:
            timings: dict[str, dict[str, float]] = {}
            for backend in ("influxdb", "sqlite"):
                kw: dict[str, Any] = {"influx_url": influx.url, "influx_db": "bench"} if backend == "influxdb" else {}
                with start_server(root / backend, **kw) as srv:
                    client_id, _ = srv.add_client("bench-host")
                    store: Any = (InfluxStore(influx.url, db="bench") if backend == "influxdb"
                                  else SQLiteStore(root / backend / "metrics.db"))
                    if backend == "influxdb":
                        store.ensure_database()
                    t_write, _ = timed(lambda store=store, cid=client_id: [
                        store.write(cid, "bench-host", samples[i:i + 20_000])
                        for i in range(0, len(samples), 20_000)])
                    results[f"write_{backend}_s"] = t_write
                    http = srv.admin()

                    def get(path: str, http: Any = http, base: str = srv.url) -> Any:
                        return http.get(base + path, timeout=300).json()

                    if backend == "influxdb":
                        settle(influx.proc.pid if influx.proc else None)
                    t = timings.setdefault(backend, {})
                    raw = timings.setdefault("raw InfluxQL", {}) if backend == "influxdb" else None
                    # The API and the raw query alternate run by run, so background work in influxd (compaction
                    # after the bulk write) or on the machine weighs on both alike.
                    def measure(key: str, path: str, q: str, t: dict[str, float] = t,
                                raw: dict[str, float] | None = raw, get: Any = get) -> None:
                        api_s, raw_s = alternate(args.runs, lambda: get(path),
                                                 (lambda: influxql(influx.url, "bench", q)) if raw is not None
                                                 else None)
                        t[key] = api_s
                        if raw is not None and raw_s is not None:
                            raw[key] = raw_s

                    for name, (a, b) in ranges.items():
                        path = f"/api/stats/{client_id}?from={a}&to={b}"
                        if name == "7d":
                            t["stats 7d cold"], week_api = timed(lambda path=path: get(path))
                            results[f"stats_7d_{backend}"] = week_api
                        measure(f"stats {name}", path, raw_stats_query(client_id, a, b))
                    for name in ("24h", "7d"):
                        a, b = ranges[name]
                        path = f"/api/metrics/{client_id}?from={a}&to={b}"
                        results[f"series_step_{name}"] = get(path)["step"]
                        measure(f"series {name}", path,
                                raw_series_query(client_id, a, b, results[f"series_step_{name}"]))
                    if raw is not None:
                        raw["stats 7d cold"] = raw["stats 7d"]
                        exact_week = influxql(influx.url, "bench", raw_stats_query(client_id, start, end))
                        results["exact_7d"] = exact_week["results"][0]["series"][0]
                    store.close()
        finally:
            influx.stop()
    # The p95 error of the 7-day answer against InfluxDB's exact PERCENTILE.
    exact = dict(zip(results["exact_7d"]["columns"], results["exact_7d"]["values"][0], strict=True))
    errors = {}
    for i, f in enumerate(FIELDS):
        want = exact[f"percentile_{i}" if i else "percentile"]
        for backend in ("influxdb", "sqlite"):
            got = results[f"stats_7d_{backend}"]["metrics"][f]["p95"]
            errors[f"{f} ({backend})"] = {"exact": want, "api": got, "abs_error": abs(got - want),
                                          "rel_error": abs(got - want) / abs(want) if want else 0.0}
    results["p95_error_7d"] = errors
    results["timings_s"] = timings
    rows = []
    for q in timings["influxdb"]:
        raw_t = timings["raw InfluxQL"].get(q)
        i_t, s_t = timings["influxdb"][q], timings["sqlite"][q]
        rows.append([q, raw_t * 1000 if raw_t else "-", i_t * 1000, s_t * 1000,
                     f"{i_t / raw_t:.2f}" if raw_t else "-", f"{s_t / i_t:.2f}"])
    print(f"machine: {info['cpu']} x{info['cores']} ({info['host']}), influxd {info['influxd']}, "
          f"load at start {info['loadavg_at_start']}")
    print(f"one client, {len(samples):,} samples (7 days at 1 s), medians of {args.runs} runs, milliseconds")
    print(table(["query", "raw InfluxQL", "API influxdb", "API sqlite", "API/raw", "sqlite/influx"], rows))
    print("7-day p95 error against InfluxDB's exact PERCENTILE:")
    print(table(["metric", "exact", "API", "abs error", "rel error"],
                [[k, v["exact"], v["api"], v["abs_error"], v["rel_error"]] for k, v in errors.items()]))
    print("written:", write_json("queries", results))


if __name__ == "__main__":
    main()
