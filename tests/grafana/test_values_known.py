"""Grafana's numbers against facts worked out by hand, not against the API that shares their code.

One host reports cpu_percent values picked so that each aggregation has one right answer, computed below in
the comments; the p95 cases are the ones a wrong percentile gets wrong (12 values: InfluxQL's nearest rank is
round(12 * 0.95) = round(11.4) = the 11th, where "ceil" would take the 12th and interpolation 11.45).
Both backends must give the same literal numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from statusmon.config import Settings
from tests.grafana.fleet import bearer, iso, post, samples
from tests.store.conftest import make_store

# Three 60-s buckets: 12 samples 5 s apart, 12 samples 5 s apart, and one lone sample.
BUCKET_1 = [12.0, 3.0, 7.0, 1.0, 9.0, 11.0, 5.0, 2.0, 10.0, 8.0, 4.0, 6.0]  # 1..12 shuffled
BUCKET_2 = [50.0] * 6 + [99.5] + [50.0] * 5  # one spike in the middle
BUCKET_3 = [42.25]

# By hand, per bucket:
#   1: min 1, max 12, mean 78 / 12 = 6.5, p95 = the 11th smallest = 11
#   2: min 50, max 99.5, mean (11 * 50 + 99.5) / 12 = 54.125, p95 = the 11th smallest = 50 (the spike is 12th)
#   3: everything 42.25 (rank round(0.95) = 1: the only value)
EXPECTED = {
    "min": [1.0, 50.0, 42.25],
    "max": [12.0, 99.5, 42.25],
    "mean": [6.5, 54.125, 42.25],
    "p95": [11.0, 50.0, 42.25],
}
# Over all 25 values: sorted they are 1..12, 42.25, 50 x 11, 99.5; p95 = rank round(23.75) = 24 -> 50;
# avg = (78 + 649.5 + 42.25) / 25 = 30.79.
STATS = {"count": 25, "min": 1.0, "max": 99.5, "avg": 30.79, "p95": 50.0}


def nearest_rank(values: list[float], p: float) -> float:
    """The nearest-rank percentile as InfluxQL defines it: the value whose 1-based rank in the sorted list is
    n * p / 100 rounded half up. Written here from the definition, independent of statusmon.store.percentile."""
    ordered = sorted(values)
    rank = math.floor(len(ordered) * p / 100 + 0.5)
    return ordered[rank - 1]


def test_the_hand_computed_p95_agree_with_the_definition() -> None:
    assert [nearest_rank(b, 95) for b in (BUCKET_1, BUCKET_2, BUCKET_3)] == EXPECTED["p95"]
    assert nearest_rank(BUCKET_1 + BUCKET_2 + BUCKET_3, 95) == STATS["p95"]


@pytest.fixture(params=["sqlite", pytest.param("influxdb", marks=pytest.mark.influx)])
def known(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, str, str, int]]:
    settings = Settings(data_dir=tmp_path, admin_password="correct-horse-battery")
    app = create_app(settings, store=make_store(request.param, tmp_path, request), start_background=False)
    state = app.extensions["statusmon"]
    start = int(time.time()) // 60 * 60 - 10 * 60
    times = [start + 5 * i for i in range(12)] + [start + 60 + 5 * i for i in range(12)] + [start + 120]
    body = samples("web-1", start, count=len(times))
    for s, t, v in zip(body, times, BUCKET_1 + BUCKET_2 + BUCKET_3, strict=True):
        s["ts"], s["cpu_percent"] = t, v
    client, agent_token = state.clients.add("calc-1")
    resp = app.test_client().post("/api/report", json={"agent_version": "test", "samples": body},
                                  headers=bearer(agent_token))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    _, token = state.api_tokens.create("grafana")
    yield app, token, client.id, start
    state.store.close()


def test_each_aggregation_per_bucket_equals_the_hand_computed_value(known: tuple[Any, str, str, int]) -> None:
    app, token, _, start = known
    body = {
        "range": {"from": iso(start), "to": iso(start + 179), "raw": {"from": "now-1h", "to": "now"}},
        "targets": [{"target": "cpu_percent", "refId": agg, "payload": {"client": "calc-1", "aggregation": agg}}
                    for agg in EXPECTED],
        "intervalMs": 60_000, "maxDataPoints": 1000,
    }
    got = {r["refId"]: r["datapoints"] for r in post(app.test_client(), "/query", token, body)}
    stamps = [(start + 60 * i) * 1000 for i in range(3)]
    for agg, values in EXPECTED.items():
        assert got[agg] == [[pytest.approx(v, abs=1e-9), t] for v, t in zip(values, stamps, strict=True)], agg


def test_the_stats_table_equals_the_hand_computed_row(known: tuple[Any, str, str, int]) -> None:
    app, token, _, start = known
    body = {"range": {"from": iso(start), "to": iso(start + 179), "raw": {"from": "now-1h", "to": "now"}},
            "targets": [{"target": "stats", "refId": "S", "payload": {"client": "calc-1"}}]}
    table = post(app.test_client(), "/query", token, body)[0]
    columns = [c["text"] for c in table["columns"]]
    row = next(dict(zip(columns, r, strict=True)) for r in table["rows"] if r[columns.index("metric")] == "cpu_percent")
    assert {k: row[k] for k in STATS} == pytest.approx(STATS)
