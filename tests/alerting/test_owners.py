"""The owners of alerting's tables: AlertRules (alert_rules), AlertHistory (alert_history), and the roster that
ClientRegistry gives the worker and the live feed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from statusmon.alerts.rules import rule_from_row
from statusmon.meta.alert_history import AlertHistory
from statusmon.meta.alert_rules import AlertRules
from statusmon.meta.alerts import AlertDB, CycleWrites
from statusmon.meta.clients import ClientRegistry, Presence
from statusmon.meta.db import MetaDB


@pytest.fixture
def meta(tmp_path: Path) -> MetaDB:
    return MetaDB(tmp_path / "meta.db")


def rule(**over: Any) -> dict[str, Any]:
    return {"client_id": None, "metric_type": "cpu_percent", "threshold": 90.0, "duration_sec": 60,
            "direction": "above", "mount": None, "gpu": None, "enabled": True, **over}


def incident(client_id: str, fired_at: int, rule_key: str = "rule:1", series_key: str = "") -> dict[str, Any]:
    return {"rule_key": rule_key, "rule_id": 1, "client_id": client_id, "hostname": "h", "metric_type": "cpu_percent",
            "series_key": series_key, "threshold": 90.0, "direction": "above", "duration_sec": 60, "value": 97.0,
            "started_at": fired_at - 60, "fired_at": fired_at}


# -- AlertRules ---------------------------------------------------------------------------------------------


def test_rules_are_created_read_listed_updated_and_deleted(meta: MetaDB) -> None:
    c, _ = ClientRegistry(meta).add("web-1")
    rules = AlertRules(meta)
    first = rules.create(rule())
    mine = rules.create(rule(client_id=c.id, metric_type="gpu_temp_c", gpu=1))
    assert [r["id"] for r in rules.list()] == [first, mine]
    assert [r["id"] for r in rules.list(c.id)] == [mine]
    got = rules.get(mine)
    assert got is not None and (got["metric_type"], got["gpu"], got["client_id"]) == ("gpu_temp_c", 1, c.id)
    assert rule_from_row(got).key == f"rule:{mine}"

    assert rules.update(first, rule(threshold=97.5, enabled=False))
    updated = rules.get(first)
    assert updated is not None and (updated["threshold"], updated["enabled"]) == (97.5, 0)
    assert rules.delete(first) and rules.get(first) is None
    assert not rules.delete(first) and not rules.update(first, rule())


def test_the_version_changes_with_every_edit_even_within_one_second(meta: MetaDB,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("statusmon.meta.alert_rules.time.time", lambda: 1_700_000_000.0)
    rules = AlertRules(meta)
    seen = [rules.version()]
    a = rules.create(rule())
    seen.append(rules.version())
    b = rules.create(rule(metric_type="ram_percent"))
    seen.append(rules.version())
    rules.update(a, rule(threshold=91.0))
    seen.append(rules.version())
    rules.update(a, rule(threshold=92.0))
    seen.append(rules.version())
    rules.delete(b)
    seen.append(rules.version())
    assert len(set(seen)) == len(seen)
    stamps = [r["updated_at"] for r in rules.list()]
    assert stamps[0] > 1_700_000_000.0  # after the newest stamp, though the clock stood still


def test_a_clients_rules_go_with_it(meta: MetaDB) -> None:
    reg = ClientRegistry(meta)
    c, _ = reg.add("web-1")
    rules = AlertRules(meta)
    rules.create(rule(client_id=c.id))
    before = rules.version()
    reg.remove(c.id)
    assert rules.list() == [] and rules.version() != before


# -- AlertHistory -------------------------------------------------------------------------------------------


def test_incidents_open_and_close_in_the_callers_transaction(meta: MetaDB) -> None:
    c, _ = ClientRegistry(meta).add("web-1")
    history = AlertHistory(meta)
    with meta.tx() as conn:
        history.open_incidents(conn, [incident(c.id, 1000), incident(c.id, 1000, series_key="/data")])
    with meta.tx() as conn:
        history.close_incidents(conn, [(("rule:1", c.id, "/data"), 1100, 40.0, "resolved")])
    (still, closed) = sorted(history.page(), key=lambda i: i.series_key)
    assert still.active and still.resolved_at is None
    assert (closed.resolved_at, closed.resolved_value, closed.resolution, closed.active) == (1100, 40.0,
                                                                                            "resolved", False)


def test_a_failed_cycle_write_leaves_no_history_row(meta: MetaDB) -> None:
    c, _ = ClientRegistry(meta).add("web-1")
    alerts = AlertDB(meta)
    # The outbox refuses NaN (not JSON): the whole cycle is rolled back, its incident included.
    with pytest.raises(ValueError):
        alerts.save(CycleWrites(opened=[incident(c.id, 1000)], outbox=[("slack", {"value": float("nan")})]))
    assert AlertHistory(meta).page() == []


def test_orphans_are_the_open_incidents_of_removed_clients(meta: MetaDB) -> None:
    reg = ClientRegistry(meta)
    gone, _ = reg.add("gone")
    kept, _ = reg.add("kept")
    history = AlertHistory(meta)
    with meta.tx() as conn:
        history.open_incidents(conn, [incident(gone.id, 1000), incident(kept.id, 1000)])
    reg.remove(gone.id)
    assert AlertDB(meta).close_orphans(2000.5) == 1
    by_client = {i.client_id: i for i in history.page()}
    assert (by_client[gone.id].resolved_at, by_client[gone.id].resolution) == (2000, "client removed")
    assert by_client[kept.id].active


def test_the_page_filters_by_client_and_activity_newest_first(meta: MetaDB) -> None:
    reg = ClientRegistry(meta)
    a, _ = reg.add("a")
    b, _ = reg.add("b")
    history = AlertHistory(meta)
    with meta.tx() as conn:
        history.open_incidents(conn, [incident(a.id, 1000 + k, rule_key=f"rule:{k}") for k in range(5)])
        history.open_incidents(conn, [incident(b.id, 2000)])
        history.close_incidents(conn, [(("rule:0", a.id, ""), 1500, None, "resolved")])
    ids = [i.id for i in history.page()]
    assert ids == sorted(ids, reverse=True) and len(ids) == 6
    assert {i.client_id for i in history.page(client_id=b.id)} == {b.id}
    assert [i.rule_key for i in history.page(active=False)] == ["rule:0"]
    assert len(history.page(active=True)) == 5
    first = history.page(client_id=a.id, limit=2)
    rest = history.page(client_id=a.id, before=first[-1].id)
    assert len(first) == 2 and len(rest) == 3 and rest[0].id < first[-1].id


def test_the_window_holds_what_fired_before_its_end_and_resolved_after_its_start(meta: MetaDB) -> None:
    reg = ClientRegistry(meta)
    a, _ = reg.add("a")
    b, _ = reg.add("b")
    history = AlertHistory(meta)
    with meta.tx() as conn:
        history.open_incidents(conn, [incident(a.id, 100, "early"), incident(a.id, 500, "spans"),
                                      incident(a.id, 2000, "late"), incident(a.id, 900, "open"),
                                      incident(b.id, 900, "other")])
        history.close_incidents(conn, [(("early", a.id, ""), 200, None, "resolved"),
                                       (("spans", a.id, ""), 1500, None, "resolved")])
    got = history.firing_between(1000, 1600, [a.id])
    assert [i.rule_key for i in got] == ["spans", "open"]
    assert history.firing_between(1000, 1600, []) == []


def test_the_window_is_empty_without_a_history_table(meta: MetaDB) -> None:
    c, _ = ClientRegistry(meta).add("a")
    meta.execute("DROP TABLE alert_history")
    assert AlertHistory(meta).firing_between(0, 10 ** 10, [c.id]) == []


# -- the roster ---------------------------------------------------------------------------------------------


def test_the_roster_has_every_client_with_its_last_seen(meta: MetaDB) -> None:
    reg = ClientRegistry(meta)
    seen, _ = reg.add("seen")
    never, _ = reg.add("never")
    reg.record_report(seen.id, "1.0", {"ts": 1000, "cpu_percent": 5.0}, None)
    roster = sorted(reg.roster(), key=lambda p: p.hostname)
    assert roster == [Presence(never.id, "never", None), Presence(seen.id, "seen", 1000)]
    assert [p.online(1050, 60) for p in roster] == [False, True]
    assert not roster[1].online(1061, 60)
