"""Two real `statusmon alerting` workers on one Redis: one evaluates, the other stands by and takes over within
the lease period when the first is killed (SIGKILL: no release), or at once when it stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from statusmon.config import Settings
from statusmon.meta.alerts import AlertDB
from statusmon.meta.db import MetaDB
from tests.support.redisd import Redisd

pytestmark = pytest.mark.integration
LEASE = 3.0


def start_worker(data_dir: Path, redis_url: str, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "STATUSMON_DATA_DIR": str(data_dir), "STATUSMON_REDIS_URL": redis_url,
           "STATUSMON_LEASE_SECONDS": str(LEASE)}
    env.pop("STATUSMON_INFLUX_URL", None)
    log = open(data_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child holds it
    return subprocess.Popen([sys.executable, "-m", "statusmon.cli", "alerting", "--interval", "0.2"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> float:
    began = time.monotonic()
    while not cond():
        assert time.monotonic() - began < timeout, f"timed out: {what}"
        time.sleep(0.05)
    return time.monotonic() - began


def test_one_worker_evaluates_and_the_standby_takes_over_within_the_lease_period(
        tmp_path: Path, redisd: Redisd) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    alerts = AlertDB(MetaDB(Settings(data_dir=data_dir).meta_db_path))

    def working() -> int | None:
        w = alerts.worker()
        return int(w["pid"]) if w and time.time() - w["last_cycle_at"] < 1.0 else None

    first = start_worker(data_dir, redisd.url, "first")
    try:
        wait_for(lambda: working() == first.pid, 30, "the first worker's cycles")
        second = start_worker(data_dir, redisd.url, "second")
        try:
            wait_for(lambda: "standing by" in (data_dir / "second.log").read_text(), 30, "the second to stand by")
            time.sleep(1.0)
            assert working() == first.pid  # the standby never evaluates while the first holds the lease
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(10)
            took = wait_for(lambda: working() == second.pid, 3 * LEASE, "the takeover")
            assert took < LEASE * 1.1 + 1.0  # the lease period (plus a tenth, plus a cycle's heartbeat)
            third = start_worker(data_dir, redisd.url, "third")
            try:
                wait_for(lambda: "standing by" in (data_dir / "third.log").read_text(), 30, "the third to stand by")
                second.send_signal(signal.SIGTERM)  # a clean stop releases the lease
                second.wait(10)
                took = wait_for(lambda: working() == third.pid, 3 * LEASE, "the takeover after a release")
                assert took < LEASE / 10 + 1.0
            finally:
                third.kill()
                third.wait(10)
        finally:
            second.kill()
            second.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)


def test_a_one_shot_run_does_nothing_while_a_worker_holds_the_lease_and_works_once_it_is_free(
        tmp_path: Path, redisd: Redisd) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {**os.environ, "STATUSMON_DATA_DIR": str(data_dir), "STATUSMON_REDIS_URL": redisd.url,
           "STATUSMON_LEASE_SECONDS": str(LEASE)}
    env.pop("STATUSMON_INFLUX_URL", None)
    once = [sys.executable, "-m", "statusmon.cli", "alerting", "--once"]
    alerts = AlertDB(MetaDB(Settings(data_dir=data_dir).meta_db_path))
    worker = start_worker(data_dir, redisd.url, "holder")
    try:
        wait_for(lambda: (alerts.worker() or {}).get("pid") == worker.pid, 30, "the holder's cycles")
        run = subprocess.run(once, env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0 and "another worker holds the lease" in run.stderr
    finally:
        worker.send_signal(signal.SIGTERM)  # releases the lease
        worker.wait(10)
    run = subprocess.run(once, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "holds the lease and evaluates" in run.stderr
    again = subprocess.run(once, env=env, capture_output=True, text=True, timeout=60)
    assert "holds the lease and evaluates" in again.stderr  # the one-shot run released it
