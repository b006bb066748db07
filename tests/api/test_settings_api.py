"""Global settings: a schema, webhook URLs masked when read and only to allowlisted hosts; a setting the
running store does not honour is refused and reported, never silently ignored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.app import prune
from statusmon.meta.settings import SETTINGS, unsupported
from statusmon.store.base import Sample
from statusmon.store.influx import InfluxStore
from statusmon.store.sqlite import SQLiteStore
from tests.api.conftest import Api, make_api

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


# -- settings the running store does not honour ------------------------------------------------------------

@pytest.fixture
def influx_api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request, "influxdb")
    yield a.login()
    a.state.store.close()


def policies(api: Api) -> dict[str, str]:
    result = api.state.store.query(f'SHOW RETENTION POLICIES ON "{api.state.store.db}"')  # type: ignore[attr-defined]
    series = result[0]["series"][0]
    return {row[0]: row[1] for row in series["values"]}


@pytest.mark.influx
def test_influxdb_1x_honours_every_retention_setting(influx_api: Api) -> None:
    api = influx_api
    assert api.http.get("/api/settings").json["unsupported"] == {}
    assert policies(api) == {"week": "168h0m0s", "minute": "2160h0m0s", "hour": "17520h0m0s"}
    r = api.admin("POST", "/api/settings", json={"retention_days": 30, "minute_retention_days": 60,
                                                 "hour_retention_days": 365, "online_timeout_seconds": 120})
    assert r.status_code == 200, r.json
    assert (r.json["retention_days"], r.json["minute_retention_days"], r.json["hour_retention_days"]) == (30, 60, 365)
    assert policies(api) == {"week": "720h0m0s", "minute": "1440h0m0s", "hour": "8760h0m0s"}
    assert api.state.store.policy_days("raw") == 30  # type: ignore[attr-defined]
    # Down to a day: the shard duration follows, or InfluxDB would refuse a policy shorter than its shards.
    assert api.admin("POST", "/api/settings", json={"retention_days": 1}).status_code == 200
    assert policies(api)["week"] == "24h0m0s"
    # An invalid value is still an invalid value, and changes nothing.
    assert api.admin("POST", "/api/settings", json={"retention_days": 0}).json["error"]["details"] == {
        "retention_days": ["Must be greater than or equal to 1 and less than or equal to 3650."]}
    assert policies(api)["week"] == "24h0m0s"


def test_sqlite_honours_the_retention_setting_and_prunes_by_it(sqlite_api: Api) -> None:
    api = sqlite_api.login()
    assert api.http.get("/api/settings").json["unsupported"] == {}
    r = api.admin("POST", "/api/settings", json={"retention_days": 2})
    assert r.status_code == 200 and r.json["retention_days"] == 2 and r.json["unsupported"] == {}
    now = int(time.time())
    old, recent = now - 3 * 86400, now - 86400
    api.state.store.write("c1", "web-1", [Sample(old, {"cpu_percent": 1.0}), Sample(recent, {"cpu_percent": 2.0})])
    assert prune(api.state, now) == 1
    stats = api.state.store.stats("c1", old - 10, now, ["cpu_percent"])["cpu_percent"]
    assert stats.count == 1 and stats.max == 2.0


def test_stores_declare_only_settings_that_stores_act_on() -> None:
    store_settings = {s.key for s in SETTINGS if s.honoured_by == "store"}
    assert SQLiteStore.honours_settings == store_settings == InfluxStore.RETENTION_SETTINGS
    assert unsupported(SQLiteStore.honours_settings) == {}
    assert set(unsupported(frozenset())) == {"retention_days", "minute_retention_days", "hour_retention_days"}
    assert "one database per tier" in unsupported(frozenset())["retention_days"]
