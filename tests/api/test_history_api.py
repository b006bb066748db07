"""Long ranges on /api/stats and /api/metrics read the rollup tiers; late samples get their buckets rebuilt."""

from __future__ import annotations

import time

import pytest

from statusmon.store.base import Sample
from tests.api.conftest import Api, good_sample

NOW = int(time.time())


def test_long_ranges_read_the_tiers_and_say_so(api: Api) -> None:
    client_id, _ = api.login().add_client()
    start = (NOW - 2 * 86400) // 3600 * 3600
    api.state.store.write(client_id, "web-1", [Sample(start + i, {"cpu_percent": float(i % 101),
                                                                 "ram_percent": 50.0})
                                               for i in range(0, 2 * 86400, 30)])
    assert api.state.downsampler.run_once().ran
    for name in ("30d", "90d", "1y", "2y"):
        r = api.http.get(f"/api/stats/{client_id}?range={name}&metrics=cpu_percent,ram_percent").json
        assert r["range"] == name and r["exact"] is False
        assert r["p95_max_error"] == {"cpu_percent": 0.5, "ram_percent": 0.5}
        assert r["sources"]["hour"] + r["sources"].get("day", 0) >= 47 * 3600
        want = api.state.store.stats(client_id, r["from"], r["to"], ["cpu_percent"])["cpu_percent"]
        got = r["metrics"]["cpu_percent"]
        assert (got["count"], got["min"], got["max"]) == (want.count, want.min, want.max) == (5760, 0.0, 100.0)
        assert got["avg"] == pytest.approx(want.avg, rel=1e-12)
        assert abs(got["p95"] - want.p95) <= 0.5  # type: ignore[operator]
    week = api.http.get(f"/api/metrics/{client_id}?range=30d&metrics=cpu_percent").json
    assert (week["step"], week["resolution"]) == (300, "minute")
    year = api.http.get(f"/api/metrics/{client_id}?range=1y&metrics=cpu_percent").json
    assert (year["step"], year["resolution"]) == (3600, "hour")
    have = [(t, v) for t, v in zip(year["time"], year["values"]["cpu_percent"], strict=True) if v is not None]
    assert have[0] == (start, pytest.approx(sum(float(i % 101) for i in range(0, 3600, 30)) / 120))
    assert len(have) == 48
    short = api.http.get(f"/api/metrics/{client_id}?range=1h").json
    assert short["resolution"] == "raw"


def test_a_late_batch_marks_its_minutes_so_its_clients_buckets_are_rebuilt(sqlite_api: Api) -> None:
    api = sqlite_api
    client_id, token = api.login().add_client()
    hour_ago = (NOW - 3 * 3600) // 3600 * 3600
    api.state.downsampler.run_once()
    progress = api.state.rollup_progress
    built = progress.all()
    assert built["hour"] > hour_ago
    late = [good_sample(hour_ago + i, cpu_percent=7.0) for i in range(0, 600, 10)]
    fresh = [good_sample(int(time.time()) - 5, cpu_percent=7.0)]  # within the grace: not late
    assert api.report(token, {"samples": late + fresh}).status_code == 200
    assert progress.all() == built  # no tier moves back for one client's spool
    assert {(m.client_id, m.minute) for m in progress.late(NOW + 3600)} == {
        (client_id, hour_ago + m * 60) for m in range(10)}
    assert api.state.downsampler.run_once().late == 10
    rows = api.state.store.tiers.rows("hour", "system", hour_ago, hour_ago + 3600)
    assert [(r.metric, r.count) for r in rows if r.metric == "cpu_percent"] == [("cpu_percent", 60)]


def test_sqlite_prunes_each_tier_by_its_own_setting(sqlite_api: Api) -> None:
    api = sqlite_api.login()
    client_id, _ = api.add_client()
    start = (NOW - 2 * 86400) // 3600 * 3600
    api.state.store.write(client_id, "web-1", [Sample(start + i, {"cpu_percent": 1.0})
                                               for i in range(0, 2 * 86400, 60)])
    api.state.downsampler.run_once()
    tiers = api.state.store.tiers

    def oldest(tier: str) -> int:
        return min(r.ts for r in tiers.rows(tier, "system", 0, NOW))

    assert oldest("minute") == oldest("hour") == start
    r = api.admin("POST", "/api/settings", json={"minute_retention_days": 1})
    assert r.status_code == 200 and r.json["minute_retention_days"] == 1
    assert oldest("minute") >= NOW - 86400 - 60  # pruned when the setting changed
    assert oldest("hour") == start  # the hour tier keeps its 730 days
    assert api.state.store.stats(client_id, start, start + 60, ["cpu_percent"])["cpu_percent"].count == 1


def test_grafanas_long_ranges_read_the_tiers_as_api_metrics_does(api: Api) -> None:
    from tests.grafana.fleet import bearer, iso, post

    client_id, _ = api.login().add_client("web-1")
    start = (NOW - 2 * 86400) // 3600 * 3600
    api.state.store.write(client_id, "web-1", [Sample(start + i, {"cpu_percent": float(i % 101)})
                                               for i in range(0, 2 * 86400, 30)])
    api.state.downsampler.run_once()
    _, token = api.state.api_tokens.create("grafana")
    frm, to = NOW - 90 * 86400, NOW
    body = {"range": {"from": iso(frm), "to": iso(to), "raw": {"from": "now-90d", "to": "now"}},
            "targets": [{"target": "cpu_percent", "refId": "A", "payload": {"client": "web-1"}}],
            "intervalMs": 3_600_000, "maxDataPoints": 3000}
    (got,) = post(api.app.test_client(), "/query", token, body)
    rest = api.app.test_client().get(f"/api/metrics/{client_id}", headers=bearer(token), query_string={
        "from": frm, "to": to + 1, "step": 3600, "metrics": "cpu_percent"}).get_json()
    assert rest["resolution"] == "hour"
    want = [[v, t * 1000] for t, v in zip(rest["time"], rest["values"]["cpu_percent"], strict=True) if v is not None]
    assert got["datapoints"] == want and len(want) == 48
