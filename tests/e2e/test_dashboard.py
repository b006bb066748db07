"""The dashboard end to end in Chromium: login, overview, client page tabs and ranges, stats equal to the API,
the live tab moving every second, client management and settings; screenshots at desktop and phone widths."""

from __future__ import annotations

import re
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.agent import FakeAgent
from tests.e2e.conftest import Browsing
from tests.live.fake import report, sample
from tests.support.server import ServerProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def seed_history(server: ServerProcess, token: str, seed: int = 0) -> None:
    """The last 24 h: every 5 min, then every 10 s for the last hour, with a 20-minute hole (a gap)."""
    now = int(time.time())
    older = [sample(t, seed=seed) for t in range(now - 86_000, now - 3600, 300)]
    recent = [sample(t, seed=seed) for t in range(now - 3590, now - 5, 10) if not now - 2400 < t < now - 1200]
    report(server.url, token, older)
    report(server.url, token, recent)


def test_it_sends_a_visitor_to_the_login_page_and_logs_in_and_out(desktop: Browsing, phone: Browsing) -> None:
    page = desktop.page
    page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings$"))
    phone.page.goto("/login")
    expect(phone.page.get_by_label("Admin password")).to_be_visible()
    phone.shot("login")
    page.get_by_label("Admin password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#login-error")).to_have_text("wrong password")
    desktop.shot("login-error")
    desktop.errors.clear()  # the browser logs the refused login's 401 as a console error
    page.get_by_label("Admin password").fill("correct-horse-battery")
    page.get_by_label("Admin password").press("Enter")  # keyboard only
    expect(page).to_have_url(re.compile(r"/settings$"))
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_a_client_appears_on_the_overview_within_seconds_of_its_first_report(
        server: ServerProcess, desktop: Browsing, phone: Browsing) -> None:
    for i, name in enumerate(["gpu-box-01", "gpu-box-02", "web-1", "db-primary"]):
        _, tok = server.add_client(name)
        report(server.url, tok, [sample(int(time.time()) - k, seed=i, gpus=2) for k in range(30, 0, -3)])
    server.add_client("never-reported")
    desktop.login()
    page = desktop.page
    expect(page.locator("#clients .client-card:visible")).to_have_count(5)
    cid, tok = server.add_client("fresh-host")
    t = int(time.time())
    fresh = {**sample(t, seed=7), "net_rx_bytes_per_s": 3 << 20, "net_tx_bytes_per_s": 1 << 20}
    report(server.url, tok, [fresh])
    card = page.locator('.client-card[data-hostname="fresh-host"]')
    expect(card).to_be_visible(timeout=5000)
    expect(card.locator(".badge")).to_have_text("online")
    expect(card.locator('[data-metric="docker_bytes"]')).to_have_text("37.0 GiB")
    expect(card.locator('[data-metric="disk_percent"]')).to_have_text("62 %")
    expect(card.locator('[data-metric="net_bytes_per_s"]')).to_have_text("4.00 MiB/s")  # received + sent
    expect(page.locator(".table-head")).to_be_hidden()  # the table's column heads belong to the table view
    expect(page.locator('.client-card[data-hostname="web-1"] [data-metric="net_bytes_per_s"]')).to_have_text("—")
    expect(card.locator(".seen")).to_have_text(re.compile(r"last seen (just now|\d+ s ago)"))
    # A reload paints from the overview's slim listing alone (no report comes meanwhile): nothing it shows is lost.
    with page.expect_response(lambda r: "/api/clients?fields=overview" in r.url) as listed:
        page.reload()
    assert listed.value.ok and "disks" not in listed.value.json()["clients"][0]["latest"]
    expect(card.locator('[data-metric="net_bytes_per_s"]')).to_have_text("4.00 MiB/s")
    expect(card.locator('[data-metric="docker_bytes"]')).to_have_text("37.0 GiB")
    expect(card.locator('[data-metric="disk_percent"]')).to_have_text("62 %")
    gpu = card.locator('[data-metric="gpu_percent"]')
    expect(gpu).to_have_text(re.compile(r"^\d+ %$"))
    assert abs(int(gpu.inner_text().split()[0]) - fresh["gpu_percent"]) <= 0.5
    # Filter and sort.
    page.get_by_label("Filter by name").fill("gpu")
    expect(page.locator("#clients .client-card:visible")).to_have_count(2)
    page.get_by_label("Filter by name").fill("")
    page.get_by_label("Status").select_option("offline")
    expect(page.locator("#clients .client-card:visible")).to_have_count(1)
    expect(page.locator("#clients .client-card:visible .hostname")).to_have_text("never-reported")
    page.get_by_label("Status").select_option("all")
    report(server.url, tok, [{**sample(t + k, seed=7), "net_rx_bytes_per_s": 30 << 20, "net_tx_bytes_per_s": 900 << 10}
                             for k in range(1, 12)])
    # The sparkline (one inline SVG, no chart object or canvas per card) is drawn across the card's width.
    spark = card.locator(".spark svg")
    expect(spark).to_have_count(1)
    expect(spark.locator("path").nth(1)).to_have_attribute("d", re.compile(r"^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+"))
    assert int(spark.get_attribute("width") or 0) > 150
    desktop.shot("overview")
    phone.login()
    expect(phone.page.locator("#clients .client-card:visible")).to_have_count(6)
    phone.shot("overview")
    # The card is a link: keyboard users reach the client page.
    card.locator("a").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/client/{cid}$"))


