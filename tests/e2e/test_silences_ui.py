"""The settings page's silences, in Debian's Chromium against a real server: silence a host with a comment,
see it listed as active, end it early, see it listed as ended early (and the API agrees)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Browsing
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration


def test_a_host_is_silenced_from_settings_and_the_silence_ended_early(server: ServerProcess,
                                                                       desktop: Browsing) -> None:
    admin = server.admin()
    client_id, _ = server.add_client("silence-me.example")
    desktop.login()
    page = desktop.page
    page.goto("/settings#silences")
    section = page.locator("#silences")
    section.get_by_label("What to silence").select_option("host")
    section.get_by_label("Host").select_option(label="silence-me.example")
    section.get_by_label("For").select_option(label="4 hours")
    section.get_by_label("Comment").fill("swapping the disk")
    section.get_by_role("button", name="Silence").click()
    row = section.locator("tr[data-silence]").filter(has_text="swapping the disk")
    expect(row).to_contain_text("host silence-me.example")
    expect(row).to_contain_text("active")
    desktop.shot("settings-silences")
    (made,) = [s for s in admin.get(server.url + "/api/silences", timeout=10).json()["silences"]
               if s["comment"] == "swapping the disk"]
    assert (made["scope"], made["client_id"], made["active"]) == ("host", client_id, True)
    assert 4 * 3600 - 5 <= made["ends_at"] - made["starts_at"] <= 4 * 3600 + 5
    row.get_by_role("button", name="End now").click()
    expect(section.locator("tr[data-silence]").filter(has_text="swapping the disk")).to_contain_text("ended early")
    (ended,) = [s for s in admin.get(server.url + "/api/silences", timeout=10).json()["silences"]
                if s["id"] == made["id"]]
    assert ended["active"] is False and ended["ended_at"] is not None
