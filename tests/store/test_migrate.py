"""statusmon migrate: SQLite -> a real influxd and back; interrupted and resumed; run twice without duplicates.

Smaller than the issue's proof (7 days of one client, a day of 50 clients): 2 clients x 6 hours at 1 Hz here,
on a 2-core machine shared by other work; the code path is the same, only the window count differs.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest

from statusmon.store.base import DiskSample, GpuSample, Sample
from statusmon.store.influx import InfluxStore
from statusmon.store.migrate import Checkpoints, count, migrate
from statusmon.store.sqlite import SQLiteStore

pytestmark = [pytest.mark.influx, pytest.mark.integration]

HOURS = 6
END = int(time.time()) // 3600 * 3600
START = END - HOURS * 3600
CLIENTS = [("c-one", "web-1"), ("c-two", "gpu-1")]


class Interrupted(Exception):
    pass


def _fill(store: SQLiteStore) -> int:
    n = 0
    for cid, host in CLIENTS:
        batch = []
        for ts in range(START, END):
            disks = (DiskSample("/", 700 + ts % 7, 1000, 3, 100, 250),)
            gpus = (GpuSample(0, util_percent=float(ts % 100), mem_used_bytes=1, mem_total_bytes=2, temp_c=40.0),) \
                if host == "gpu-1" else ()
            batch.append(Sample(ts, {"cpu_percent": float(ts % 100), "ram_percent": 40.0}, disks, gpus))
            if len(batch) == 5000:
                store.write(cid, host, batch)
                n += len(batch)
                batch = []
        store.write(cid, host, batch)
        n += len(batch)
    return n


def test_migrate_to_influxdb_resumes_and_repeats_without_duplicates(tmp_path: Path, influxd: Any,
                                                                     influx_db_name: str) -> None:
    sqlite = SQLiteStore(tmp_path / "metrics.db")
    influx = InfluxStore(influxd.url, db=influx_db_name)
    influx.ensure_database()
    try:
        total = _fill(sqlite)
        assert total == len(CLIENTS) * HOURS * 3600
        state = tmp_path / "migrate.json"

        def stop_halfway(client_id: str, window_end: int) -> None:
            if client_id == "c-one" and window_end == START + 3 * 3600:
                raise Interrupted

        with pytest.raises(Interrupted):
            migrate(sqlite, influx, CLIENTS, Checkpoints.load(state, START, END), out=io.StringIO(),
                    after_window=stop_halfway)
        assert count(influx, "c-one", START, END, 86400) == 3 * 3600  # half of the first client, none of the rest
        assert count(influx, "c-two", START, END, 86400) == 0

        out = io.StringIO()
        t0 = time.perf_counter()
        results = migrate(sqlite, influx, CLIENTS, Checkpoints.load(state, 0, 1), out=out)  # resumes the range
        seconds = time.perf_counter() - t0
        assert [(r.client_id, r.copied, r.source, r.target) for r in results] == [
            (cid, HOURS * 3600, HOURS * 3600, HOURS * 3600) for cid, _ in CLIENTS]
        assert "web-1: 21600 samples copied" in out.getvalue()
        resumed = total - 3 * 3600
        print(f"\nmigrate sqlite -> influxdb: {resumed} samples in {seconds:.1f} s = {resumed / seconds:,.0f}/s "
              "(incl. counting both sides)")

        # Run again from scratch (a new state file): every point is rewritten, none is added.
        again = migrate(sqlite, influx, CLIENTS, Checkpoints.load(tmp_path / "again.json", START, END),
                        out=io.StringIO())
        assert [(r.source, r.target) for r in again] == [(HOURS * 3600, HOURS * 3600)] * len(CLIENTS)

        # The values arrive unchanged, derived percentages included (df's definition, from avail_bytes).
        a = sqlite.series("c-two", START, START + 60, None, "disk")["/"]
        b = influx.series("c-two", START, START + 60, None, "disk")["/"]
        assert a.time == b.time and a.values == b.values
        ga = sqlite.series("c-two", START, START + 60, None, "gpu")["0"]
        gb = influx.series("c-two", START, START + 60, None, "gpu")["0"]
        assert ga.values == gb.values

        # And back, into a fresh SQLite file.
        back = SQLiteStore(tmp_path / "back.db")
        try:
            results = migrate(influx, back, CLIENTS, Checkpoints.load(tmp_path / "back.json", START, END),
                              out=io.StringIO())
            assert all(r.ok and r.target == HOURS * 3600 for r in results)
            assert back.series("c-one", START, END, None, "system")[""].values["cpu_percent"] == \
                sqlite.series("c-one", START, END, None, "system")[""].values["cpu_percent"]
        finally:
            back.close()
    finally:
        sqlite.close()
        influx.close()
