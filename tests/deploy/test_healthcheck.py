"""The alerting worker's container health check: recent and successful cycles only."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from statusmon.meta.db import MetaDB

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "docker" / "healthcheck.py"


def check(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "alerting"], capture_output=True, text=True, timeout=30,
                          env={"STATUSMON_DATA_DIR": str(data_dir), "STATUSMON_ALERT_INTERVAL": "10"})


def beat(db: MetaDB, at: float, error: str | None) -> None:
    db.execute("INSERT INTO alert_worker (id, pid, started_at, last_cycle_at, last_cycle_ms, last_error) "
               "VALUES (1, 1, ?, ?, 5, ?) ON CONFLICT(id) DO UPDATE SET last_cycle_at = excluded.last_cycle_at, "
               "last_error = excluded.last_error", (at, at, error))


def test_healthy_only_while_cycles_are_recent_and_succeed(tmp_path: Path) -> None:
    db = MetaDB(tmp_path / "meta.db")
    assert check(tmp_path).returncode == 1  # no cycle yet
    beat(db, time.time(), None)
    assert check(tmp_path).returncode == 0
    beat(db, time.time(), "StoreUnavailable: InfluxDB /ping answered 503")
    failing = check(tmp_path)
    assert failing.returncode == 1 and "failed" in failing.stdout
    beat(db, time.time() - 600, None)
    assert check(tmp_path).returncode == 1
