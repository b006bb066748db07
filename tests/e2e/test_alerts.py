"""Alerts at a glance, in Chromium: a rule fires on a host reporting through the real API, evaluated by the real
`statusmon alerting` worker -> the header count, the card's badge, the Alerts page row and the client page show
it within one evaluation cycle plus a second; it resolves -> all clear, and the history keeps it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.alerting.test_end_to_end import report, worker_process
from tests.api.conftest import good_sample
from tests.e2e.conftest import ARTIFACTS, DESKTOP, PHONE, Browsing
from tests.support.server import start_server

pytestmark = pytest.mark.integration

CYCLE_S = 2.0  # the worker's --interval below
WITHIN_MS = int((CYCLE_S + 1.0) * 1000)  # one evaluation cycle plus a second


_last_ts = 0


def fresh_ts() -> int:
    """Now, or a second past the last sample these tests reported when that is later. The worker evaluates each
    sample time once (its query starts after the newest it has seen), so a resolving sample and a firing one
    sent within the same second would overwrite each other unevaluated, and the alert would never fire again
    (CI saw it: the incident under the silence never appeared)."""
    global _last_ts
    _last_ts = max(int(time.time()), _last_ts + 1)
    return _last_ts


def test_a_firing_rule_shows_everywhere_within_a_cycle_and_clears_when_it_resolves(
        chromium: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with start_server(data_dir, report_rate_per_minute="100000") as srv:
        admin = srv.admin()
        cid, token = srv.add_client("web-1")
        srv.add_client("db-1")  # never reports: offline, without alerts (offline alerts off below)
        assert admin.post(srv.url + "/api/settings", json={"thresholds": {}, "online_timeout_seconds": 3600},
                          timeout=10).status_code == 200
        r = admin.post(srv.url + "/api/alert-rules", json={"client_id": cid, "metric_type": "cpu_percent",
                                                           "threshold": 90, "duration_sec": 0}, timeout=10)
        assert r.status_code == 201, r.text
        report(srv, token, [good_sample(int(time.time()) - 1, cpu_percent=20.0)])
        env = {**srv.env, "STATUSMON_DATA_DIR": str(data_dir)}
        env.pop("STATUSMON_ADMIN_PASSWORD", None)
        b = Browsing(chromium, srv, DESKTOP, "desktop")
        phone = Browsing(chromium, srv, PHONE, "phone")
        with worker_process(data_dir, env, str(CYCLE_S)):
            b.login()
            overview = b.page
            alerts_page = b.context.new_page()
            client_page = b.context.new_page()
            alerts_page.goto("/alerts")  # a direct link works
            client_page.goto(f"/client/{cid}")
            overview.goto("/")
            overview.locator("#alert-count", has_text="Alerts: none firing").wait_for()  # zero shown, calmly
            alerts_page.locator("text=Nothing is firing or pending").wait_for()

            report(srv, token, [good_sample(fresh_ts(), cpu_percent=97.5)])
            t0 = time.monotonic()
            overview.locator('#alert-count[data-firing="1"]').wait_for(timeout=WITHIN_MS)
            card = overview.locator(f'.client-card[data-id="{cid}"]')
            card.locator(".card-alerts", has_text="cpu 97.5 > 90").wait_for(timeout=WITHIN_MS)
            assert card.get_attribute("data-alerting") == "metric"
            row = alerts_page.locator("#active-table tr.alert-row.firing", has_text="web-1")
            row.wait_for(timeout=WITHIN_MS)
            assert "97.5 > 90" in row.inner_text()
            client_page.locator("#client-active li.firing", has_text="cpu 97.5 > 90").wait_for(timeout=WITHIN_MS)
            shown_s = time.monotonic() - t0
            assert overview.locator("#alert-count").inner_text() == "Alerts 1 firing"
            # The overview filters by "alerting".
            overview.select_option("#status-filter", "alerting")
            assert overview.locator(".client-card:visible").count() == 1
            overview.select_option("#status-filter", "all")
            b.shot("alerts-overview-firing")
            b.page = alerts_page
            b.shot("alerts-page-firing")
            b.page = client_page
            b.shot("alerts-client-firing")
            phone.login()
            phone.page.goto("/alerts")
            phone.page.locator("#active-table tr.alert-row").wait_for()
            phone.shot("alerts-page-firing")
            phone.page.goto("/")
            phone.page.locator(f'.client-card[data-id="{cid}"] .card-alerts .badge').wait_for()
            phone.shot("alerts-overview-firing")

            report(srv, token, [good_sample(fresh_ts(), cpu_percent=5.0)])
            t1 = time.monotonic()
            overview.locator('#alert-count[data-firing="0"]').wait_for(timeout=WITHIN_MS)
            card.locator(".card-alerts:empty").wait_for(timeout=WITHIN_MS)
            alerts_page.locator("text=Nothing is firing or pending").wait_for(timeout=WITHIN_MS)
            client_page.locator("#client-all-clear").wait_for(timeout=WITHIN_MS)
            cleared_s = time.monotonic() - t1
            # The history keeps it, resolved.
            alerts_page.locator("#history-table tr.incident.resolved", has_text="web-1").wait_for(timeout=WITHIN_MS)
            link = alerts_page.locator("#history-table tr.incident a").first.get_attribute("href")
            assert link and link.startswith(f"/client/{cid}?tab=history&from=")
            b.page = alerts_page
            b.shot("alerts-page-resolved")
            # The link opens the client's History at the incident: its span shaded, the rule's threshold drawn.
            alerts_page.locator("#history-table tr.incident a").first.click()
            chart = alerts_page.locator('.chart[data-chart="cpu-ram-gpu"]')
            chart.locator("canvas").wait_for()
            assert chart.get_attribute("data-mark", timeout=1000) == link.split("mark=")[1].replace("%2D", "-")
            assert "CPU > 90.0 %" in (chart.get_attribute("data-thresholds") or "").split("; ")
            assert "tab=history" in alerts_page.url and "mark=" in alerts_page.url  # kept on reload
            assert alerts_page.locator("#history-window").inner_text().strip()
            b.shot("alerts-incident-history")
            phone.page.goto(link)
            phone.page.locator('.chart[data-chart="cpu-ram-gpu"] canvas').wait_for()
            phone.shot("alerts-incident-history")
        print(f"shown everywhere {shown_s:.2f} s after the report; cleared {cleared_s:.2f} s after it "
              f"(worker cycle {CYCLE_S} s)")
        errors = b.errors + phone.errors
        b.close()
        phone.close()
        assert not errors, errors


def test_alert_rules_are_added_edited_and_deleted_from_a_labelled_form(server: Any, desktop: Browsing,
                                                                       phone: Browsing) -> None:
    cid, _ = server.add_client("rules-host")
    admin = server.admin()
    rules = lambda: [r for r in admin.get(server.url + "/api/alert-rules", timeout=10).json()["rules"]  # noqa: E731
                     if r["client_id"] == cid]
    desktop.login()
    page = desktop.page
    page.goto("/settings")
    form = page.locator("#rule-form")
    form.get_by_label("Client", exact=True).select_option(label="rules-host")
    form.get_by_label("Metric", exact=True).select_option("cpu_percent")
    form.get_by_label("Threshold", exact=True).fill("91")
    form.get_by_label("For (seconds)", exact=True).fill("120")
    form.get_by_role("button", name="Add rule").click()
    row = page.locator("#rules-table tr", has_text="rules-host")
    expect(row).to_contain_text("> 91")
    expect(row).to_contain_text("2 min")
    [rule] = rules()
    assert (rule["metric_type"], rule["threshold"], rule["duration_sec"]) == ("cpu_percent", 91, 120)
    # Edit: the form fills in, Save changes the threshold and nothing else.
    row.get_by_role("button", name="Edit").click()
    expect(form.get_by_label("Threshold", exact=True)).to_have_value("91")
    form.get_by_label("Threshold", exact=True).fill("93.5")
    form.get_by_role("button", name="Save rule").click()
    expect(row).to_contain_text("> 93.5")
    [edited] = rules()
    assert edited["id"] == rule["id"] and edited["threshold"] == 93.5 and edited["duration_sec"] == 120
    page.locator("#alert-rules").scroll_into_view_if_needed()
    page.locator("#alert-rules").screenshot(path=str(ARTIFACTS / "alert-rules-desktop.png"))
    # On a phone the form's fields stay inside the screen, two a row, each under its label.
    phone.login()
    phone.page.goto("/settings")
    phone.page.locator("#rules-table").scroll_into_view_if_needed()
    for name in ("Client", "Metric", "Threshold", "For (seconds)"):
        box = phone.page.locator("#rule-form").get_by_label(name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
    phone.page.locator("#alert-rules").screenshot(path=str(ARTIFACTS / "alert-rules-phone.png"))
    # Delete, confirmed.
    page.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert rules() == []
    # The session's server is shared with tests/e2e/test_dashboard.py, which counts the overview's cards.
    assert admin.delete(f"{server.url}/api/clients/{cid}", timeout=10).status_code in (200, 204)


def test_a_firing_alert_silenced_from_the_alerts_page_is_marked_silenced_everywhere(
        chromium: Any, tmp_path: Path) -> None:
    """The row's Silence action (host scope, 1 hour, a comment) -> one silence stored as asked; the alert is
    marked silenced on the Alerts page, the card and the client page; the other host's alert is not; an
    incident that fires while the silence holds is marked silenced in the history."""
    data_dir = tmp_path / "data"
    with start_server(data_dir, report_rate_per_minute="100000") as srv:
        admin = srv.admin()
        cid, token = srv.add_client("web-1")
        other, token2 = srv.add_client("db-1")
        assert admin.post(srv.url + "/api/settings", json={"thresholds": {}, "online_timeout_seconds": 3600},
                          timeout=10).status_code == 200
        r = admin.post(srv.url + "/api/alert-rules", json={"metric_type": "cpu_percent", "threshold": 90,
                                                           "duration_sec": 0}, timeout=10)
        assert r.status_code == 201, r.text
        env = {**srv.env, "STATUSMON_DATA_DIR": str(data_dir)}
        env.pop("STATUSMON_ADMIN_PASSWORD", None)
        b = Browsing(chromium, srv, DESKTOP, "desktop")
        with worker_process(data_dir, env, str(CYCLE_S)):
            for t in (token, token2):
                report(srv, t, [good_sample(fresh_ts(), cpu_percent=97.5)])
            b.login()
            page = b.page
            page.goto("/alerts")
            row = page.locator("#active-table tr.alert-row.firing", has_text="web-1")
            row.wait_for(timeout=WITHIN_MS + 2000)
            page.locator("#active-table tr.alert-row.firing", has_text="db-1").wait_for(timeout=WITHIN_MS)
            assert row.locator(".badge.silenced").count() == 0

            row.get_by_role("button", name="Silence cpu on web-1").click()
            form = page.locator("#silence-form")
            expect(form).to_contain_text("Silence cpu on web-1")
            form.get_by_label("What to silence").select_option("host")
            form.get_by_label("For").select_option(label="1 hour")
            form.get_by_label("Comment").fill("replacing the fan")
            b.shot("alerts-silence-form")
            t0 = time.time()
            form.get_by_role("button", name="Silence").click()
            expect(form).to_have_count(0)
            expect(row.locator(".badge.silenced")).to_have_count(1, timeout=2000)  # before the worker's cycle
            assert page.locator("#active-table tr.alert-row", has_text="db-1").locator(".badge.silenced").count() == 0
            expect(page.locator("#active-summary")).to_contain_text("1 silenced")
            (s,) = admin.get(srv.url + "/api/silences", timeout=10).json()["silences"]
            assert (s["scope"], s["client_id"], s["rule_id"], s["comment"], s["active"]) == (
                "host", cid, None, "replacing the fan", True)
            assert 3600 - 5 <= s["ends_at"] - t0 <= 3600 + 5
            b.shot("alerts-page-silenced")

            page.goto("/")
            card = page.locator(f'.client-card[data-id="{cid}"]')
            expect(card.locator(".card-alerts .badge.silenced")).to_have_text("silenced")
            assert card.get_attribute("data-silenced") == "all"
            expect(page.locator(f'.client-card[data-id="{other}"] .card-alerts .badge.firing')).to_have_count(1)
            assert page.locator(f'.client-card[data-id="{other}"] .card-alerts .badge.silenced').count() == 0
            b.shot("alerts-overview-silenced")
            page.goto(f"/client/{cid}")
            expect(page.locator("#client-active li.firing.silenced .badge.silenced")).to_have_count(1)
            page.goto(f"/client/{other}")
            page.locator("#client-active li.firing").wait_for()
            assert page.locator("#client-active li.silenced").count() == 0

            # It resolves, then fires again under the silence: that incident is marked silenced in the history.
            page.goto("/alerts")
            report(srv, token, [good_sample(fresh_ts(), cpu_percent=5.0)])
            expect(page.locator("#history-table tr.incident.resolved", has_text="web-1")).to_have_count(
                1, timeout=WITHIN_MS)
            report(srv, token, [good_sample(fresh_ts(), cpu_percent=98.0)])
            fired = page.locator("#history-table tr.incident.firing", has_text="web-1")
            expect(fired).to_have_count(1, timeout=WITHIN_MS)
            expect(fired.locator(".badge.silenced")).to_have_count(1)
            expect(page.locator("#history-table tr.incident.firing", has_text="db-1").locator(".badge.silenced")
                   ).to_have_count(0)
            b.shot("alerts-history-silenced")
        errors = b.errors
        b.close()
        assert not errors, errors
