"""The settings page's retention fields act on every backend: on a server storing in a real influxd (1.x) saving
them alters the retention policies of the raw samples and of both history tiers; on SQLite they are enabled too."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, Browsing
from tests.support.server import ServerProcess, start_server

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def influx_server(tmp_path_factory: pytest.TempPathFactory, influxd: Any,
                  influx_db_name: str) -> Iterator[ServerProcess]:
    with start_server(tmp_path_factory.mktemp("e2e-influx"), influx_url=influxd.url, influx_db=influx_db_name,
                      login_rate_per_minute="1000") as srv:
        yield srv
        srv.stop(signal.SIGINT)


def policies(influxd: Any, db: str) -> dict[str, str]:
    r = requests.get(influxd.url + "/query", params={"q": f'SHOW RETENTION POLICIES ON "{db}"'}, timeout=10)
    return {row[0]: row[1] for row in r.json()["results"][0]["series"][0]["values"]}


@pytest.mark.influx
def test_on_influxdb_saving_the_retention_fields_alters_the_policies(chromium: Any, influxd: Any,
                                                                     influx_db_name: str,
                                                                     influx_server: ServerProcess) -> None:
    b = Browsing(chromium, influx_server, DESKTOP, "desktop-influx")
    try:
        b.login()
        page = b.page
        page.goto("/settings")
        for label in ("Keep raw samples (days)", "Keep 1-minute history (days)", "Keep 1-hour history (days)"):
            expect(page.get_by_label(label)).to_be_enabled()
        expect(page.locator("[data-unsupported]")).to_have_count(0)
        page.get_by_label("Keep raw samples (days)").fill("14")
        page.get_by_label("Keep 1-minute history (days)").fill("30")
        page.get_by_label("Keep 1-hour history (days)").fill("365")
        page.locator("#general").get_by_role("button", name="Save").click()
        expect(page.locator("#general .form-status")).to_have_text("Saved.")
        saved = influx_server.admin().get(influx_server.url + "/api/settings", timeout=10).json()
        assert (saved["retention_days"], saved["minute_retention_days"], saved["hour_retention_days"]) == (14, 30, 365)
        assert policies(influxd, influx_db_name) == {"week": "336h0m0s", "minute": "720h0m0s", "hour": "8760h0m0s"}
        b.shot("settings-influx")
    finally:
        b.close()
    assert not b.errors, f"errors in the browser console: {b.errors}"


def test_on_sqlite_the_retention_fields_are_enabled(desktop: Browsing) -> None:
    desktop.login()
    desktop.page.goto("/settings")
    expect(desktop.page.get_by_label("Keep raw samples (days)")).to_be_enabled()
    expect(desktop.page.get_by_label("Keep 1-hour history (days)")).to_be_enabled()
    expect(desktop.page.locator("#retention-why")).to_have_count(0)
