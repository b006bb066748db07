"""The settings page shows a setting the server does not act on disabled, with the reason, and saves the rest:
retention_days on a server storing in a real influxd; the same field enabled on SQLite."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import pytest
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


@pytest.mark.influx
def test_on_influxdb_the_retention_field_is_disabled_with_the_reason(chromium: Any,
                                                                     influx_server: ServerProcess) -> None:
    b = Browsing(chromium, influx_server, DESKTOP, "desktop-influx")
    try:
        b.login()
        page = b.page
        page.goto("/settings")
        retention = page.get_by_label("Keep history (days)")
        expect(retention).to_be_disabled()
        expect(page.locator("#retention-why")).to_contain_text("retention policy")
        expect(page.locator("#retention-why")).to_contain_text("STATUSMON_RETENTION_DAYS")
        expect(retention).to_have_accessible_description(  # the reason is read out with the field
            "Not changeable on this server: " + influx_server.admin().get(
                influx_server.url + "/api/settings", timeout=10).json()["unsupported"]["retention_days"])
        page.get_by_label("Offline after (seconds without a report)").fill("90")
        page.locator("#general").get_by_role("button", name="Save").click()
        expect(page.locator("#general .form-status")).to_have_text("Saved.")
        saved = influx_server.admin().get(influx_server.url + "/api/settings", timeout=10).json()
        assert saved["online_timeout_seconds"] == 90 and saved["retention_days"] == 7
        b.shot("settings-influx")
    finally:
        b.close()
    assert not b.errors, f"errors in the browser console: {b.errors}"


def test_on_sqlite_the_retention_field_is_enabled(desktop: Browsing) -> None:
    desktop.login()
    desktop.page.goto("/settings")
    expect(desktop.page.get_by_label("Keep history (days)")).to_be_enabled()
    expect(desktop.page.locator("#retention-why")).to_have_count(0)
