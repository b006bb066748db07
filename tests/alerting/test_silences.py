"""Silences: an alert a silence covers still changes state and goes to the history (marked silenced), but
nothing is sent; when the silence ends on an alert that still fires, exactly one message says so. Against a
real SQLite store and metadata DB (the engine's silence handling does not depend on the store backend)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerting.engine import Evaluator
from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import MetaDB
from statusmon.meta.settings import GlobalSettings
from statusmon.meta.silences import Silences
from statusmon.store.base import TimeSeriesStore
from tests.alerting.test_engine import add_rule, sample
from tests.api.conftest import META_PARAMS, Api, make_api
from tests.conftest import META_BACKENDS, make_meta
from tests.store.conftest import make_store

NOW = int(time.time()) // 10 * 10


@pytest.fixture(params=META_BACKENDS)
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[MetaDB, TimeSeriesStore]]:
    store = make_store("sqlite", tmp_path, request)
    meta = make_meta(request.param, tmp_path, request)  # the metadata in SQLite, then on PostgreSQL
    GlobalSettings(meta).update({"thresholds": {}, "online_timeout_seconds": 3600, "alert_repeat_hours": 0})
    yield meta, store
    store.close()


def evaluator(meta: MetaDB, store: TimeSeriesStore) -> Evaluator:
    return Evaluator(meta, store, "https://mon.example", channels=lambda gs: ["slack"])


def sent(meta: MetaDB) -> list[tuple[str, str]]:
    """(kind, hostname) of every queued message, groups unfolded."""
    import json

    out: list[tuple[str, str]] = []
    for r in meta.query("SELECT event FROM alert_outbox ORDER BY id"):
        e = json.loads(r["event"])
        for one in e["events"] if e["kind"] == "group" else [e]:
            out.append((one["kind"], one["hostname"]))
    return out


def history(meta: MetaDB) -> list[tuple[str, int, int | None]]:
    return [(r["hostname"], r["silenced"], r["resolved_at"])
            for r in meta.query("SELECT hostname, silenced, resolved_at FROM alert_history ORDER BY id")]


def hot(store: TimeSeriesStore, client: Any, start: int, n: int, cpu: float = 97.0) -> None:
    store.write(client.id, client.hostname, [sample(start + 10 * k, cpu) for k in range(n)])


def test_a_silenced_host_fires_into_the_history_marked_sends_nothing_and_its_end_is_said_once(
        env: tuple[MetaDB, TimeSeriesStore]) -> None:
    meta, store = env
    reg = ClientRegistry(meta)
    muted_host, _ = reg.add("db-1")
    loud, _ = reg.add("web-1")
    add_rule(meta, "cpu_percent", 90, 30)
    Silences(meta).create("host", muted_host.id, None, NOW + 60, "disk swap", NOW - 100)
    for c in (muted_host, loud):
        hot(store, c, NOW - 60, 7)
    ev = evaluator(meta, store)
    ev.run_cycle(NOW + 1)
    assert sent(meta) == [("firing", "web-1")]
    assert sorted(history(meta)) == [("db-1", 1, None), ("web-1", 0, None)]
    hot(store, muted_host, NOW + 10, 2)
    ev.run_cycle(NOW + 30)  # still silenced, still firing: nothing more
    assert len(sent(meta)) == 1
    hot(store, muted_host, NOW + 30, 4)
    ev.run_cycle(NOW + 61)  # the silence expired at NOW + 60; db-1 still fires
    assert sent(meta) == [("firing", "web-1"), ("unsilenced", "db-1")]
    ev.run_cycle(NOW + 70)
    ev.run_cycle(NOW + 80)
    assert len(sent(meta)) == 2, "the end of a silence is announced once"
    import json
    last = json.loads(meta.query("SELECT event FROM alert_outbox ORDER BY id DESC LIMIT 1")[0]["event"])
    assert last["kind"] == "unsilenced" and last["rule"].startswith("rule:")


def test_an_alert_that_resolves_under_its_silence_is_never_announced(env: tuple[MetaDB, TimeSeriesStore]) -> None:
    meta, store = env
    c, _ = ClientRegistry(meta).add("db-1")
    add_rule(meta, "cpu_percent", 90, 30)
    Silences(meta).create("all", None, None, NOW + 100, "maintenance", NOW - 100)
    hot(store, c, NOW - 60, 7)
    ev = evaluator(meta, store)
    ev.run_cycle(NOW + 1)
    hot(store, c, NOW + 10, 2, cpu=20.0)
    ev.run_cycle(NOW + 31)
    assert history(meta)[0][1] == 1 and history(meta)[0][2] is not None  # fired and resolved, marked
    ev.run_cycle(NOW + 101)  # the silence expires: nothing fires any more, so nothing to say
    ev.run_cycle(NOW + 111)
    assert sent(meta) == []


def test_ending_a_silence_early_after_a_restart_announces_the_still_firing_alert_once(
        env: tuple[MetaDB, TimeSeriesStore]) -> None:
    meta, store = env
    c, _ = ClientRegistry(meta).add("db-1")
    add_rule(meta, "cpu_percent", 90, 30)
    silence = Silences(meta).create("host", c.id, None, NOW + 3600, "reindex", NOW - 100)
    hot(store, c, NOW - 60, 7)
    evaluator(meta, store).run_cycle(NOW + 1)
    assert sent(meta) == []
    restarted = evaluator(meta, store)  # what is muted is read back from alert_state
    assert Silences(meta).end(silence.id, NOW + 5)
    assert not Silences(meta).end(silence.id, NOW + 6)  # ending twice changes nothing
    hot(store, c, NOW + 10, 1)
    restarted.run_cycle(NOW + 11)
    assert sent(meta) == [("unsilenced", "db-1")]
    evaluator(meta, store).run_cycle(NOW + 21)  # and again after another restart: not repeated
    assert len(sent(meta)) == 1


def test_a_rule_silence_mutes_that_rule_only(env: tuple[MetaDB, TimeSeriesStore]) -> None:
    meta, store = env
    c, _ = ClientRegistry(meta).add("db-1")
    muted_rule = add_rule(meta, "cpu_percent", 90, 30)
    add_rule(meta, "cpu_percent", 80, 30, client_id=None)  # same level: both apply
    Silences(meta).create("rule", None, muted_rule, NOW + 3600, "known hot", NOW - 100)
    hot(store, c, NOW - 60, 7)
    evaluator(meta, store).run_cycle(NOW + 1)
    import json
    rules = [json.loads(r["event"])["rule"] for r in meta.query("SELECT event FROM alert_outbox")]
    assert rules == [f"rule:{muted_rule + 1}"]
    assert sorted(r["silenced"] for r in meta.query("SELECT silenced FROM alert_history")) == [0, 1]


# -- the API ------------------------------------------------------------------------------------------------

@pytest.fixture(params=META_PARAMS)
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    a = make_api(tmp_path, request, request.param)
    yield a.login()
    a.state.store.close()


def count(api: Api) -> int:
    return int(api.state.meta.query_one("SELECT count(*) FROM alert_silences")[0])


def test_silences_are_created_listed_and_ended_early(api: Api) -> None:
    cid, _ = api.add_client("db-1")
    r = api.admin("POST", "/api/silences", json={"scope": "host", "client_id": cid, "duration_sec": 3600,
                                                 "comment": "disk swap"})
    assert r.status_code == 201, r.json
    host = r.json
    assert (host["scope"], host["client_id"], host["active"], host["comment"]) == ("host", cid, True, "disk swap")
    assert 3599 <= host["ends_at"] - host["starts_at"] <= 3601
    until = time.time() + 7200
    r = api.admin("POST", "/api/silences", json={"scope": "all", "until": until, "comment": "move"})
    assert r.status_code == 201 and r.json["ends_at"] == until
    listed = api.http.get("/api/silences").json["silences"]
    assert [s["id"] for s in listed] == [r.json["id"], host["id"]]
    assert api.admin("DELETE", f"/api/silences/{host['id']}").status_code == 204
    ended = {s["id"]: s for s in api.http.get("/api/silences").json["silences"]}[host["id"]]
    assert ended["active"] is False and ended["ended_at"] is not None  # still listed, as recent
    r = api.admin("DELETE", f"/api/silences/{host['id']}")
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"
    assert api.admin("DELETE", "/api/silences/999").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"scope": "host", "duration_sec": 600, "comment": "x"}, "client_id"),
    ({"scope": "host", "client_id": "nope", "duration_sec": 600, "comment": "x"}, "client_id"),
    ({"scope": "rule", "rule_id": 42, "duration_sec": 600, "comment": "x"}, "rule_id"),
    ({"scope": "all", "rule_id": 1, "duration_sec": 600, "comment": "x"}, "rule_id"),
    ({"scope": "all", "duration_sec": 600, "until": 2e9, "comment": "x"}, "duration_sec"),
    ({"scope": "all", "comment": "x"}, "duration_sec"),
    ({"scope": "all", "duration_sec": 600}, "comment"),
    ({"scope": "all", "duration_sec": 600, "comment": "   "}, "comment"),
    ({"scope": "all", "duration_sec": 5, "comment": "x"}, "duration_sec"),
    ({"scope": "all", "until": 1000.0, "comment": "x"}, "until"),
    ({"scope": "all", "until": 4e9, "comment": "x"}, "until"),
    ({"scope": "everything", "duration_sec": 600, "comment": "x"}, "scope"),
    ({"scope": "all", "duration_sec": 600, "comment": "x", "extra": 1}, "extra"),
])
def test_a_bad_silence_is_422_naming_the_field_and_nothing_is_written(api: Api, body: dict[str, Any],
                                                                        field: str) -> None:
    r = api.admin("POST", "/api/silences", json=body)
    assert r.status_code == 422, r.json
    assert r.json["error"]["code"] == "validation_failed" and field in r.json["error"]["details"], r.json
    assert count(api) == 0
