"""The overview's windowing in Chromium, past one screen of hosts: the cards and rows that leave the window are
bound to the hosts a scroll brings (their elements reused, hidden in the list while spare), and every one shown
shows its own host: name, link, values and labels. 240 hosts, each with its own CPU value and label, so a card
still showing its previous host's anything fails."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import DESKTOP, Browsing
from tests.live.fake import sample
from tests.support.server import ServerProcess, start_server

pytestmark = pytest.mark.browser

HOSTS = 240
# dashboards/web/src/pages/overview/grid.ts MAX_SPARE: the most hidden parts a view keeps.
MAX_SPARE = 120
# Per view: its path, a part's selector, and inside it the hostname, CPU value and labels.
VIEWS = {
    "cards": ("/", ".client-card", ".hostname", 'dd[data-metric="cpu_percent"]', ".card-labels"),
    "table": ("/?view=table", ".host-row", ".cell.host", '[data-metric="cpu_percent"]', ".cell.labels"),
}
# Every part in the list: host shown (none for a spare), hidden or not, its texts, its link, and the host it
# was first given (set by the test on the parts of the first screen).
PARTS = """([part, name, cpu, labels]) => [...document.querySelectorAll('#clients > li' + part)].map(e => ({
  id: e.dataset.id || null, hostname: e.dataset.hostname || null, hidden: e.style.visibility === 'hidden',
  name: e.querySelector(name).textContent, cpu: e.querySelector(cpu).textContent,
  labels: e.querySelector(labels).textContent, href: e.querySelector('a').getAttribute('href'),
  first: e.__firstHost || null,
}))"""


@pytest.fixture(scope="module")
def big_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, dict[str, int]]]:
    """A server with HOSTS hosts, host-000 to host-239, each reporting once: CPU i % 97, label n=i."""
    with start_server(tmp_path_factory.mktemp("reuse"), report_rate_per_minute="100000",
                      login_rate_per_minute="1000") as srv:
        index: dict[str, int] = {}
        now = int(time.time())
        for i in range(HOSTS):
            cid, token = srv.add_client(f"host-{i:03d}")
            index[cid] = i
            s = sample(now - 2, seed=i)
            s["cpu_percent"] = float(i % 97)
            r = requests.post(srv.url + "/api/report", timeout=10, headers={"Authorization": f"Bearer {token}"},
                              json={"agent_version": "e2e-1", "samples": [s], "labels": {"n": str(i)}})
            r.raise_for_status()
        yield srv, index
        srv.stop(signal.SIGINT)


def own_host(parts: list[dict[str, Any]], index: dict[str, int]) -> list[dict[str, Any]]:
    """The parts shown, each checked to show its own host's name, link, CPU and label."""
    shown = [p for p in parts if not p["hidden"]]
    for p in shown:
        i = index[p["id"]]
        assert (p["hostname"], p["name"]) == (f"host-{i:03d}", f"host-{i:03d}"), p
        assert p["href"] == f"/client/{p['id']}", p
        assert p["cpu"] == f"{i % 97} %", p
        assert p["labels"] == f"n={i}", p
    return shown


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_parts_that_leave_the_window_show_the_hosts_a_scroll_brings(
        big_fleet: tuple[ServerProcess, dict[str, int]], chromium: Any, view: str) -> None:
    from playwright.sync_api import expect

    srv, index = big_fleet
    path, part, name, cpu, labels = VIEWS[view]
    desktop = Browsing(chromium, srv, DESKTOP, "desktop")
    try:
        desktop.login()
        page = desktop.page
        page.goto(path)
        expect(page.locator(f'#clients {part}[data-hostname="host-000"]')).to_be_visible()
        first = own_host(page.evaluate(PARTS, [part, name, cpu, labels]), index)
        assert 0 < len(first) < HOSTS / 2  # windowed: a part of the fleet
        page.evaluate(f"document.querySelectorAll('#clients > li{part}').forEach(e => e.__firstHost = e.dataset.id)")

        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        expect(page.locator(f'#clients {part}[data-hostname="host-{HOSTS - 1:03d}"]')).to_be_visible()
        page.wait_for_timeout(500)  # the window's last parts (a few are bound per frame)
        parts = page.evaluate(PARTS, [part, name, cpu, labels])
        shown = own_host(parts, index)
        reused = [p for p in shown if p["first"] and p["first"] != p["id"]]
        assert reused, "no part of the first screen was bound to a host the scroll brought"
        spares = [p for p in parts if p["hidden"]]
        assert all(p["id"] is None and p["hostname"] is None for p in spares), spares  # nameless while spare
        assert len(spares) <= MAX_SPARE
        assert len(parts) <= len(shown) + MAX_SPARE  # the list's elements do not grow with the scroll

        # Back to the top: the first hosts again, each shown as its own.
        page.evaluate("window.scrollTo(0, 0)")
        expect(page.locator(f'#clients {part}[data-hostname="host-000"]')).to_be_visible()
        page.wait_for_timeout(500)
        again = own_host(page.evaluate(PARTS, [part, name, cpu, labels]), index)
        assert {p["id"] for p in first} <= {p["id"] for p in again}
        assert not desktop.errors, desktop.errors
    finally:
        desktop.close()
