"""Grafana's "Save & test" (`GET /api/grafana/`) answers 503 in the one error shape while the store is down,
and 200 again once it is back: a real influxd, stopped and started under a running app."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.app import create_app
from statusmon.config import Settings
from tests.grafana.fleet import bearer

pytestmark = pytest.mark.influx


def test_grafana_health_is_503_while_influxdb_is_down(tmp_path: Path) -> None:
    from tests.support.influxd import start_influxd

    influx = start_influxd(tmp_path / "influx")
    try:
        settings = Settings(data_dir=tmp_path / "api", admin_password="correct-horse-battery",
                            influx_url=influx.url, influx_db="grafana_down", influx_timeout=2)
        app = create_app(settings, start_background=False)
        _, token = app.extensions["statusmon"].api_tokens.create("grafana")
        http = app.test_client()
        assert http.get("/api/grafana/", headers=bearer(token)).status_code == 200
        influx.stop()
        r = http.get("/api/grafana/", headers=bearer(token))
        assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
        assert r.get_json()["error"]["code"] == "store_unavailable"
        influx.start()
        assert http.get("/api/grafana/", headers=bearer(token)).get_json()["status"] == "ok"
        app.extensions["statusmon"].store.close()
    finally:
        influx.stop()
