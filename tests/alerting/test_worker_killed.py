"""At least once: a worker killed after the receiver got a notification but before the outbox row was marked
sent posts it again after the restart: exactly once more, byte for byte the same, and then records it.

A real `statusmon alerting` process posts to a real receiver on loopback that holds its answer back; the test
SIGKILLs the worker while the receiver still holds the first post (so the row cannot have been marked sent),
checks the row is still pending, restarts the worker and lets the receiver answer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from statusmon.config import Settings
from statusmon.meta.alerts import AlertDB, CycleWrites
from statusmon.meta.db import MetaDB
from statusmon.meta.settings import GlobalSettings
from tests.alerting.receiver import Answer, receiver
from tests.alerting.test_transports import FIRING

pytestmark = pytest.mark.integration


def start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "STATUSMON_DATA_DIR": str(data_dir), "STATUSMON_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"}
    env.pop("STATUSMON_INFLUX_URL", None)
    log = open(data_dir / "alerting.log", "ab")  # noqa: SIM115 - the child holds it; closed with the process
    return subprocess.Popen([sys.executable, "-m", "statusmon.cli", "alerting", "--interval", "0.3"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait(cond: object, timeout: float, what: str, data_dir: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out: {what}\n{(data_dir / 'alerting.log').read_text()}")


def test_a_worker_killed_between_sending_and_recording_sends_again_exactly_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    meta = MetaDB(Settings(data_dir=data_dir).meta_db_path)
    alerts = AlertDB(meta)
    with receiver() as rx:
        # The first post is held (the worker's read timeout is 10 s; the kill comes long before it).
        rx.script = [Answer(200, "ok", delay=30)]
        GlobalSettings(meta).update({"webhook_url": rx.url("/hook")})
        alerts.save(CycleWrites(outbox=[("webhook", FIRING)]))
        worker = start_worker(data_dir)
        try:
            wait(lambda: len(rx.received) == 1, 30, "the first post", data_dir)
            os.killpg(worker.pid, signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
        assert [r.event for r in alerts.pending()] == [FIRING]  # the receiver got it; the outbox does not know
        assert alerts.sent_events() == []

        restarted = start_worker(data_dir)
        try:
            wait(lambda: alerts.pending() == [] and len(rx.received) >= 2, 30, "the second post, recorded",
                 data_dir)
            time.sleep(1.0)  # a few more cycles: nothing else may go out
        finally:
            os.killpg(restarted.pid, signal.SIGTERM)
            restarted.wait(15)
        assert len(rx.received) == 2  # delivered again exactly once more
        assert rx.received[1].body == rx.received[0].body  # the same bytes: a receiver can tell a repeat
        assert alerts.sent_events("webhook") == [FIRING]  # and recorded, once
    meta.close()
