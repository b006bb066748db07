"""The numbers Grafana gets equal what the REST API returns for the same range, on both store backends."""

from __future__ import annotations

from typing import Any

import pytest

from statusmon.metrics import SYSTEM_METRIC_NAMES
from tests.grafana.conftest import GrafanaEnv
from tests.grafana.fleet import bearer, iso, post
from tests.grafana.test_values_known import nearest_rank


def rest(env: GrafanaEnv, path: str, **params: Any) -> Any:
    resp = env.app.test_client().get(path, query_string=params, headers=bearer(env.token))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def query(env: GrafanaEnv, targets: list[dict[str, Any]], start: int, end: int, **extra: Any) -> list[Any]:
    body = {
        "range": {"from": iso(start), "to": iso(end), "raw": {"from": "now-1h", "to": "now"}},
        "targets": targets,
        **extra,
    }
    return post(env.app.test_client(), "/query", env.token, body)


def points(times: list[int], values: list[Any]) -> list[list[Any]]:
    return [[v, t * 1000] for t, v in zip(times, values, strict=True) if v is not None]


def window(env: GrafanaEnv) -> tuple[int, int]:
    """A range that cuts the data at both ends (partial first and last buckets)."""
    return env.fleet.start + 600 + 7, env.fleet.end - 300 - 13


def test_mean_and_max_of_every_system_metric_equal_api_metrics(env: GrafanaEnv) -> None:
    start, end = window(env)
    # Grafana's "to" is inclusive: the REST call takes to = end + 1 (exclusive), as the API does for now.
    targets = [
        {"target": name, "refId": f"{name}-{agg}", "payload": {"client": "web-1", "aggregation": agg}}
        for name in SYSTEM_METRIC_NAMES
        for agg in ("mean", "max")
    ]
    got = query(env, targets, start, end, intervalMs=60_000, maxDataPoints=1000)
    api = rest(env, f"/api/metrics/{env.fleet.ids['web-1']}", **{"from": start, "to": end + 1, "step": 60})
    assert api["step"] == 60
    by_ref = {r["refId"]: r for r in got}
    for name in SYSTEM_METRIC_NAMES:
        mean, high = by_ref[f"{name}-mean"], by_ref[f"{name}-max"]
        assert mean["target"] == f"web-1 {name}" and high["target"] == f"web-1 {name} max"
        if name == "gpu_percent":  # web-1 has no GPU: no series values at all
            assert mean["datapoints"] == [] and high["datapoints"] == []
            continue
        assert mean["datapoints"] == points(api["time"], api["values"][name])
        assert high["datapoints"] == points(api["time"], api["max"][name])
        assert len(mean["datapoints"]) >= 20


@pytest.mark.parametrize(
    "family, target, payload_key",
    [
        ("disk", "disk.used_percent", "mount"),
        ("disk", "disk.inodes_used", "mount"),
        ("gpu", "gpu.temp_c", "gpu"),
        ("gpu", "gpu.mem_used_bytes", "gpu"),
    ],
)
def test_per_mount_and_per_gpu_series_equal_api_metrics(
    env: GrafanaEnv, family: str, target: str, payload_key: str
) -> None:
    start, end = window(env)
    field = target.split(".", 1)[1]
    for host in ("web-1", "gpu-1"):
        got = query(
            env,
            [{"target": target, "payload": {"client": [host]}}],
            start,
            end,
            intervalMs=30_000,
            maxDataPoints=500,
        )
        api = rest(
            env,
            f"/api/metrics/{env.fleet.ids[host]}",
            **{"from": start, "to": end + 1, "step": 30, "family": family, "metrics": field},
        )
        expected = {}
        for key, cols in api["series"].items():
            label = f"{host} {key} {field}" if family == "disk" else f"{host} gpu{key} {field}"
            expected[label] = points(cols["time"], cols["values"][field])
        assert {r["target"]: r["datapoints"] for r in got} == expected
        assert expected or (family == "gpu" and host == "web-1")
    # Narrowed to one mount / one GPU by the payload.
    key = "/" if family == "disk" else "1"
    got = query(
        env,
        [{"target": target, "payload": {"client": "gpu-1", payload_key: key}}],
        start,
        end,
        intervalMs=30_000,
        maxDataPoints=500,
    )
    assert len(got) == 1 and got[0]["target"] == (
        f"gpu-1 / {field}" if family == "disk" else f"gpu-1 gpu1 {field}"
    )


