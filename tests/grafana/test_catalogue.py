"""Metrics list, payload options, variables, ad hoc filters, the fleet table and alert annotations."""

from __future__ import annotations

import time
from typing import Any

import pytest

from api.app import create_app
from statusmon.config import Settings
from statusmon.metrics import ALL_METRICS, SYSTEM_METRIC_NAMES
from tests.grafana.conftest import GrafanaEnv
from tests.grafana.fleet import bearer, iso, post


def test_metrics_lists_every_catalogue_metric_with_its_payloads(sqlite_env: GrafanaEnv) -> None:
    listed = post(sqlite_env.app.test_client(), "/metrics", sqlite_env.token, {})
    values = [m["value"] for m in listed]
    assert values == [m.name if m.family == "system" else f"{m.family}.{m.name}" for m in ALL_METRICS] + [
        "stats",
        "fleet",
        "alerts",
    ]
    by_value = {m["value"]: m for m in listed}
    assert [p["name"] for p in by_value["cpu_percent"]["payloads"]] == ["client", "labels", "aggregation"]
    assert [p["name"] for p in by_value["disk.inodes_percent"]["payloads"]] == [
        "client",
        "labels",
        "aggregation",
        "mount",
    ]
    assert [p["name"] for p in by_value["gpu.power_w"]["payloads"]] == ["client", "labels", "aggregation", "gpu"]
    assert "(watts)" in by_value["gpu.power_w"]["label"]


@pytest.mark.parametrize(
    "metric, name, payload, expected",
    [
        ("cpu_percent", "client", {}, ["gpu-1", "web-1"]),
        ("cpu_percent", "aggregation", {}, ["mean", "min", "max", "p95"]),
        ("disk.used_percent", "mount", {}, ["/", "/var/lib/docker"]),
        ("disk.used_percent", "mount", {"client": "gpu-1"}, ["/"]),
        ("gpu.temp_c", "gpu", {"client": ["gpu-1"]}, ["0", "1"]),
        (
            "stats",
            "metrics",
            {},
            list(SYSTEM_METRIC_NAMES),
        ),
    ],
)
def test_payload_options(
    sqlite_env: GrafanaEnv, metric: str, name: str, payload: dict[str, Any], expected: list[str]
) -> None:
    got = post(
        sqlite_env.app.test_client(),
        "/metric-payload-options",
        sqlite_env.token,
        {"metric": metric, "payload": payload, "name": name},
    )
    assert [o["value"] for o in got] == expected


