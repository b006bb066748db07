"""The alerting worker's container health check: recent and successful cycles only, with the metadata in SQLite
or on PostgreSQL (``meta_db``: both)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from statusmon.meta.db import MetaDB

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "docker" / "healthcheck.py"


def check(data_dir: Path, db: MetaDB) -> subprocess.CompletedProcess[str]:
    env = {"STATUSMON_DATA_DIR": str(data_dir), "STATUSMON_ALERT_INTERVAL": "10"}
    if db.backend == "postgresql":
        env["STATUSMON_DATABASE_URL"] = db.url  # type: ignore[attr-defined]
    return subprocess.run([sys.executable, str(SCRIPT), "alerting"], capture_output=True, text=True, timeout=30,
                          env=env)


def beat(db: MetaDB, at: float, error: str | None) -> None:
    db.execute("INSERT INTO alert_worker (id, pid, started_at, last_cycle_at, last_cycle_ms, last_error) "
               "VALUES (1, 1, ?, ?, 5, ?) ON CONFLICT(id) DO UPDATE SET last_cycle_at = excluded.last_cycle_at, "
               "last_error = excluded.last_error", (at, at, error))


def test_healthy_only_while_cycles_are_recent_and_succeed(tmp_path: Path, meta_db: Any) -> None:
    db = meta_db
    assert check(tmp_path, db).returncode == 1  # no cycle yet
    beat(db, time.time(), None)
    assert check(tmp_path, db).returncode == 0
    beat(db, time.time(), "StoreUnavailable: InfluxDB /ping answered 503")
    failing = check(tmp_path, db)
    assert failing.returncode == 1 and "failed" in failing.stdout
    beat(db, time.time() - 600, None)
    assert check(tmp_path, db).returncode == 1