def test_the_client_page_loads_directly_switches_tabs_and_ranges(server: ServerProcess, desktop: Browsing) -> None:
    cid, tok = server.add_client("history-host")
    seed_history(server, tok, seed=3)
    desktop.login()
    page = desktop.page
    page.goto(f"/client/{cid}?tab=history")  # a direct link
    expect(page.get_by_role("tab", name="History")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".chart canvas").first).to_be_visible()
    assert page.locator(".chart").count() >= 5  # cpu/ram/gpu, root disk, docker, mounts, GPU...
    for r in ("12h", "24h", "7d", "1h"):
        page.get_by_role("button", name=r, exact=True).click()
        expect(page.get_by_role("button", name=r, exact=True)).to_have_attribute("aria-pressed", "true")
        expect(page.locator('[data-chart="cpu-ram-gpu"] canvas')).to_be_visible()
        expect(page).to_have_url(re.compile(f"/client/{cid}\\?tab=history(&range={r})?$"))
    # Each chart says its resolution: raw samples for an hour; for 90 days the hour tier's buckets (the API
    # answers which, as the server's downsampler has built them by now or not).
    expect(page.locator(".chart-resolution").first).to_have_text("10 s means of raw samples")
    page.get_by_role("button", name="90d", exact=True).click()
    expect(page.get_by_role("button", name="90d", exact=True)).to_have_attribute("aria-pressed", "true")
    served = server.admin().get(f"{server.url}/api/metrics/{cid}", params={"range": "90d", "max_points": 600},
                                timeout=10).json()
    words = {"hour": "1-hour buckets", "minute": "1-minute buckets", "raw": "raw samples"}[served["resolution"]]
    expect(page.locator(".chart-resolution").first).to_have_text(f"6 h means of {words}")
    page.get_by_role("button", name="24h", exact=True).click()
    expect(page.locator('[data-chart="cpu-ram-gpu"] canvas')).to_be_visible()
    page.locator('[data-chart="cpu-ram-gpu"] .u-over').hover()  # synced cursors: every legend follows
    desktop.shot("client-history")
    page.reload()  # reload keeps the tab and range
    expect(page.get_by_role("button", name="24h", exact=True)).to_have_attribute("aria-pressed", "true")
    # Keyboard: arrows move between tabs.
    page.get_by_role("tab", name="History").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Stats")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Stats")).to_be_focused()
    admin = server.admin()
    for r in ("1h", "24h"):
        page.get_by_role("button", name=r, exact=True).click()
        expect(page.locator("#stats-table")).to_be_visible()
        expect(page.locator("#stats-table caption")).to_contain_text(f"Last {r}")
        api = admin.get(f"{server.url}/api/stats/{cid}", params={"range": r}, timeout=10).json()["metrics"]
        check_stats_table(page, api)
    desktop.shot("client-stats")
    page.get_by_role("tab", name="Live").click()
    expect(page.locator('.gauge[data-metric="disk_percent"] .gauge-value')).to_have_text("61.5 %")
    expect(page.locator('tr[data-mount="/"]')).to_contain_text("100 GiB / 200 GiB")
    expect(page.locator('.gpu[data-gpu="0"]')).to_contain_text("61 °C")
    expect(page.locator('.gpu[data-gpu="0"]')).to_contain_text("313 W")
    expect(page.locator('.gpu[data-gpu="0"]')).to_contain_text("40.0 GiB / 80.0 GiB")


