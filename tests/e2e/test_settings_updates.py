"""The settings page sets each channel's agent version (from the signed releases the server holds) and rollout."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from statusmon.release import keys
from statusmon.release.repository import Artifact, Repository
from tests.e2e.conftest import DESKTOP, Browsing
from tests.support.server import ServerProcess, start_server

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def updates_server(tmp_path: Path) -> Iterator[ServerProcess]:
    keys.keygen(tmp_path / "keys")
    repo = Repository(tmp_path / "repo", tmp_path / "keys")
    for v in ("2.0.0", "2.1.0"):  # the catalogue needs signed targets, not real wheelhouses
        (tmp_path / v).write_bytes(v.encode())
        repo.publish([Artifact(tmp_path / v, v, "cp311", "x86_64")])
    with start_server(tmp_path / "server", updates_dir=str(repo.dir), login_rate_per_minute="1000") as srv:
        yield srv
        srv.stop(signal.SIGINT)


def test_an_admin_sets_the_stable_version_and_rollout_from_the_settings_page(
        chromium: Any, updates_server: ServerProcess) -> None:
    b = Browsing(chromium, updates_server, DESKTOP, "desktop-updates")
    try:
        b.login()
        page = b.page
        page.goto("/settings#updates")
        version = page.get_by_label("Stable version")
        expect(version.locator("option")).to_have_text(["none (stay)", "2.1.0", "2.0.0"])
        version.select_option("2.1.0")
        page.locator("#update-stable-pct").fill("30")
        page.locator("#update-policy").get_by_role("button", name="Save").click()
        expect(page.locator("#update-policy .form-status")).to_have_text("Saved.")
        policy = updates_server.admin().get(updates_server.url + "/api/updates/policy", timeout=10).json()
        assert policy["channels"]["stable"] == {"version": "2.1.0", "rollout_percent": 30}
        assert policy["channels"]["canary"] == {"version": None, "rollout_percent": 100}
        page.locator("#update-stable-pct").fill("130")  # the browser's own check stops it; the API would too
        page.locator("#update-policy").get_by_role("button", name="Save").click()
        page.reload()
        expect(page.get_by_label("Stable version")).to_have_value("2.1.0")
        expect(page.locator("#update-stable-pct")).to_have_value("30")
        b.shot("settings-updates")
    finally:
        b.close()
    assert not b.errors, f"errors in the browser console: {b.errors}"
