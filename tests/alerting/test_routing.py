"""Per-rule routing: a rule names the channels it notifies (null: the global default ``alert_channels``, itself
every active channel when null; []: history only). Real SQLite store and metadata DB; the API validates the
names against the channel registry."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerting.engine import Evaluator
from statusmon.meta.alert_rules import AlertRules
from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import MetaDB
from statusmon.meta.settings import GlobalSettings
from statusmon.store.base import TimeSeriesStore
from tests.alerting.test_engine import sample
from tests.api.conftest import META_PARAMS, Api, make_api
from tests.conftest import META_BACKENDS, make_meta
from tests.store.conftest import make_store

NOW = int(time.time()) // 10 * 10
ACTIVE = ["slack", "telegram", "ntfy"]


@pytest.fixture(params=META_BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[MetaDB, TimeSeriesStore]]:
    store = make_store("sqlite", tmp_path, request)
    meta = make_meta(request.param, tmp_path, request)  # the metadata in SQLite, then on PostgreSQL
    GlobalSettings(meta).update({"thresholds": {}, "online_timeout_seconds": 3600, "alert_repeat_hours": 0})
    yield meta, store
    store.close()


def rule(meta: MetaDB, client_id: str, threshold: float, channels: list[str] | None) -> int:
    return AlertRules(meta).create({"client_id": client_id, "metric_type": "cpu_percent", "threshold": threshold,
                                    "duration_sec": 0, "direction": "above", "mount": None, "gpu": None,
                                    "enabled": 1, "channels": channels})


def queued(meta: MetaDB) -> dict[str, list[str]]:
    """channel -> the rules of what was queued for it (groups unfolded)."""
    out: dict[str, list[str]] = {}
    for r in meta.query("SELECT channel, event FROM alert_outbox ORDER BY id"):
        e = json.loads(r["event"])
        out.setdefault(r["channel"], []).extend(x["rule"] for x in (e["events"] if e["kind"] == "group" else [e]))
    return out


@pytest.mark.parametrize("global_default", [None, ["slack"]])
def test_each_rule_notifies_only_its_channels_and_null_follows_the_global_default(
        env: tuple[MetaDB, TimeSeriesStore], global_default: list[str] | None) -> None:
    meta, store = env
    GlobalSettings(meta).update({"alert_channels": global_default})
    reg = ClientRegistry(meta)
    a, _ = reg.add("a")
    b, _ = reg.add("b")
    c, _ = reg.add("c")
    d, _ = reg.add("d")
    to_tg = rule(meta, a.id, 90, ["telegram"])
    to_two = rule(meta, b.id, 90, ["ntfy", "telegram", "discord"])  # discord is not configured: skipped
    default = rule(meta, c.id, 90, None)
    quiet = rule(meta, d.id, 90, [])
    for x in (a, b, c, d):
        store.write(x.id, x.hostname, [sample(NOW - 10, 97.0)])
    Evaluator(meta, store, channels=lambda gs: ACTIVE).run_cycle(NOW)
    got = queued(meta)
    default_to = global_default or ACTIVE
    want: dict[str, list[str]] = {}
    for ch in ACTIVE:
        rules = [f"rule:{to_tg}"] if ch == "telegram" else []
        rules += [f"rule:{to_two}"] if ch in ("ntfy", "telegram") else []
        rules += [f"rule:{default}"] if ch in default_to else []
        if rules:
            want[ch] = rules
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}
    assert f"rule:{quiet}" not in sum(got.values(), [])
    assert meta.query_one("SELECT count(*) FROM alert_history")[0] == 4  # history-only still records


@pytest.fixture(params=META_PARAMS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request, request.param)
    yield a.login()
    a.state.store.close()


def test_the_api_stores_a_rules_channels_and_refuses_unknown_names(api: Api) -> None:
    cid, _ = api.add_client("web-1")
    base = {"client_id": cid, "metric_type": "cpu_percent", "threshold": 90, "duration_sec": 60}
    r = api.admin("POST", "/api/alert-rules", json={**base, "channels": ["slack", "pagerduty"]})
    assert r.status_code == 201 and r.json["channels"] == ["slack", "pagerduty"], r.json
    rid = r.json["id"]
    assert api.http.get(f"/api/alert-rules/{rid}").json["channels"] == ["slack", "pagerduty"]
    r = api.admin("PATCH", f"/api/alert-rules/{rid}", json={"threshold": 80})
    assert r.json["channels"] == ["slack", "pagerduty"]  # a PATCH that does not name channels keeps them
    r = api.admin("PATCH", f"/api/alert-rules/{rid}", json={"channels": None})
    assert r.status_code == 200 and r.json["channels"] is None
    r = api.admin("POST", "/api/alert-rules", json=base)
    assert r.status_code == 201 and r.json["channels"] is None  # the default
    before = api.state.meta.query_one("SELECT count(*) FROM alert_rules")[0]
    for bad in (["slack", "myspace"], "slack", [1]):
        r = api.admin("POST", "/api/alert-rules", json={**base, "channels": bad})
        assert r.status_code == 422 and "channels" in r.json["error"]["details"], r.json
    r = api.admin("PATCH", f"/api/alert-rules/{rid}", json={"channels": ["nope"]})
    assert r.status_code == 422
    assert api.state.meta.query_one("SELECT count(*) FROM alert_rules")[0] == before
    assert api.http.get(f"/api/alert-rules/{rid}").json["channels"] is None