def check_stats_table(page: Any, api: dict[str, dict[str, Any]]) -> None:
    """Every cell of the table holds the API's number (data-raw) and shows it formatted."""
    rows = page.locator("#stats-table tbody tr")
    expect(rows).to_have_count(len(api))
    for metric, stats in api.items():
        cells = page.locator(f'#stats-table tr[data-metric="{metric}"] td')
        raw = cells.evaluate_all("tds => tds.map(td => td.dataset.raw)")
        want = [stats["min"], stats["avg"], stats["max"], stats["p95"], stats["count"]]
        got = [float(x) if x else None for x in raw]
        assert got == pytest.approx(want), metric
        if metric.endswith("_percent") and stats["avg"] is not None:
            # JavaScript's toFixed rounds the exact binary value half up (12.25 -> 12.3).
            shown = Decimal(stats["avg"]).quantize(Decimal("0.1"), ROUND_HALF_UP)
            assert cells.nth(1).inner_text() == f"{shown} %"


def test_the_live_tab_moves_every_second_while_open(server: ServerProcess, desktop: Browsing,
                                                    phone: Browsing) -> None:
    cid, tok = server.add_client("live-host")
    agent = FakeAgent(server.url, tok, seed=5)
    agent.start()
    try:
        desktop.login()
        page = desktop.page
        page.goto(f"/client/{cid}")
        expect(page.locator("#live-updated")).to_have_attribute("data-ts", re.compile(r"\d+"), timeout=15_000)
        # The next reply tells the agent to report every second (it asked every 10 s before).
        deadline = time.monotonic() + 15
        while agent.interval != 1:
            assert time.monotonic() < deadline, f"the interval hint never dropped to 1 s: {agent.hints}"
            time.sleep(0.2)
        # Measure from the batch that carried the hint: the step onto it is the old 10 s interval, and whether
        # this thread reads the page before or after that batch's frame lands is a race between the agent's
        # reply and the WebSocket frame (both sent as the batch is stored), not a property of the page.
        switched = int(agent.posts[-1])
        expect(page.locator("#live-updated")).to_have_attribute(
            "data-ts", re.compile("^(" + "|".join(str(switched + k) for k in range(30)) + ")$"))
        seen: list[tuple[float, int]] = []
        end = time.monotonic() + 6
        while time.monotonic() < end:
            ts = int(page.locator("#live-updated").get_attribute("data-ts") or 0)
            if not seen or ts != seen[-1][1]:
                seen.append((time.monotonic(), ts))
            time.sleep(0.1)
        steps = [b[1] - a[1] for a, b in zip(seen, seen[1:])]
        assert len(seen) >= 5, f"the live tab updated only {len(seen)} times in 6 s: {seen}"
        assert max(steps) <= 2, f"the live tab jumped: {steps}"
        expect(page.locator(".live-chart canvas")).to_be_visible()
        desktop.shot("client-live")
        phone.login()
        phone.page.goto(f"/client/{cid}")
        expect(phone.page.locator("#live-updated")).to_have_attribute("data-ts", re.compile(r"\d+"))
        phone.shot("client-live")
        # Leaving the page: the hint goes back to the default.
        page.get_by_role("link", name="Overview", exact=True).click()
        phone.page.get_by_role("link", name="Overview", exact=True).click()
        deadline = time.monotonic() + 8
        while agent.interval != 10:
            assert time.monotonic() < deadline, f"the hint stayed at 1 s after leaving: {agent.hints[-5:]}"
            time.sleep(0.2)
    finally:
        agent.stop()


