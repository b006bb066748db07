"""End to end on both backends: a real `statusmon server`, a real `statusmon alerting` worker process, a real
influxd (or SQLite), agents simulated over HTTP, and Slack played by a real HTTP receiver on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.alerting.receiver import Receiver, receiver
from tests.support.server import ServerProcess, start_server

pytestmark = pytest.mark.integration

PUBLIC_URL = "https://mon.example"


@contextmanager
def worker_process(data_dir: Path, env: dict[str, str], interval: str = "0.3") -> Iterator[subprocess.Popen[bytes]]:
    log = open(data_dir / "alerting.log", "ab")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "statusmon.cli", "alerting", "--interval", interval],
                            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        log.close()


def cycles_after(srv: ServerProcess, admin: requests.Session, t: float, n: int = 3) -> None:
    """Wait until the worker has finished ``n`` cycles that began after ``t`` (its heartbeat says so)."""
    deadline = time.monotonic() + 30
    count, last = 0, None
    while time.monotonic() < deadline:
        worker = admin.get(srv.url + "/api/alerts/channels", timeout=10).json()["worker"]
        at = worker and worker["last_cycle_at"]
        if at and at > t and at != last:
            count, last = count + 1, at
            if count >= n:
                return
        time.sleep(0.1)
    raise AssertionError(f"the worker did not cycle:\n{(srv.data_dir / 'alerting.log').read_text()}")


def report(srv: ServerProcess, token: str, samples: list[dict[str, Any]]) -> None:
    r = requests.post(srv.url + "/api/report", json={"agent_version": "e2e", "samples": samples},
                      headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("influxdb", marks=pytest.mark.influx)])
def test_cpu_above_threshold_one_message_resolved_once_and_restart_repeats_nothing(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    data_dir = tmp_path / "data"
    influx: dict[str, str] = {}
    if backend == "influxdb":
        influx = {"influx_url": request.getfixturevalue("influxd").url,
                  "influx_db": request.getfixturevalue("influx_db_name")}
    rx: Receiver
    with receiver() as rx, start_server(data_dir, webhook_allow_hosts="127.0.0.1", public_url=PUBLIC_URL,
                                        **influx) as srv:
        admin = srv.admin()
        client_id, token = srv.add_client("web-1")
        r = admin.post(srv.url + "/api/settings", json={"slack_webhook_url": rx.url(),
                                                        "online_timeout_seconds": 3600}, timeout=10)
        assert r.status_code == 200, r.text
        rule = {"client_id": client_id, "metric_type": "cpu_percent", "threshold": 90, "duration_sec": 30}
        r = admin.post(srv.url + "/api/alert-rules", json=rule, timeout=10)
        assert r.status_code == 201, r.text
        env = {**srv.env, "STATUSMON_DATA_DIR": str(data_dir)}
        env.pop("STATUSMON_ADMIN_PASSWORD", None)
        now = int(time.time())

        with worker_process(data_dir, env) as worker:
            # 97 % from now-40 to now: held for the rule's 30 s at the sample of now-10: exactly one message.
            report(srv, token, [{"ts": now - 40 + 10 * k, "cpu_percent": 97.0} for k in range(5)])
            bodies = rx.wait_for(1)
            cycles_after(srv, admin, time.time())
            assert rx.bodies() == [{"text": (
                f":red_circle: *FIRING* web-1: CPU is above 90.0 % for 30 s (now 97.0 %)\n"
                f"<{PUBLIC_URL}/client/{client_id}|Open web-1 in Status Monitor>")}], bodies
            # Mid-incident, the worker is killed without warning.
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)

        with worker_process(data_dir, env):
            report(srv, token, [{"ts": now + 1, "cpu_percent": 98.0}])  # still above: still the same incident
            cycles_after(srv, admin, time.time())
            assert len(rx.received) == 1, "a restarted worker repeated a notification"
            # Back below the threshold (and the hysteresis band): exactly one resolved message.
            report(srv, token, [{"ts": now + 2, "cpu_percent": 20.0}, {"ts": now + 3, "cpu_percent": 21.0}])
            rx.wait_for(2)
            cycles_after(srv, admin, time.time())
            assert len(rx.received) == 2
            assert rx.bodies()[1]["text"].startswith(
                ":large_green_circle: *RESOLVED* web-1: CPU is back to 20.0 % (threshold 90.0 %) after 42 s")

        (incident,) = admin.get(srv.url + "/api/alerts", timeout=10).json()["alerts"]
        assert (incident["client_id"], incident["metric_type"], incident["value"], incident["started_at"],
                incident["fired_at"], incident["resolved_at"], incident["resolved_value"]) == (
            client_id, "cpu_percent", 97.0, now - 40, now - 10, now + 2, 20.0)
        log = (data_dir / "alerting.log").read_text()
        assert "XXXXSECRET" not in log and "XXXXSECRET" not in srv.log()
