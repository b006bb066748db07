"""``statusmon migrate --to influxdb`` as the real command: SIGKILLed halfway, resumed, rerun, against a real influxd.

The process is killed with SIGKILL once its state file shows progress (no exception, no clean-up: whatever it
had in flight is lost), then run again with the same state file; both sides are then counted per client, every
point's timestamp must be distinct within its series (a duplicate would show as a second row at the same time),
and values are compared on a sample. A run after samples arrived copies those and only those; a run with a
fresh state file rewrites everything and adds nothing. 2 clients x 2 hours at 1 Hz; bench/migrate.py is the
full-scale run (7 days of one client, a day of 50).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import MetaDB
from statusmon.store.base import DiskSample, GpuSample, Sample
from statusmon.store.influx import InfluxStore
from statusmon.store.sqlite import SQLiteStore

pytestmark = [pytest.mark.influx, pytest.mark.integration]

HOURS = 2
HOSTS = ("web-1", "gpu-1")


def _sample(ts: int, gpu: bool) -> Sample:
    disks = (DiskSample("/", 700 + ts % 7, 1000, 3, 100, 250), DiskSample("/data", 10 + ts % 3, 50))
    gpus = (GpuSample(0, util_percent=float(ts % 100), mem_used_bytes=ts % 1000, mem_total_bytes=1000,
                      temp_c=40.0 + ts % 5, power_w=200.5),) if gpu else ()
    return Sample(ts, {"cpu_percent": float(ts % 100) + 0.25, "ram_percent": 40.0, "docker_bytes": ts}, disks, gpus)


def _run(env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "statusmon.cli", "migrate", "--to", "influxdb", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen[str]) -> dict[str, tuple[int, int, int, int]]:
    """Wait for the command; its table as {host: (this run, copied, source, target)}."""
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
    rows = {}
    for line in out.splitlines()[1:-1]:
        _cid, host, *numbers = line.split()
        rows[host] = tuple(int(n) for n in numbers)
    return rows  # type: ignore[return-value]


def _influx_keys(url: str, db: str, measurement: str, client_id: str) -> list[tuple[int, str]]:
    """(time, mount or GPU index) of every row of the measurement for the client, across all its series: no
    GROUP BY, so points that differ in any other tag (a changed ``host``) would come back as two rows."""
    r = requests.get(url + "/query", params={"db": db, "epoch": "s", "q":
                     f"SELECT * FROM {measurement} WHERE client_id = '{client_id}'"}, timeout=60)
    r.raise_for_status()
    out = []
    for s in r.json()["results"][0].get("series") or []:
        key = s["columns"].index({"system": "time", "disk": "mount", "gpu": "gpu"}[measurement])
        out += [(row[0], str(row[key])) for row in s["values"]]
    return out


def test_migrate_killed_resumed_and_rerun_without_duplicates(tmp_path: Path, influxd: Any,
                                                             influx_db_name: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSMON_")}
    env.update(STATUSMON_DATA_DIR=str(tmp_path), STATUSMON_INFLUX_URL=influxd.url,
               STATUSMON_INFLUX_DB=influx_db_name)
    meta = MetaDB(tmp_path / "meta.db")
    ids = {host: ClientRegistry(meta).add(host)[0].id for host in HOSTS}
    end = int(time.time()) - 1
    start = end - HOURS * 3600
    per_client = HOURS * 3600
    sqlite = SQLiteStore(tmp_path / "metrics.db")
    for host, cid in ids.items():
        sqlite.write(cid, host, [_sample(ts, host == "gpu-1") for ts in range(start, end)])
    state = tmp_path / "migrate-to-influxdb.json"

    # 1. Killed once its checkpoint shows progress: 10-minute windows, so there are 24 checkpoints to land in.
    proc = _run(env, "--window", "600")
    deadline = time.monotonic() + 60
    copied_at_kill = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            copied_at_kill = sum(c["copied"] for c in json.loads(state.read_text())["clients"].values())
        except (OSError, ValueError, KeyError):
            copied_at_kill = 0  # not written yet (the atomic replace means never half-written)
        if copied_at_kill >= per_client // 2:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"it exited {proc.returncode} before the kill:\n{out}\n{err}"
    saved = json.loads(state.read_text())["clients"]
    at_kill = sum(c["copied"] for c in saved.values())
    assert per_client // 2 <= at_kill < 2 * per_client, saved

    # 2. Resumed: it copies exactly what the checkpoints had not (what was in flight is rewritten, not added).
    rows = _finish(_run(env, "--window", "600"))
    assert sum(r[0] for r in rows.values()) == 2 * per_client - at_kill
    assert {h: r[1:] for h, r in rows.items()} == {h: (per_client,) * 3 for h in HOSTS}

    influx = InfluxStore(influxd.url, db=influx_db_name)
    try:
        for host, cid in ids.items():
            for measurement, per_ts in (("system", 1), ("disk", 2), ("gpu", 1 if host == "gpu-1" else 0)):
                got = _influx_keys(influxd.url, influx_db_name, measurement, cid)
                assert len(got) == per_client * per_ts, (host, measurement)
                assert len(set(got)) == len(got), f"duplicate points in {measurement} of {host}"
        # Values unchanged, on a sample taken on both sides of the kill.
        cid = ids["gpu-1"]
        for family in ("system", "disk", "gpu"):
            for w in (start, start + per_client // 2 - 300, end - 600):
                a = sqlite.series(cid, w, w + 600, None, family)
                b = influx.series(cid, w, w + 600, None, family)
                assert a.keys() == b.keys() and a, family
                for key in a:
                    assert (a[key].time, a[key].values) == (b[key].time, b[key].values), (family, key, w)

        # 3. Samples arrive after the copy: the next run with the same state file copies them and only them.
        last_end = json.loads(state.read_text())["end"]
        while time.time() < last_end + 3:
            time.sleep(0.2)
        sqlite.write(ids["web-1"], "web-1", [_sample(ts, False) for ts in range(last_end, last_end + 3)])
        rows = _finish(_run(env))
        assert rows["web-1"][0] == 3 and rows["gpu-1"][0] == 0
        assert rows["web-1"][2:] == (per_client + 3, per_client + 3)
        assert influx.series(ids["web-1"], last_end, last_end + 3, None)[""].time == \
            list(range(last_end, last_end + 3))

        # 4. A second full run (fresh state file) rewrites every point and adds none.
        rows = _finish(_run(env, "--state", str(tmp_path / "again.json")))
        assert {h: r[0] for h, r in rows.items()} == {"web-1": per_client + 3, "gpu-1": per_client}
        assert {h: r[2:] for h, r in rows.items()} == {"web-1": (per_client + 3,) * 2, "gpu-1": (per_client,) * 2}
        keys = _influx_keys(influxd.url, influx_db_name, "disk", ids["web-1"])
        assert len(keys) == len(set(keys)) == 2 * (per_client + 3)
    finally:
        influx.close()
        sqlite.close()

