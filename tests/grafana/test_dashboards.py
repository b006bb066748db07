"""The provisioned dashboards: valid, current, and every query in them works against the real thing.

- every file is what dashboards/grafana/generate.py writes, is valid JSON with uid, title, schemaVersion and
  unique panel ids;
- every JSON API target names a metric ``POST /api/grafana/metrics`` lists, and runs (200) with its variables
  substituted;
- every InfluxQL query, with Grafana's template variables substituted as Grafana does ($timeFilter,
  $__interval, $host regex-escaped, single and multi value), runs against a real influxd holding the test
  fleet (written by the API's InfluxDB store) and returns series.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.grafana.conftest import GrafanaEnv
from tests.grafana.fleet import iso, post

ROOT = Path(__file__).resolve().parents[2] / "dashboards" / "grafana"
FILES = sorted((ROOT / "dashboards").rglob("*.json"))
JSON_UID, INFLUX_UID = "statusmon-json", "statusmon-influxdb"


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def targets(dash: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(datasource uid, target) of every panel query, annotation query and variable query."""
    for panel in dash["panels"]:
        for t in panel["targets"]:
            yield (t.get("datasource") or panel["datasource"])["uid"], t
    for a in dash["annotations"]["list"]:
        if "target" in a:
            yield a["datasource"]["uid"], a["target"]


def variables(dash: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in dash["templating"]["list"] if v["type"] == "query"]


def test_the_files_are_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("generate", ROOT / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered = module.render()
    assert sorted(rendered) == sorted(str(p.relative_to(ROOT / "dashboards")) for p in FILES)
    for name, text in rendered.items():
        assert (ROOT / "dashboards" / name).read_text() == text, (
            f"run dashboards/grafana/generate.py ({name})"
        )


def test_six_dashboards_each_valid_with_the_fields_grafana_requires() -> None:
    assert len(FILES) == 6
    uids = set()
    for path in FILES:
        dash = load(path)
        assert isinstance(dash["uid"], str) and 0 < len(dash["uid"]) <= 40
        assert dash["title"] and isinstance(dash["schemaVersion"], int)
        ids = [p["id"] for p in dash["panels"]]
        assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids), path.name
        for p in dash["panels"]:
            assert set(p["gridPos"]) == {"h", "w", "x", "y"} and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
            assert p["targets"], p["title"]
        uids.add(dash["uid"])
    assert len(uids) == len(FILES)


def test_provisioning_names_the_datasources_the_dashboards_use() -> None:
    ds = yaml.safe_load((ROOT / "provisioning" / "datasources" / "statusmon.yaml").read_text())["datasources"]
    by_uid = {d["uid"]: d for d in ds}
    assert by_uid[JSON_UID]["type"] == "simpod-json-datasource"
    assert by_uid[JSON_UID]["jsonData"]["httpHeaderName1"] == "Authorization"
    assert by_uid[JSON_UID]["secureJsonData"]["httpHeaderValue1"] == "Bearer ${STATUSMON_GRAFANA_TOKEN}"
    assert (
        by_uid[INFLUX_UID]["type"] == "influxdb" and by_uid[INFLUX_UID]["jsonData"]["version"] == "InfluxQL"
    )
    used = {uid for path in FILES for uid, _ in targets(load(path))}
    assert used == {JSON_UID, INFLUX_UID}
    providers = yaml.safe_load((ROOT / "provisioning" / "dashboards" / "statusmon.yaml").read_text())[
        "providers"
    ]
    assert providers[0]["type"] == "file" and providers[0]["options"]["foldersFromFilesStructure"] is True


# -- JSON API ------------------------------------------------------------------------------------------------


def substitute_json(value: Any, host: str) -> Any:
    return json.loads(json.dumps(value).replace("$host", host))


