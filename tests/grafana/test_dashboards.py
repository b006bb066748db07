"""The provisioned dashboards: valid, current, and every query in them works against the real thing.

- every file is what dashboards/grafana/generate.py writes, is valid JSON with uid, title, schemaVersion and
  unique panel ids;
- every JSON API target names a metric ``POST /api/grafana/metrics`` lists, and runs (200) with its variables
  substituted;
- every InfluxQL query, with Grafana's template variables substituted as Grafana does ($timeFilter,
  $__interval, $host and $client regex-escaped, single and multi value, $tier), runs against a real influxd
  holding the test fleet (written by the API's InfluxDB store, tiers built by the real downsampler) and returns
  series;
- every query over the history tiers, on each tier, returns what the same statistic over the raw samples returns
  (influxd's own mean, max, min and count of the raw points): avg as sum(sum) / sum(count), max of max;
- every dashboard offers the long ranges (30 days, 90 days, a year).
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

from statusmon.meta.leases import MetaLease
from statusmon.store.downsampler import LEASE_NAME, Downsampler
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


def regex_value(values: list[str]) -> str:
    """A variable's value(s) inside an InfluxQL /regex/, as Grafana writes them (multi value: an alternation)."""
    if len(values) == 1:
        return grafana_regex_escape(values[0])
    return "(" + "|".join(grafana_regex_escape(v) for v in values) + ")"


def substitute_influxql(query: str, start: int, end: int, hosts: list[str], clients: list[str] | None = None,
                        tier: str = "minute", interval: str = "1m") -> str:
    out = (
        query.replace("$timeFilter", f"time >= {start * 1000}ms and time <= {end * 1000}ms")
        .replace("$__interval", interval)
        .replace("$host", regex_value(hosts))
        .replace("$client", regex_value(clients or ["-"]))
        .replace("$tier", tier)
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


@pytest.fixture(scope="module")
def tiered(influx_env: GrafanaEnv) -> GrafanaEnv:
    """The fleet's history tiers, built by the real downsampler as if it ran an hour after the fleet's end."""
    state = influx_env.app.extensions["statusmon"]
    clock = (influx_env.fleet.end // 3600 + 1) * 3600 + 600
    done = Downsampler(state.store, state.rollup_progress, MetaLease(state.meta, LEASE_NAME, "test"),
                       clock=lambda: clock, initial_lookback=clock - influx_env.fleet.start + 3600).run_once()
    assert done.rows["minute"] > 0 and done.rows["hour"] > 0
    return influx_env


def client_ids(env: GrafanaEnv, hosts: list[str]) -> list[str]:
    return [env.fleet.ids[h] for h in hosts]


@pytest.mark.influx
def test_every_influxql_query_runs_on_influxd_and_returns_series(tiered: GrafanaEnv) -> None:
    start, end = tiered.fleet.start, tiered.fleet.end
    seen = tier_queries = 0
    for path in FILES:
        dash = load(path)
        for uid, t in targets(dash):
            if uid != INFLUX_UID:
                continue
            for hosts in (["gpu-1"], ["gpu-1", "web-1"]):
                q = substitute_influxql(t["query"], start, end, hosts, client_ids(tiered, hosts))
                series = run_influxql(tiered, q)
                assert series and any(s.get("values") for s in series), (path.name, t["query"], hosts)
                if "$host" in t["query"]:
                    assert {s.get("tags", {}).get("host", h) for s in series for h in hosts} >= {hosts[0]}
                if "$client" in t["query"]:
                    ids = client_ids(tiered, hosts)
                    assert {s.get("tags", {}).get("client_id", ids[0]) for s in series} <= set(ids), q
            seen += 1
            tier_queries += "$tier" in t["query"]
        for v in variables(dash):
            if v["datasource"]["uid"] != INFLUX_UID:
                continue
            if v["name"] == "client":  # the hosts' client ids, for the tiers' rows (which carry no hostname)
                for hosts in (["gpu-1"], ["gpu-1", "web-1"]):
                    series = run_influxql(tiered, v["query"].replace("$host", regex_value(hosts)))
                    assert sorted(row[1] for row in series[0]["values"]) == sorted(client_ids(tiered, hosts))
                continue
            series = run_influxql(tiered, v["query"])
            assert sorted(row[1] for row in series[0]["values"]) == ["gpu-1", "web-1"]
    assert seen >= 20 and tier_queries >= 20


# A tier query's twin over the raw samples: the same statistic, computed by influxd from the raw points.
RAW_TWIN = {'sum("sum") / sum("count")': "mean", 'max("max")': "max", 'min("min")': "min", 'sum("count")': "count"}


def raw_twin(query: str) -> str:
    m = re.search(r"""FROM "\$tier"\."(\w+)" WHERE "metric" = '(\w+)' AND """, query)
    assert m, query
    family, metric = m.groups()
    out = query.replace(m.group(0), f'FROM "{family}" WHERE ')
    for tier_fn, raw_fn in RAW_TWIN.items():
        out = out.replace(tier_fn, f'{raw_fn}("{metric}")')
    assert '"sum"' not in out and '"max")' not in out and '"min")' not in out, out
    return out


def by_series(series: list[dict[str, Any]]) -> dict[tuple[tuple[str, str], ...], list[list[Any]]]:
    return {tuple(sorted((s.get("tags") or {}).items())): s["values"] for s in series}


@pytest.mark.influx
@pytest.mark.parametrize("tier, interval", [("hour", "1h"), ("minute", "1h"), ("minute", "5m")])
def test_every_tier_query_returns_the_raw_samples_statistics(tiered: GrafanaEnv, tier: str, interval: str) -> None:
    """Over whole hours (the hour tier's rows start on the hour), each tier query on each tier equals influxd's
    mean / max / min / count of the raw points: exact for max, min and count, to rounding for the average."""
    start = tiered.fleet.start // 3600 * 3600
    end = ((tiered.fleet.end - 1) // 3600 + 1) * 3600 - 1  # $timeFilter's end is inclusive
    hosts = ["gpu-1", "web-1"]
    seen = 0
    for path in FILES:
        for uid, t in targets(load(path)):
            if uid != INFLUX_UID or "$tier" not in t["query"]:
                continue
            got = by_series(run_influxql(tiered, substitute_influxql(
                t["query"], start, end, hosts, client_ids(tiered, hosts), tier, interval)))
            want = by_series(run_influxql(tiered, substitute_influxql(
                raw_twin(t["query"]), start, end, hosts, client_ids(tiered, hosts), tier, interval)))
            assert want and got.keys() == want.keys(), (path.name, t["query"])
            for key, rows in want.items():
                assert [r[0] for r in got[key]] == [r[0] for r in rows], (t["query"], key)
                for g, w in zip(got[key], rows, strict=True):
                    assert g[1:] == pytest.approx(w[1:], rel=1e-9), (t["query"], key, g, w)
                    assert all(v is not None for v in g[1:])
            seen += 1
    assert seen >= 20


def test_every_dashboard_offers_30_days_90_days_and_a_year() -> None:
    for path in FILES:
        ranges = {r["from"] for r in load(path)["timepicker"]["quick_ranges"]}
        assert {"now-30d", "now-90d", "now-1y"} <= ranges, path.name


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
