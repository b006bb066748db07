"""What the metadata calls on the request path cost on PostgreSQL, against SQLite (the baseline) in the same run:
the agent-token check of every report, the session check of every admin request, the last-seen update after a
write (one report), and one alerting cycle's writes (20 state changes, 2 history rows, 2 outbox rows).

    .venv/bin/python -m bench.meta              # 2,000 calls of each (a few seconds)
    .venv/bin/python -m bench.meta --calls 200  # a quick look

PostgreSQL is a real local server (tests/support/postgres.py: initdb + postgres on loopback TCP, ``fsync=off``,
so the figures are round trips and query work, not disk flushes; a production server's commit waits for its
WAL flush). Medians and p99 in microseconds; the ratio is PostgreSQL's median over SQLite's.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import machine, pct, table, write_json
from statusmon.alerts.machine import AlertState
from statusmon.meta.admin import AdminAuth
from statusmon.meta.alerts import AlertDB, CycleWrites
from statusmon.meta.clients import ClientRegistry, Report
from statusmon.meta.db import MetaDB, open_meta
from tests.support.postgres import start_postgres


def calls(db: MetaDB) -> dict[str, Callable[[int], Any]]:
    reg = ClientRegistry(db)
    client, token = reg.add("web-1")
    auth = AdminAuth(db, 3600)
    auth.set_password("correct-horse-battery")
    sid, _ = auth.create_session()
    alerts = AlertDB(db)
    now = int(time.time())

    def cycle(i: int) -> None:
        states = {(f"default:m{k}", client.id, ""): ("cpu_percent", AlertState("pending", now, now + i, float(k)))
                  for k in range(20)}
        opened = [{"rule_key": "default:cpu_percent", "rule_id": None, "client_id": client.id, "hostname": "web-1",
                   "metric_type": "cpu_percent", "series_key": str(k), "threshold": 90.0, "direction": "above",
                   "duration_sec": 60, "value": 97.0, "started_at": now, "fired_at": now + i} for k in range(2)]
        alerts.save(CycleWrites(states=states, opened=opened,
                                outbox=[("slack", {"kind": "firing", "n": i}), ("email", {"kind": "firing"})]))

    return {
        "agent token check": lambda i: reg.authenticate(token),
        "session check": lambda i: auth.get_session(sid),
        "last seen (1 report)": lambda i: reg.record_reports([Report(client.id, "1.0", {"ts": now + i}, 0)]),
        "alerting cycle writes": cycle,
    }


def measure(fn: Callable[[int], Any], n: int) -> list[float]:
    for i in range(min(50, n)):  # warm up: connection, statement caches
        fn(i)
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1e6)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp, start_postgres() as pg:
        dbs = {"sqlite": open_meta(Path(tmp) / "meta.db"), "postgresql": open_meta(pg.create_database("bench"))}
        suites = {name: calls(db) for name, db in dbs.items()}
        for what in suites["sqlite"]:
            for backend in ("sqlite", "postgresql"):
                us = measure(suites[backend][what], args.calls)
                results[f"{what} / {backend}"] = {"median_us": statistics.median(us), "p99_us": pct(us, 99)}
        for db in dbs.values():
            db.close()
    rows = []
    for what in suites["sqlite"]:
        lite, pgr = results[f"{what} / sqlite"], results[f"{what} / postgresql"]
        rows.append([what, round(lite["median_us"]), round(lite["p99_us"]), round(pgr["median_us"]),
                     round(pgr["p99_us"]), round(pgr["median_us"] / lite["median_us"], 1)])
    print(table(["call", "sqlite median us", "sqlite p99 us", "pg median us", "pg p99 us", "pg/sqlite"], rows))
    path = write_json("meta", {"machine": machine(), "calls": args.calls, "results": results})
    print(f"machine: {machine()}\nwrote {path}")


if __name__ == "__main__":
    main()