@pytest.mark.parametrize(
    "target, payload, expected",
    [
        ("hosts", {}, [("gpu-1", "gpu-1"), ("web-1", "web-1")]),
        ("mounts", {"client": "web-1"}, [("/", "/"), ("/var/lib/docker", "/var/lib/docker")]),
        ("mounts", {"client": "{web-1,gpu-1}"}, [("/", "/"), ("/var/lib/docker", "/var/lib/docker")]),
        ("gpus", {"client": "$__all"}, [("0", "0"), ("1", "1")]),
    ],
)
def test_variables(
    sqlite_env: GrafanaEnv, target: str, payload: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    got = post(
        sqlite_env.app.test_client(),
        "/variable",
        sqlite_env.token,
        {"payload": {"target": target, **payload}, "range": {"from": iso(0), "to": iso(time.time())}},
    )
    assert [(v["text"], v["value"]) for v in got] == expected


def test_client_ids_and_metrics_variables(sqlite_env: GrafanaEnv) -> None:
    http = sqlite_env.app.test_client()
    ids = post(http, "/variable", sqlite_env.token, {"payload": {"target": "client_ids"}})
    assert {v["text"]: v["value"] for v in ids} == sqlite_env.fleet.ids
    names = [
        v["value"] for v in post(http, "/variable", sqlite_env.token, {"payload": {"target": "metrics"}})
    ]
    assert "cpu_percent" in names and "gpu.temp_c" in names


def test_tag_keys_and_values(sqlite_env: GrafanaEnv) -> None:
    http = sqlite_env.app.test_client()
    assert post(http, "/tag-keys", sqlite_env.token, {}) == [
        {"type": "string", "text": "hostname"},
        {"type": "string", "text": "online"},
    ]
    assert post(http, "/tag-values", sqlite_env.token, {"key": "hostname"}) == [
        {"text": "gpu-1"},
        {"text": "web-1"},
    ]
    assert post(http, "/tag-values", sqlite_env.token, {"key": "online"}) == [
        {"text": "true"},
        {"text": "false"},
    ]
    assert post(http, "/tag-values", sqlite_env.token, {"key": "City"}) == []


def _fleet(env: GrafanaEnv, **extra: Any) -> list[dict[str, Any]]:
    got = post(env.app.test_client(), "/query", env.token, {"targets": [{"target": "fleet"}], **extra})
    columns = [c["text"] for c in got[0]["columns"]]
    return [dict(zip(columns, r, strict=True)) for r in got[0]["rows"]]


def test_fleet_table_shows_every_host_status_and_latest_values(sqlite_env: GrafanaEnv) -> None:
    rows = _fleet(sqlite_env)
    assert [r["host"] for r in rows] == ["gpu-1", "web-1"]
    clients = sqlite_env.app.test_client().get("/api/clients", headers=bearer(sqlite_env.token)).get_json()
    for row in rows:
        c = next(c for c in clients["clients"] if c["hostname"] == row["host"])
        assert row["status"] == ("online" if c["online"] else "offline")
        assert row["last_seen"] == c["last_seen"] * 1000
        assert row["cpu_percent"] == c["latest"]["cpu_percent"]
        assert row["max_mount_used_percent"] == max(d["used_percent"] for d in c["latest"]["disks"])
    assert rows[0]["max_gpu_temp_c"] is not None and rows[1]["max_gpu_temp_c"] is None


def test_ad_hoc_filters_narrow_the_hosts(sqlite_env: GrafanaEnv) -> None:
    assert [
        r["host"]
        for r in _fleet(sqlite_env, filters=[{"key": "hostname", "operator": "=", "value": "web-1"}])
    ] == ["web-1"]
    assert [
        r["host"]
        for r in _fleet(sqlite_env, adhocFilters=[{"key": "hostname", "operator": "!~", "value": "^web"}])
    ] == ["gpu-1"]
    # The fleet's last samples are 5 minutes old: past the online timeout, every host is offline.
    assert _fleet(sqlite_env, filters=[{"key": "online", "operator": "=", "value": "true"}]) == []
    assert len(_fleet(sqlite_env, filters=[{"key": "online", "operator": "=", "value": "false"}])) == 2
    assert len(_fleet(sqlite_env, filters=[{"key": "City", "operator": "=", "value": "Berlin"}])) == 2


def test_alert_history_becomes_annotations(sqlite_env: GrafanaEnv) -> None:
    state = sqlite_env.app.extensions["statusmon"]
    web = sqlite_env.fleet.ids["web-1"]
    t0 = sqlite_env.fleet.start
    cols = (
        "rule_key, client_id, hostname, metric_type, series_key, threshold, direction, duration_sec, value,"
        " started_at, fired_at, resolved_at, resolution"
    )
    state.meta.execute(
        f"INSERT INTO alert_history ({cols}) VALUES ('r1', ?, 'web-1', 'cpu_percent', '', 90,"
        " 'above', 60, 97.5, ?, ?, ?, 'recovered')",
        (web, t0 + 100, t0 + 160, t0 + 400),
    )
    state.meta.execute(
        f"INSERT INTO alert_history ({cols}) VALUES ('r2', ?, 'web-1', 'mount_used_percent', '/',"
        " 80, 'above', 0, 85, ?, ?, NULL, NULL)",
        (web, t0 + 900, t0 + 900),
    )
    state.meta.execute(
        f"INSERT INTO alert_history ({cols}) VALUES ('r3', ?, 'web-1', 'offline', '', NULL, NULL,"
        " 60, NULL, ?, ?, ?, 'back')",
        (web, t0 - 9000, t0 - 8000, t0 - 7000),
    )  # before the range
    try:
        got = post(
            sqlite_env.app.test_client(),
            "/query",
            sqlite_env.token,
            {
                "range": {"from": iso(t0), "to": iso(t0 + 3600)},
                "targets": [{"target": "alerts", "refId": "Anno", "payload": {"client": "web-1"}}],
            },
        )
        columns = [c["text"] for c in got[0]["columns"]]
        assert columns[:5] == ["time", "timeEnd", "title", "text", "tags"]
        rows = [dict(zip(columns, r, strict=True)) for r in got[0]["rows"]]
        assert [(r["time"], r["timeEnd"], r["title"], r["state"]) for r in rows] == [
            ((t0 + 160) * 1000, (t0 + 400) * 1000, "web-1: cpu_percent above 90", "resolved"),
            ((t0 + 900) * 1000, None, "web-1: mount_used_percent / above 80", "firing"),
        ]
        assert rows[0]["tags"] == "statusmon,web-1,cpu_percent,resolved"
        assert "97.5" in rows[0]["text"]
        # Another host's alerts only.
        other = post(
            sqlite_env.app.test_client(),
            "/query",
            sqlite_env.token,
            {
                "range": {"from": iso(t0), "to": iso(t0 + 3600)},
                "targets": [{"target": "alerts", "payload": {"client": "gpu-1"}}],
            },
        )
        assert other[0]["rows"] == []
    finally:
        state.meta.execute("DELETE FROM alert_history")


def test_annotations_are_empty_without_an_alert_history_table(tmp_path: Any) -> None:
    app = create_app(
        Settings(data_dir=tmp_path, admin_password="correct-horse-battery"), start_background=False
    )
    state = app.extensions["statusmon"]
    state.meta.execute("DROP TABLE IF EXISTS alert_history")
    state.clients.add("solo")
    _, token = state.api_tokens.create("g")
    got = post(app.test_client(), "/query", token, {"targets": [{"target": "alerts"}]})
    assert got[0]["type"] == "table" and got[0]["rows"] == []


@pytest.mark.parametrize(
    "path, body, status",
    [
        ("/query", {"targets": [{"target": "upper_25"}]}, 404),
        ("/query", {"targets": [{"target": "cpu_percent", "payload": {"client": "nope"}}]}, 404),
        ("/query", {"targets": [{"target": "cpu_percent", "payload": {"aggregation": "median"}}]}, 400),
        ("/query", {"targets": [{"refId": "A"}]}, 400),
        ("/query", {"range": {"from": "yesterday"}}, 400),
        ("/query", {"range": {"from": "2024-02-30T00:00:00Z"}}, 400),
        ("/query", {"panelId": True}, 400),
        ("/query", [], 400),
        ("/query", {"targets": [{"target": "stats", "payload": {"metrics": "used_bytes"}}]}, 400),
        (
            "/query",
            {
                "filters": [{"key": "hostname", "operator": "<", "value": "a"}],
                "targets": [{"target": "fleet"}],
            },
            400,
        ),
        ("/metric-payload-options", {"metric": "cpu_percent", "payload": {}, "name": "mount"}, 404),
        ("/metric-payload-options", {"metric": "cpu_percent", "payload": {}}, 400),
        ("/variable", {"payload": {"target": "cities"}}, 404),
        ("/variable", {"payload": {}}, 400),
        ("/tag-values", {}, 400),
    ],
)
def test_bad_requests_get_the_one_error_shape(
    sqlite_env: GrafanaEnv, path: str, body: Any, status: int
) -> None:
    resp = sqlite_env.app.test_client().post(
        "/api/grafana" + path, json=body, headers=bearer(sqlite_env.token)
    )
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert set(resp.get_json()["error"]) >= {"code", "message"}


def test_an_empty_or_inverted_range_and_a_huge_range_still_answer(sqlite_env: GrafanaEnv) -> None:
    http = sqlite_env.app.test_client()
    t0 = sqlite_env.fleet.start
    got = post(
        http,
        "/query",
        sqlite_env.token,
        {"range": {"from": iso(t0 + 600), "to": iso(t0)}, "targets": [{"target": "cpu_percent"}]},
    )
    assert got == []
    got = post(
        http,
        "/query",
        sqlite_env.token,
        {
            "range": {"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:60+14:00"},
            "intervalMs": 1e300,
            "maxDataPoints": -5,
            "targets": [{"target": "cpu_percent", "payload": {"client": "web-1"}}],
        },
    )
    assert got[0]["datapoints"] == []  # the last 731 days before the year 9999 hold nothing