def test_every_json_api_target_is_listed_and_runs(sqlite_env: GrafanaEnv) -> None:
    http = sqlite_env.app.test_client()
    listed = {m["value"] for m in post(http, "/metrics", sqlite_env.token, {})}
    seen = 0
    for path in FILES:
        dash = load(path)
        for uid, t in targets(dash):
            if uid != JSON_UID:
                continue
            assert t["target"] in listed, (path.name, t["target"])
            for host in ("gpu-1", "{gpu-1,web-1}"):
                body = {
                    "range": {"from": iso(sqlite_env.fleet.start), "to": iso(sqlite_env.fleet.end)},
                    "intervalMs": 60_000,
                    "maxDataPoints": 500,
                    "targets": [substitute_json(t, host)],
                }
                got = post(http, "/query", sqlite_env.token, body)
                assert got, (path.name, t)
            seen += 1
        for v in variables(dash):
            if v["datasource"]["uid"] == JSON_UID:
                got = post(http, "/variable", sqlite_env.token, {"payload": {"target": v["query"]["query"]}})
                assert [x["value"] for x in got] == ["gpu-1", "web-1"]
    assert seen >= 30


# -- InfluxDB ------------------------------------------------------------------------------------------------


def grafana_regex_escape(value: str) -> str:
    """What Grafana does to a variable's value inside an InfluxQL /regex/."""
    return re.sub(r"[\\^$*+?.()|\[\]{}/]", lambda m: "\\" + m.group(0), value)


def substitute_influxql(query: str, start: int, end: int, hosts: list[str]) -> str:
    host = (
        grafana_regex_escape(hosts[0])
        if len(hosts) == 1
        else "(" + "|".join(grafana_regex_escape(h) for h in hosts) + ")"
    )
    out = (
        query.replace("$timeFilter", f"time >= {start * 1000}ms and time <= {end * 1000}ms")
        .replace("$__interval", "1m")
        .replace("$host", host)
    )
    assert not re.search(r"\$[A-Za-z_]", out), out  # every variable replaced (a bare $ anchors a regex)
    return out


def run_influxql(env: GrafanaEnv, query: str) -> list[dict[str, Any]]:
    store = env.app.extensions["statusmon"].store
    resp = requests.get(store.url + "/query", params={"db": store.db, "q": query, "epoch": "ms"}, timeout=30)
    assert resp.status_code == 200, resp.text
    result = resp.json()["results"][0]
    assert "error" not in result, (query, result["error"])
    return result.get("series") or []


@pytest.mark.influx
def test_every_influxql_query_runs_on_influxd_and_returns_series(influx_env: GrafanaEnv) -> None:
    start, end = influx_env.fleet.start, influx_env.fleet.end
    seen = 0
    for path in FILES:
        dash = load(path)
        for uid, t in targets(dash):
            if uid != INFLUX_UID:
                continue
            for hosts in (["gpu-1"], ["gpu-1", "web-1"]):
                series = run_influxql(influx_env, substitute_influxql(t["query"], start, end, hosts))
                assert series and any(s.get("values") for s in series), (path.name, t["query"], hosts)
                if "$host" in t["query"]:
                    assert {s.get("tags", {}).get("host", h) for s in series for h in hosts} >= {hosts[0]}
            seen += 1
        for v in variables(dash):
            if v["datasource"]["uid"] == INFLUX_UID:
                series = run_influxql(influx_env, v["query"])
                assert sorted(row[1] for row in series[0]["values"]) == ["gpu-1", "web-1"]
    assert seen >= 20


@pytest.mark.influx
def test_a_host_query_sees_only_that_host(influx_env: GrafanaEnv) -> None:
    q = (
        'SELECT max("used_percent") FROM "disk" WHERE "host" =~ /^$host$/ AND $timeFilter '
        'GROUP BY time($__interval), "host", "mount" fill(none)'
    )
    series = run_influxql(
        influx_env, substitute_influxql(q, influx_env.fleet.start, influx_env.fleet.end, ["web-1"])
    )
    assert sorted((s["tags"]["host"], s["tags"]["mount"]) for s in series) == [
        ("web-1", "/"),
        ("web-1", "/var/lib/docker"),
    ]
