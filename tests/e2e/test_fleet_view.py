"""The fleet view in Chromium: labels from the agent's config (as install.sh writes it) and set in the dashboard,
grouping, filtering by labels, the table view, and a bookmarked view restored from its URL."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.agent.agentproc import AgentProcess
from tests.e2e.conftest import DESKTOP, Browsing
from tests.live.fake import sample
from tests.support.server import ServerProcess, start_server

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def fleet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own: the shared one's client counts belong to test_dashboard.py."""
    with start_server(tmp_path_factory.mktemp("fleet"), report_rate_per_minute="100000",
                      login_rate_per_minute="1000") as srv:
        yield srv
        srv.stop(signal.SIGINT)

def post(srv: ServerProcess, token: str, labels: dict[str, str] | None, seed: int) -> None:
    body: dict[str, Any] = {"agent_version": "e2e-1", "samples": [sample(int(time.time()) - 2, seed=seed)]}
    if labels is not None:
        body["labels"] = labels
    r = requests.post(srv.url + "/api/report", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    r.raise_for_status()

def test_labels_group_filter_and_a_bookmarked_view(fleet_server: ServerProcess, chromium: Any,
                                                   tmp_path: Path) -> None:
    srv = fleet_server
    # gpu-a: the real agent process, its labels in the config file in the form install.sh --label writes.
    gpu_a, token = srv.add_client("gpu-a")
    conf = tmp_path / "agent.conf"
    conf.write_text(f"[agent]\nserver = {srv.url}\ntoken = {token}\nlabels = env=prod,role=gpu\n")
    agent = AgentProcess(tmp_path, srv.url, token, config=str(conf)).start()
    try:
        for i, (name, labels) in enumerate([("gpu-b", {"env": "dev", "role": "gpu"}),
                                            ("web-a", {"env": "prod", "role": "web"}), ("db-a", None)]):
            _, tok = srv.add_client(name)
            post(srv, tok, labels, seed=i)
        agent.wait_samples(2)
        desktop = Browsing(chromium, srv, DESKTOP, "desktop")
        try:
            run_the_view(desktop, srv, gpu_a)
        finally:
            desktop.close()
        assert not desktop.errors, desktop.errors
    finally:
        agent.stop()

def run_the_view(desktop: Browsing, srv: ServerProcess, gpu_a: str) -> None:
    from playwright.sync_api import expect

    desktop.login()
    page = desktop.page
    expect(page.locator("#clients .client-card:visible")).to_have_count(4)
    card = page.locator(f'.client-card[data-id="{gpu_a}"]')
    expect(card.locator(".card-labels")).to_have_text("env=prod role=gpu", timeout=15_000)

    # Group by env: a head per value (hosts without it last) with its summary line.
    page.get_by_label("Group by").select_option("env")
    heads = page.locator("#clients .group-head")
    expect(heads.locator("button")).to_have_text(["env = dev", "env = prod", "no env"])
    expect(page.locator('.group-head[data-group="prod"] .group-summary')).to_contain_text("2 hosts · 2 online")
    expect(page).to_have_url(re.compile(r"\?group=env$"))

    # Filter by labels: only GPU hosts; then fold prod away.
    page.get_by_label("Filter by labels").fill("role=gpu")
    expect(page.locator("#clients .client-card:visible")).to_have_count(2)
    page.locator('.group-head[data-group="prod"] button').click()
    expect(page.locator('.group-head[data-group="prod"] button')).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#clients .client-card:visible")).to_have_count(1)
    expect(page.locator("#clients .client-card:visible .hostname")).to_have_text("gpu-b")

    # The table view: one row per host, columns sortable.
    page.get_by_role("button", name="Table").click()
    expect(page.locator("#clients .host-row:visible")).to_have_count(1)
    page.locator('.group-head[data-group="prod"] button').click()  # unfold again
    expect(page.locator("#clients .host-row:visible")).to_have_count(2)
    page.locator('.table-head button[data-sort="cpu"]').click()
    expect(page.get_by_label("Sort by")).to_have_value("cpu")
    desktop.shot("fleet-table")
    page.locator('.group-head[data-group="dev"] button').click()  # fold dev for the bookmark
    expect(page.locator("#clients .host-row:visible")).to_have_count(1)
    bookmark = page.url
    assert "view=table" in bookmark and "group=env" in bookmark and "label=role%3Dgpu" in bookmark
    assert "collapsed=dev" in bookmark and "sort=cpu" in bookmark

    # A bookmarked view, opened in a fresh page, comes back as it was.
    fresh = desktop.context.new_page()
    fresh.goto(bookmark)
    expect(fresh.locator("#clients .host-row:visible")).to_have_count(1)
    expect(fresh.locator("#clients .host-row:visible .host")).to_have_text("gpu-a")
    expect(fresh.get_by_label("Group by")).to_have_value("env")
    expect(fresh.get_by_label("Filter by labels")).to_have_value("role=gpu")
    expect(fresh.get_by_role("button", name="Table")).to_have_attribute("aria-pressed", "true")
    expect(fresh.locator('.group-head[data-group="dev"] button')).to_have_attribute("aria-expanded", "false")
    fresh.close()

    # Labels set in the dashboard: the admin's env=staging wins over the agent's env=prod.
    page.goto(f"/client/{gpu_a}")
    labels = page.locator("#client-labels")
    expect(labels.locator('.label-chip[data-key="env"]')).to_have_text("env=prod")
    page.get_by_label("Set a label").fill("env=staging")
    page.get_by_role("button", name="Set label").click()
    expect(labels.locator('.label-chip.admin[data-key="env"]')).to_contain_text("env=staging")
    page.get_by_label("Set a label").fill("rack=b 12")
    page.get_by_role("button", name="Set label").click()
    expect(labels.locator(".form-status.bad")).to_contain_text("key=value")
    listed = srv.admin().get(srv.url + "/api/clients", params={"label": "env=staging"}, timeout=10).json()
    assert [c["hostname"] for c in listed["clients"]] == ["gpu-a"]
    assert listed["clients"][0]["label_sources"] == {"env": "admin", "role": "agent"}
    page.goto("/?label=env=staging")
    expect(page.locator("#clients .client-card:visible")).to_have_count(1)
    expect(page.locator("#clients .client-card:visible .card-labels")).to_have_text("env=staging role=gpu")
    # Removing the admin's value gives the agent's back.
    page.goto(f"/client/{gpu_a}")
    page.get_by_role("button", name="Remove label env").click()
    expect(labels.locator('.label-chip.agent[data-key="env"]')).to_have_text("env=prod")
    desktop.shot("fleet-labels")

    # An alert rule for the hosts with a label, from the rules form.
    page.goto("/settings")
    form = page.locator("#rule-form")
    form.get_by_label("Hosts with labels", exact=True).fill("role=gpu")
    form.get_by_label("Metric", exact=True).select_option("gpu_temp_c")
    form.get_by_label("Threshold", exact=True).fill("85")
    form.get_by_label("For (seconds)", exact=True).fill("60")
    form.get_by_role("button", name="Add rule").click()
    expect(page.locator("#rules-table tr", has_text="labels role=gpu")).to_contain_text("> 85")
    [rule] = srv.admin().get(srv.url + "/api/alert-rules", timeout=10).json()["rules"]
    assert rule["selector"] == {"role": "gpu"} and rule["client_id"] is None
    form.get_by_label("Hosts with labels", exact=True).fill("role")
    form.get_by_role("button", name="Add rule").click()
    expect(form.locator(".form-error")).to_contain_text("not key=value")


def test_the_overview_asks_for_its_listing_with_the_session_check(fleet_server: ServerProcess, chromium: Any) -> None:
    """Opened on the overview by a browser that holds a session, the page asks for the listing at once, beside
    the session check (a busy server queues each request: one wait instead of two). The live feed's first
    opening asks for a catch-up listing, which follows the first one instead of racing it."""
    from playwright.sync_api import expect

    srv = fleet_server
    _, tok = srv.add_client("early-listing")
    post(srv, tok, {"env": "prod"}, seed=7)

    b = Browsing(chromium, srv, DESKTOP, "desktop")
    try:
        b.login()
        page = b.context.new_page()  # a fresh load of the overview, as a bookmark opens it
        page.on("console", lambda m: b.errors.append(m.text) if m.type == "error" else None)
        page.goto("/")
        page.wait_for_selector('#clients [data-hostname="early-listing"]')
        timing = page.evaluate("""() => performance.getEntriesByType('resource')
            .filter((r) => ['/api/session', '/api/clients'].includes(new URL(r.name).pathname))
            .map((r) => ({path: new URL(r.name).pathname + new URL(r.name).search, start: r.startTime,
                          end: r.responseEnd}))""")
        listings = [t for t in timing if t["path"] == "/api/clients?fields=overview"]
        [session] = [t for t in timing if t["path"] == "/api/session"]
        early = [t for t in listings if t["start"] < session["end"]]  # asked before the session's answer came
        assert len(early) == 1, timing
        assert len(listings) <= 2, timing  # the early one is the overview's first load, not asked for again
        listings.sort(key=lambda t: t["start"])
        assert all(b["start"] >= a["end"] for a, b in zip(listings, listings[1:])), timing  # one at a time
        page.close()
        # Logged out from the overview itself: its sparkline requests, started by timers, are held while the
        # logout is under way (api.ts cancelPending(true)), so none meets its 401; and logged out, the overview's
        # address asks nothing early: no 401 on the way to the log-in page.
        b.page.goto("/")
        expect(b.page.locator("#clients .client-card:visible").first).to_be_visible()
        b.page.get_by_role("button", name="Log out").click()
        b.page.wait_for_url(re.compile(r"/login$"))
        b.page.wait_for_timeout(1500)  # any timer the overview left would have fired by now
        b.page.goto("/")
        b.page.wait_for_url(re.compile(r"/login"))
        assert not b.errors, b.errors
    finally:
        b.close()