def test_min_and_p95_per_bucket_come_from_the_raw_points(env: GrafanaEnv) -> None:
    start, end = window(env)
    got = query(
        env,
        [
            {"target": "cpu_percent", "refId": a, "payload": {"client": "gpu-1", "aggregation": a}}
            for a in ("min", "p95")
        ],
        start,
        end,
        intervalMs=120_000,
        maxDataPoints=1000,
    )
    raw = rest(
        env,
        f"/api/metrics/{env.fleet.ids['gpu-1']}",
        **{"from": start, "to": end + 1, "metrics": "cpu_percent"},
    )
    assert raw["step"] is None
    buckets: dict[int, list[float]] = {}
    for t, v in zip(raw["time"], raw["values"]["cpu_percent"], strict=True):
        if v is not None:
            buckets.setdefault(t // 120 * 120, []).append(v)
    by_ref = {r["refId"]: r["datapoints"] for r in got}
    assert by_ref["min"] == [[min(vs), t * 1000] for t, vs in sorted(buckets.items())]
    assert by_ref["p95"] == [[nearest_rank(vs, 95), t * 1000] for t, vs in sorted(buckets.items())]
    assert len(by_ref["p95"]) >= 10


def test_stats_table_equals_api_stats(env: GrafanaEnv) -> None:
    start, end = window(env)
    got = query(
        env, [{"target": "stats", "refId": "S", "payload": {"client": ["web-1", "gpu-1"]}}], start, end
    )
    assert len(got) == 1 and got[0]["type"] == "table" and got[0]["refId"] == "S"
    columns = [c["text"] for c in got[0]["columns"]]
    rows = [dict(zip(columns, r, strict=True)) for r in got[0]["rows"]]
    assert len(rows) == 2 * len(SYSTEM_METRIC_NAMES)
    for host in ("web-1", "gpu-1"):
        api = rest(env, f"/api/stats/{env.fleet.ids[host]}", **{"from": start, "to": end + 1})
        for name in SYSTEM_METRIC_NAMES:
            row = next(r for r in rows if r["host"] == host and r["metric"] == name)
            assert {k: row[k] for k in ("count", "min", "max", "avg", "p95")} == api["metrics"][name]
            assert row["exact"] == ("yes" if api["exact"] else "no")
    cpu = next(r for r in rows if r["host"] == "web-1" and r["metric"] == "cpu_percent")
    assert cpu["count"] > 100


def test_max_data_points_and_interval_pick_the_step_api_metrics_picks(env: GrafanaEnv) -> None:
    start, end = env.fleet.start, env.fleet.end
    # 2400 s in at most 50 points: /api/metrics picks 60 s buckets for max_points=50.
    got = query(
        env,
        [{"target": "ram_percent", "payload": {"client": "web-1"}}],
        start,
        end,
        intervalMs=1000,
        maxDataPoints=50,
    )
    api = rest(
        env,
        f"/api/metrics/{env.fleet.ids['web-1']}",
        **{"from": start, "to": end + 1, "step": 1, "max_points": 50, "metrics": "ram_percent"},
    )
    assert api["step"] == 60
    assert got[0]["datapoints"] == points(api["time"], api["values"]["ram_percent"])
    assert 0 < len(got[0]["datapoints"]) <= 50


def test_without_interval_a_short_range_returns_the_raw_points(env: GrafanaEnv) -> None:
    start = env.fleet.start + 100
    end = start + 60
    got = query(env, [{"target": "docker_bytes", "payload": {"client": "web-1"}}], start, end)
    api = rest(
        env,
        f"/api/metrics/{env.fleet.ids['web-1']}",
        **{"from": start, "to": end + 1, "metrics": "docker_bytes"},
    )
    assert api["step"] is None
    assert got[0]["datapoints"] == points(api["time"], api["values"]["docker_bytes"])
    assert len(got[0]["datapoints"]) == 31  # every 2 s, both ends included
    assert all(isinstance(v, int) for v, _ in got[0]["datapoints"])


def test_every_host_without_a_client_payload_and_hidden_targets_return_nothing(env: GrafanaEnv) -> None:
    start, end = window(env)
    got = query(
        env,
        [{"target": "cpu_percent", "refId": "A"}, {"target": "ram_percent", "refId": "B", "hide": True}],
        start,
        end,
        intervalMs=60_000,
        maxDataPoints=100,
    )
    assert [r["target"] for r in got] == ["gpu-1 cpu_percent", "web-1 cpu_percent"]


@pytest.mark.parametrize(
    "params",
    [
        {"step": 60, "metrics": "cpu_percent,docker_bytes"},
        {"family": "disk", "metrics": "used_percent,inodes_used", "step": 120},
        {"family": "gpu", "metrics": "temp_c"},
    ],
)
def test_infinity_rows_equal_api_metrics(env: GrafanaEnv, params: dict[str, Any]) -> None:
    """GET /api/grafana/rows/<id>: the REST series as an array of row objects (what Infinity reads best)."""
    start, end = window(env)
    host = "gpu-1"
    q = {"from": start, "to": end + 1, **params}
    rows = rest(env, f"/api/grafana/rows/{env.fleet.ids[host]}", **q)
    api = rest(env, f"/api/metrics/{env.fleet.ids[host]}", **q)
    fields = params["metrics"].split(",")
    family = params.get("family", "system")
    series = {"": api} if family == "system" else api["series"]
    expected = []
    key_name = {"disk": "mount", "gpu": "gpu"}.get(family)
    for key, cols in series.items():
        for i, t in enumerate(cols["time"]):
            if all(cols["values"][f][i] is None for f in fields):
                continue
            row: dict[str, Any] = {"time": t * 1000, "host": host}
            if key_name:
                row[key_name] = key
            for f in fields:
                row[f] = cols["values"][f][i]
                if cols["max"] is not None:
                    row["max_" + f] = cols["max"][f][i]
            expected.append(row)
    assert rows == expected and len(rows) > 10
