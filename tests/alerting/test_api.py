"""The admin API of alerting: rules CRUD with validation, history, channel status, the test message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerting.engine import Evaluator
from tests.alerting.receiver import Answer, Receiver
from tests.api.conftest import META_PARAMS, Api, good_sample, make_api


@pytest.fixture(params=META_PARAMS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request, request.param, webhook_allow_hosts=("hooks.slack.com", "127.0.0.1"))
    yield a.login()
    a.state.store.close()


def test_rules_crud(api: Api) -> None:
    cid, _ = api.add_client("web-1")
    r = api.admin("POST", "/api/alert-rules", json={"client_id": cid, "metric_type": "cpu_percent",
                                                    "threshold": 90, "duration_sec": 300})
    assert r.status_code == 201, r.json
    rule = r.json
    keys = ("client_id", "metric_type", "threshold", "duration_sec", "direction", "mount", "gpu", "enabled")
    assert {k: rule[k] for k in keys} == {
        "client_id": cid, "metric_type": "cpu_percent", "threshold": 90.0, "duration_sec": 300,
        "direction": "above", "mount": None, "gpu": None, "enabled": True}
    r = api.admin("POST", "/api/alert-rules", json={"metric_type": "mount_used_percent", "threshold": 80,
                                                    "duration_sec": 60, "mount": "/data"})
    assert r.status_code == 201 and r.json["client_id"] is None and r.json["mount"] == "/data"
    listed = api.http.get("/api/alert-rules").json
    assert [x["id"] for x in listed["rules"]] == [rule["id"], r.json["id"]]
    assert "cpu_percent" in listed["defaults"]
    assert {"name": "gpu_temp_c", "family": "gpu", "field": "temp_c", "per": "gpu"} in listed["metric_types"]
    assert [x["id"] for x in api.http.get(f"/api/alert-rules?client_id={cid}").json["rules"]] == [rule["id"]]

    r = api.admin("PATCH", f"/api/alert-rules/{rule['id']}", json={"threshold": 97.5, "enabled": False})
    assert r.status_code == 200 and r.json["threshold"] == 97.5 and r.json["enabled"] is False
    assert r.json["duration_sec"] == 300  # untouched by a PATCH
    r = api.admin("PUT", f"/api/alert-rules/{rule['id']}", json={"metric_type": "gpu_temp_c", "threshold": 80,
                                                                 "duration_sec": 60, "gpu": 1})
    assert r.status_code == 200 and (r.json["metric_type"], r.json["gpu"], r.json["client_id"]) == (
        "gpu_temp_c", 1, None)  # PUT replaces the whole rule
    assert api.admin("DELETE", f"/api/alert-rules/{rule['id']}").status_code == 204
    assert api.http.get(f"/api/alert-rules/{rule['id']}").status_code == 404
    assert api.admin("DELETE", f"/api/alert-rules/{rule['id']}").status_code == 404


INVALID = [
    ({"metric_type": "nope", "threshold": 1, "duration_sec": 1}, "metric_type"),
    ({"metric_type": "cpu_percent", "threshold": "high", "duration_sec": 1}, "threshold"),
    ({"metric_type": "cpu_percent", "threshold": 1, "duration_sec": -1}, "duration_sec"),
    ({"metric_type": "cpu_percent", "threshold": 1, "duration_sec": 1.5}, "duration_sec"),
    ({"metric_type": "cpu_percent", "threshold": 1, "duration_sec": 1, "direction": "sideways"}, "direction"),
    ({"metric_type": "cpu_percent", "threshold": 1, "duration_sec": 1, "mount": "/"}, "mount"),
    ({"metric_type": "mount_used_percent", "threshold": 1, "duration_sec": 1, "gpu": 0}, "gpu"),
    ({"metric_type": "cpu_percent", "threshold": 1, "duration_sec": 1, "client_id": "ghost"}, "client_id"),
    ({"metric_type": "cpu_percent", "threshold": 1, "duration_sec": 1, "colour": "red"}, "colour"),
    ({"threshold": 1, "duration_sec": 1}, "metric_type"),
]


def test_invalid_rules_are_refused_and_nothing_is_stored(api: Api) -> None:
    for body, field in INVALID:  # one app for all cases: logging in (a slow KDF) is the expensive part
        r = api.admin("POST", "/api/alert-rules", json=body)
        assert r.status_code == 422, (body, r.json)
        assert r.json["error"]["code"] == "validation_failed" and field in r.json["error"]["details"], body
    assert api.http.get("/api/alert-rules").json["rules"] == []


def test_a_patch_cannot_make_a_rule_invalid(api: Api) -> None:
    rule = api.admin("POST", "/api/alert-rules", json={"metric_type": "cpu_percent", "threshold": 1,
                                                       "duration_sec": 1}).json
    r = api.admin("PATCH", f"/api/alert-rules/{rule['id']}", json={"mount": "/"})
    assert r.status_code == 422 and "mount" in r.json["error"]["details"]


def test_changes_need_the_admin_session_and_csrf(api: Api, tmp_path: Path) -> None:
    body = {"metric_type": "cpu_percent", "threshold": 1, "duration_sec": 1}
    assert api.http.post("/api/alert-rules", json=body).status_code == 403  # session but no CSRF header
    api.http.post("/api/logout", headers={"X-CSRF-Token": api.csrf})
    api.http.delete_cookie("statusmon_session")
    for method, path in [("GET", "/api/alert-rules"), ("POST", "/api/alert-rules"), ("GET", "/api/alerts"),
                         ("GET", "/api/alerts/channels"), ("POST", "/api/alerts/test")]:
        assert api.http.open(path, method=method, json=body).status_code == 401, path


def test_history_lists_incidents(api: Api) -> None:
    cid, token = api.add_client("web-1")
    api.state.global_settings.update({"thresholds": {}})
    api.admin("POST", "/api/alert-rules", json={"metric_type": "mount_used_percent", "threshold": 60,
                                                "duration_sec": 0})
    import time

    now = int(time.time())
    assert api.report(token, {"agent_version": "1", "samples": [good_sample(now - 5)]}).status_code == 200
    Evaluator(api.state.meta, api.state.store).run_cycle(now)
    alerts = api.http.get("/api/alerts").json
    (a,) = alerts["alerts"]
    assert {k: a[k] for k in ("client_id", "hostname", "metric_type", "mount", "gpu", "threshold", "value",
                              "started_at", "fired_at", "resolved_at", "active")} == {
        "client_id": cid, "hostname": "web-1", "metric_type": "mount_used_percent", "mount": "/", "gpu": None,
        "threshold": 60.0, "value": 70.0, "started_at": now - 5, "fired_at": now - 5, "resolved_at": None,
        "active": True}
    assert api.http.get("/api/alerts?active=false").json["alerts"] == []
    assert api.http.get(f"/api/alerts?client_id={cid}&limit=1").json["next_before"] == a["id"]
    assert api.http.get("/api/alerts?limit=0").status_code == 400


def test_channels_show_why_slack_is_disabled_and_the_test_message(api: Api, rx: Receiver) -> None:
    channels = api.http.get("/api/alerts/channels").json["channels"]
    assert [(c["name"], c["configured"], c["disabled"], c["state"]) for c in channels][::8] == [
        ("slack", False, False, "unconfigured"), ("webhook", False, False, "unconfigured")]
    assert api.admin("POST", "/api/alerts/test", json={"channel": "slack"}).status_code == 422

    url = rx.url()
    assert api.admin("POST", "/api/settings", json={"slack_webhook_url": url}).status_code == 200
    rx.default = Answer(404, "no_service")
    r = api.admin("POST", "/api/alerts/test", json={"channel": "slack"})
    assert r.status_code == 502 and r.json["error"]["code"] == "delivery_failed"
    assert "XXXXSECRET" not in r.get_data(as_text=True)
    slack = api.http.get("/api/alerts/channels").json["channels"][0]
    assert slack["configured"] and slack["disabled"] and slack["state"] == "disabled"
    assert slack["disabled_reason"] == ("Slack answered no_service: the webhook was removed or disabled in "
                                        "Slack; create a new one")
    assert slack["url"] == "http://127.0.0.1/services/T000/****"

    rx.default = Answer(200, "ok")
    r = api.admin("POST", "/api/alerts/test", json={})
    assert r.status_code == 200 and r.json == {"ok": True, "channel": "slack"}
    slack = api.http.get("/api/alerts/channels").json["channels"][0]
    assert not slack["disabled"] and slack["last_sent_at"] and slack["state"] == "working"
    assert rx.bodies()[-1]["text"].startswith(":white_check_mark: *TEST*")
