"""`statusmon server --workers N`: what it refuses, and the single process left exactly as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.server import workers_problem
from statusmon.config import ConfigError, Settings


def test_one_worker_needs_nothing_more() -> None:
    assert workers_problem(Settings(), 1) is None


def test_several_workers_need_redis() -> None:
    problem = workers_problem(Settings(influx_url="http://127.0.0.1:8086"), 2)
    assert problem is not None and "STATUSMON_REDIS_URL" in problem


def test_several_workers_refuse_the_sqlite_time_series() -> None:
    problem = workers_problem(Settings(redis_url="redis://127.0.0.1:6379/0"), 4)
    assert problem is not None and "InfluxDB" in problem and "STATUSMON_INFLUX_URL" in problem


def test_several_workers_on_redis_and_influxdb_are_fine() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:6379/0", influx_url="http://127.0.0.1:8086")
    assert workers_problem(settings, 2) is None
    assert workers_problem(settings, 0) == "--workers must be at least 1"


@pytest.mark.parametrize("url", ["http://redis:6379", "redis-host:6379"])
def test_a_redis_url_must_be_one(url: str) -> None:
    with pytest.raises(ConfigError, match="STATUSMON_REDIS_URL"):
        Settings.from_env({"STATUSMON_REDIS_URL": url})


def test_a_redis_password_never_reaches_the_logs() -> None:
    assert Settings(redis_url="redis://:s3cret@cache:6379/0").redacted()["redis_url"] == "***"


def test_the_command_refuses_several_workers_without_redis_with_a_clear_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSMON_")}
    env["STATUSMON_DATA_DIR"] = str(tmp_path)
    run = subprocess.run([sys.executable, "-m", "statusmon.cli", "server", "--workers", "2"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "--workers 2 needs STATUSMON_REDIS_URL" in run.stderr


def test_a_single_process_never_imports_redis(tmp_path: Path) -> None:
    code = f"""
import sys
from pathlib import Path
from api.app import create_app
from statusmon.config import Settings
from statusmon.lease import open_lease
settings = Settings(data_dir=Path({str(tmp_path)!r}))
app = create_app(settings, start_background=False)
assert app.test_client().get("/healthz").get_json() == {{"status": "ok", "store": "sqlite", "metadata": "ok"}}
assert open_lease(settings, "alerting").acquire()
print("redis" in sys.modules)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
