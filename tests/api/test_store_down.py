"""Store down behind a running API: 503 with Retry-After, quickly, nothing half-written; back when it returns."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from tests.api.conftest import Api, good_sample
from tests.support.server import start_server


@pytest.mark.influx
def test_report_gets_503_quickly_while_influxdb_is_down(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from tests.support.influxd import start_influxd

    influx = start_influxd(tmp_path / "influx")
    try:
        with start_server(tmp_path / "api", influx_url=influx.url, influx_timeout="2") as srv:
            _, token = srv.add_client("web-1")
            headers = {"Authorization": f"Bearer {token}"}
            ok = requests.post(srv.url + "/api/report", json={"samples": [good_sample()]}, headers=headers)
            assert ok.status_code == 200
            influx.stop()
            t0 = time.monotonic()
            r = requests.post(srv.url + "/api/report", json={"samples": [good_sample()]}, headers=headers)
            elapsed = time.monotonic() - t0
            assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
            assert r.json()["error"]["code"] == "store_unavailable"
            assert elapsed < 3
            assert requests.get(srv.url + "/healthz").status_code == 503
            influx.start()
            ts = int(time.time())
            again = requests.post(srv.url + "/api/report", json={"samples": [good_sample(ts)]}, headers=headers)
            assert again.status_code == 200
            assert requests.get(srv.url + "/healthz").json() == {"status": "ok", "store": "influxdb", "metadata": "ok"}
    finally:
        influx.stop()


def test_sqlite_write_failure_is_503_and_leaves_no_partial_batch(sqlite_api: Api) -> None:
    client_id, token = sqlite_api.login().add_client()
    store = sqlite_api.state.store
    # Another connection holds the write lock: the API's write times out and nothing of the batch lands.
    import sqlite3

    blocker = sqlite3.connect(store.path, timeout=1)  # type: ignore[attr-defined]
    blocker.execute("BEGIN EXCLUSIVE")
    store._conn.execute("PRAGMA busy_timeout=200")  # type: ignore[attr-defined]
    try:
        r = sqlite_api.report(token, {"samples": [good_sample(int(time.time()) - i) for i in range(5)]})
        assert r.status_code == 503 and r.headers["Retry-After"]
    finally:
        blocker.rollback()
        blocker.close()
    assert sqlite_api.stored_count(client_id) == 0
