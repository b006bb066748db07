"""Global settings: a schema, webhook URLs masked when read and only to allowlisted hosts."""

from __future__ import annotations

from tests.api.conftest import Api

SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX"


def test_defaults_then_partial_update(sqlite_api: Api) -> None:
    api = sqlite_api.login()
    s = api.http.get("/api/settings").json
    assert s["online_timeout_seconds"] == 60 and s["retention_days"] == 7
    assert s["slack_webhook_url"] is None and s["slack_webhook_url_set"] is False
    assert s["thresholds"]["disk_percent"]["threshold"] == 90.0
    r = api.admin("POST", "/api/settings", json={"online_timeout_seconds": 120,
                                                  "thresholds": {"cpu_percent": {"threshold": 80, "duration_sec": 60}}})
    assert r.status_code == 200
    s = api.http.get("/api/settings").json
    assert s["online_timeout_seconds"] == 120
    assert s["thresholds"]["cpu_percent"] == {"threshold": 80.0, "duration_sec": 60, "direction": "above",
                                              "enabled": True}
    assert s["thresholds"]["disk_percent"]["threshold"] == 90.0  # untouched


def test_webhook_url_is_masked_and_never_returned(sqlite_api: Api) -> None:
    api = sqlite_api.login()
    r = api.admin("POST", "/api/settings", json={"slack_webhook_url": SLACK})
    assert r.status_code == 200
    for body in (r.get_data(as_text=True), api.http.get("/api/settings").get_data(as_text=True)):
        assert "XXXXSECRETXXXX" not in body
    s = api.http.get("/api/settings").json
    assert s["slack_webhook_url_set"] is True and s["slack_webhook_url"].startswith("https://hooks.slack.com/")
    assert api.state.global_settings.get("slack_webhook_url") == SLACK
    api.admin("POST", "/api/settings", json={"slack_webhook_url": ""})
    assert api.http.get("/api/settings").json["slack_webhook_url_set"] is False


def test_webhooks_only_to_allowed_hosts(sqlite_api: Api) -> None:
    api = sqlite_api.login()
    for url in ["https://evil.example/hook", "http://hooks.slack.com/services/x", "https://169.254.169.254/x",
                "https://user:pw@hooks.slack.com/services/x", "ftp://hooks.slack.com/x", "not a url"]:
        r = api.admin("POST", "/api/settings", json={"slack_webhook_url": url})
        assert r.status_code == 422, url
        assert "slack_webhook_url" in r.json["error"]["details"]
    assert api.state.global_settings.get("slack_webhook_url") is None


def test_bad_settings_change_nothing(sqlite_api: Api) -> None:
    api = sqlite_api.login()
    for body in [{"online_timeout_seconds": 1}, {"retention_days": 0}, {"nope": 1},
                 {"thresholds": {"load": {"threshold": 1, "duration_sec": 1}}},
                 {"thresholds": {"cpu_percent": {"threshold": 1, "duration_sec": 1, "direction": "sideways"}}},
                 {"online_timeout_seconds": 30, "retention_days": -1}]:
        assert api.admin("POST", "/api/settings", json=body).status_code == 422, body
    assert api.http.get("/api/settings").json["online_timeout_seconds"] == 60