def test_clients_are_added_rotated_and_removed_in_settings(server: ServerProcess, desktop: Browsing,
                                                            phone: Browsing) -> None:
    desktop.login()
    page = desktop.page
    page.get_by_role("link", name="Settings", exact=True).click()  # not "Add a client in Settings"
    page.get_by_label("Hostname").fill("new-host.example.org")
    page.get_by_role("button", name="Add client").click()
    token = page.locator("#token-value").input_value()
    assert re.fullmatch(r"\S{20,}", token)
    expect(page.locator("#install-command")).to_contain_text(f"--token {token}")
    expect(page.locator("#install-command")).to_contain_text(f"--server {server.url}")
    row = page.locator('#client-table tr[data-hostname="new-host.example.org"]')
    expect(row).to_be_visible()
    desktop.shot("settings-new-client")
    # The token works for the agent.
    report(server.url, token, [sample(int(time.time()))])
    page.get_by_role("button", name="Done, hide it").click()
    expect(page.locator("#token-value")).to_have_count(0)
    # A duplicate is refused with the API's message.
    page.get_by_label("Hostname").fill("new-host.example.org")
    page.get_by_role("button", name="Add client").click()
    expect(page.locator("#add-client .form-status")).to_contain_text("exists already")
    desktop.errors.clear()  # the 409 is logged by the browser
    # Rotate: the old token stops working.
    row.get_by_role("button", name="Rotate token").click()
    expect(page.locator("#confirm")).to_be_visible()
    page.locator("#confirm-ok").click()
    new_token = page.locator("#token-value").input_value()
    assert new_token != token
    r = server.admin().post(server.url + "/api/report", headers={"Authorization": f"Bearer {token}"},
                            json={"samples": [sample(int(time.time()))]}, timeout=10)
    assert r.status_code == 401
    # Remove, cancelling first (Escape), then confirming.
    row.get_by_role("button", name="Remove").click()
    expect(page.locator("#confirm")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#confirm")).to_be_hidden()
    expect(row).to_be_visible()
    row.get_by_role("button", name="Remove").click()
    page.locator("#confirm-ok").click()
    expect(row).to_have_count(0)
    listed = server.admin().get(server.url + "/api/clients", timeout=10).json()["clients"]
    assert "new-host.example.org" not in [c["hostname"] for c in listed]

    # One form per channel, from the registry; the Slack webhook is masked once saved; a foreign host is refused
    # with the API's reason.
    slack = page.locator('form[data-channel="slack"]')
    expect(page.locator("form.channel")).to_have_count(9)
    expect(slack.locator("[data-state]")).to_have_text("not set up")
    slack.get_by_label("Slack incoming webhook URL").fill("https://example.com/hook")
    slack.get_by_role("button", name="Save").click()
    expect(slack.locator(".form-status")).to_contain_text("settings refused")
    desktop.errors.clear()  # the 422 is logged by the browser
    secret = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnopqrstuvwx"
    slack.get_by_label("Slack incoming webhook URL").fill(secret)
    slack.get_by_role("button", name="Save").click()
    slack = page.locator('form[data-channel="slack"]')  # the forms are drawn again from the server's answer
    expect(slack.locator("[data-state]")).to_have_text("working")
    expect(slack.get_by_label("Slack incoming webhook URL")).to_have_attribute("placeholder", re.compile("^Saved"))
    # A channel of several fields: Telegram's token (secret) and chat id.
    telegram = page.locator('form[data-channel="telegram"]')
    telegram.get_by_label("Bot token").fill("123456:SECRETBOTTOKEN")
    telegram.get_by_label("Chat id").fill("-1001234")
    telegram.get_by_role("button", name="Save").click()
    expect(page.locator('form[data-channel="telegram"] [data-state]')).to_have_text("working")
    expect(page.locator('form[data-channel="telegram"]').get_by_label("Chat id")).to_have_value("-1001234")
    assert "abcdefghijklmnopqrstuvwx" not in page.content() and "SECRETBOTTOKEN" not in page.content()
    # Thresholds save.
    page.get_by_label("CPU %: threshold").fill("87.5")
    page.get_by_role("button", name="Save thresholds").click()
    expect(page.locator("#thresholds .form-status")).to_have_text("Saved.")
    saved = server.admin().get(server.url + "/api/settings", timeout=10).json()
    assert saved["thresholds"]["cpu_percent"]["threshold"] == 87.5
    assert saved["slack_webhook_url_set"] is True
    expect(page.locator("#alert-rules")).to_be_visible()
    desktop.shot("settings")
    phone.login()
    phone.page.goto("/settings")
    expect(phone.page.locator("#clients")).to_be_visible()  # the table is gone when this test runs alone
    phone.shot("settings")


def test_the_live_tab_shows_containers_sortable_gpu_processes_docker_by_kind_and_the_host_figures(
        server: ServerProcess, desktop: Browsing) -> None:
    cid, tok = server.add_client("docker-host")
    now = int(time.time())
    gib = 1 << 30
    s = sample(now - 2, seed=5)
    s["gpus"][0]["processes"] = [{"pid": 4242, "name": "python3", "mem_used_bytes": 38 * gib}]
    s.update(load1=3.5, load5=2.0, load15=1.0, load1_per_core=0.44, net_rx_bytes_per_s=2048.0,
             net_tx_bytes_per_s=1024.0, cpu_temp_c=64.0, containers_running=2, containers_restarting=1,
             docker_images_bytes=20 * gib, docker_containers_bytes=gib, docker_volumes_bytes=15 * gib,
             docker_build_cache_bytes=gib, docker_reclaimable_bytes=12 * gib,
             temps=[{"sensor": "coretemp", "label": "Package id 0", "temp_c": 64.0}],
             containers=[
                 {"id": "a1", "name": "web", "image": "nginx:1.25", "state": "running", "cpu_percent": 3.5,
                  "mem_bytes": 200 << 20, "restart_count": 0},
                 {"id": "b2", "name": "db", "image": "postgres:16", "state": "running", "cpu_percent": 12.0,
                  "mem_bytes": 2 * gib, "restart_count": 0},
                 {"id": "c3", "name": "worker", "image": "app:7", "state": "restarting", "restart_count": 4},
             ])
    report(server.url, tok, [s])
    desktop.login()
    page = desktop.page
    page.goto(f"/client/{cid}")
    rows = page.locator("tr[data-container]")
    expect(rows).to_have_count(3)
    assert rows.evaluate_all("trs => trs.map(t => t.dataset.container)") == ["db", "web", "worker"]  # CPU first
    page.locator('th[data-sort="name"] button').click()
    expect(page.locator('th[data-sort="name"]')).to_have_attribute("aria-sort", "ascending")
    assert rows.evaluate_all("trs => trs.map(t => t.dataset.container)") == ["db", "web", "worker"]
    page.locator('th[data-sort="name"] button').click()
    assert rows.evaluate_all("trs => trs.map(t => t.dataset.container)") == ["worker", "web", "db"]
    page.locator('th[data-sort="restart_count"] button').click()
    expect(rows.first).to_have_attribute("data-container", "worker")
    expect(page.locator('.gpu[data-gpu="0"] tr[data-pid="4242"]')).to_contain_text("python3")
    expect(page.locator('.gpu[data-gpu="0"] tr[data-pid="4242"]')).to_contain_text("38.0 GiB")
    expect(page.locator('.docker-kinds dd[data-kind="Reclaimable"]')).to_have_text("12.0 GiB")
    expect(page.locator('dd[data-figure="load"]')).to_have_text("3.50 / 2.00 / 1.00 (0.44 per core)")
    expect(page.locator('dd[data-figure="net"]')).to_have_text("2.00 KiB/s / 1.00 KiB/s")
    expect(page.locator('tr[data-sensor="coretemp/Package id 0"]')).to_contain_text("64 °C")
    desktop.shot("client-live-containers")
