"""`statusmon server` for real: gunicorn with the gevent worker, the log says which store and where."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.api.conftest import good_sample
from tests.support.server import start_server


@pytest.mark.integration
def test_server_on_sqlite_logs_its_store_and_serves(tmp_path: Path) -> None:
    with start_server(tmp_path) as srv:
        _, token = srv.add_client("web-1")
        r = requests.post(srv.url + "/api/report", json={"samples": [good_sample()]},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 200 and r.json()["stored"] == 1
        log = srv.log()
    assert f"SQLite file {tmp_path / 'metrics.db'}" in log
    assert "Using worker: gevent" in log


@pytest.mark.influx
def test_server_on_influxdb_logs_its_store(tmp_path: Path, influxd: object, influx_db_name: str) -> None:
    with start_server(tmp_path, influx_url=influxd.url, influx_db=influx_db_name) as srv:  # type: ignore[attr-defined]
        _, token = srv.add_client("web-1")
        r = requests.post(srv.url + "/api/report", json={"samples": [good_sample()]},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 200
        log = srv.log()
    assert f"InfluxDB at {influxd.url}, database '{influx_db_name}'" in log  # type: ignore[attr-defined]
