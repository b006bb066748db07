"""The metadata contract: what every statusmon.meta module promises, proven on each backend (``meta_db``: a fresh
SQLite file, then a fresh database on a real PostgreSQL started by the fixtures). A module whose SQL one backend
reads differently (a scalar MAX, a subquery without an alias, lastrowid, sqlite_master, a 4-byte REAL) fails here."""

from __future__ import annotations

import time
from typing import Any

import pytest

from statusmon.alerts.machine import AlertState
from statusmon.meta.active_alerts import ActiveAlerts
from statusmon.meta.admin import AdminAuth
from statusmon.meta.alert_rules import AlertRules
from statusmon.meta.alerts import AlertDB, CycleWrites
from statusmon.meta.api_tokens import ApiTokens
from statusmon.meta.clients import ClientRegistry, DuplicateHostname, Report
from statusmon.meta.migrations import MIGRATIONS
from statusmon.meta.rollup_progress import RollupProgress
from statusmon.meta.settings import GlobalSettings
from statusmon.meta.silences import Silences
from statusmon.meta.updates import InvalidPolicy, UpdatePolicy

NOW = 1_780_000_000  # a fixed epoch second (2026), well past 2^31 / 1000: no 32-bit or 4-byte-float column survives


def rule(client_id: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"client_id": client_id, "metric_type": "cpu_percent", "threshold": 90.0, "duration_sec": 60,
            "direction": "above", "mount": None, "gpu": None, "enabled": 1, "channels": None, **kw}


def test_it_applies_every_migration_once(meta_db: Any) -> None:
    assert meta_db.version == len(MIGRATIONS)
    meta_db.migrate()  # again: nothing to do, nothing fails
    assert meta_db.version == len(MIGRATIONS)
    for table in ("clients", "alert_history", "alert_silences", "update_hosts"):
        assert meta_db.has_table(table)
    assert not meta_db.has_table("no_such_table")


def test_clients_add_get_list_remove(meta_db: Any) -> None:
    reg = ClientRegistry(meta_db)
    b, token_b = reg.add("web-b")
    a, _ = reg.add("web-a")
    assert [c.hostname for c in reg.list()] == ["web-a", "web-b"]
    assert reg.get(b.id) == b and b.last_seen is None and b.dropped_total == 0
    assert reg.authenticate(token_b) == b
    assert reg.authenticate(token_b[:-1] + ("A" if token_b[-1] != "A" else "B")) is None
    with pytest.raises(DuplicateHostname):
        reg.add("web-a")
    assert {p.hostname for p in reg.roster()} == {"web-a", "web-b"}
    assert reg.remove(a.id) and not reg.remove(a.id)
    assert [c.hostname for c in reg.list()] == ["web-b"]


def test_agent_labels_follow_each_report_whichever_process_stores_it(meta_db: Any) -> None:
    """Two registries on one database are two workers: an agent's labels going X, Y, X through them end as X
    (a per-process cache of what it last wrote once kept Y), and a batch with a removed host still stores."""
    w1, w2 = ClientRegistry(meta_db), ClientRegistry(meta_db)
    a, _ = w1.add("web-a")
    gone, _ = w1.add("web-gone")
    x, y = {"role": "gpu", "env": "prod"}, {"role": "db"}
    w1.record_reports([Report(a.id, None, {"ts": NOW}, None, x)])
    w2.record_reports([Report(a.id, None, {"ts": NOW + 10}, None, y)])
    assert w1.labels.get(a.id).agent == y
    w2.remove(gone.id)
    w1.record_reports([Report(a.id, None, {"ts": NOW + 20}, None, x), Report(gone.id, None, {"ts": NOW}, None, y)])
    assert w2.labels.get(a.id).agent == x and w1.get(a.id).last_seen == NOW + 20  # type: ignore[union-attr]
    w2.record_reports([Report(a.id, None, {"ts": NOW + 30}, None, None)])  # none carried: keep what is known
    assert w1.labels.get(a.id).agent == x


def test_rotating_a_token_ends_the_old_one(meta_db: Any) -> None:
    reg = ClientRegistry(meta_db)
    c, old = reg.add("web-1")
    new = reg.rotate_token(c.id)
    assert new and reg.authenticate(old) is None and reg.authenticate(new) == c
    assert reg.rotate_token("nope") is None


def test_reports_never_move_last_seen_or_dropped_backwards(meta_db: Any) -> None:
    reg = ClientRegistry(meta_db)
    c, _ = reg.add("web-1")
    reg.record_reports([Report(c.id, "1.2.0", {"ts": NOW, "cpu_percent": 5.0}, 3)])
    reg.record_reports([Report(c.id, None, {"ts": NOW - 60, "cpu_percent": 9.0}, 1)])  # an older replay
    got = reg.get(c.id)
    assert got is not None
    assert (got.agent_version, got.last_seen, got.last_sample, got.dropped_total) == (
        "1.2.0", NOW, {"ts": NOW, "cpu_percent": 5.0}, 3)
    reg.record_report(c.id, "1.3.0", {"ts": NOW + 10, "cpu_percent": 7.5}, None)
    got = reg.get(c.id)
    assert got is not None
    assert (got.agent_version, got.last_seen, got.last_sample["cpu_percent"], got.dropped_total) == (  # type: ignore[index]
        "1.3.0", NOW + 10, 7.5, 3)
    assert got.online(NOW + 20, 30) and not got.online(NOW + 100, 30)


def test_admin_password_and_sessions(meta_db: Any) -> None:
    auth = AdminAuth(meta_db, session_seconds=3600)
    assert not auth.has_password() and not auth.check_password("correct-horse-battery")
    auth.set_password("correct-horse-battery")
    assert auth.has_password() and auth.check_password("correct-horse-battery")
    assert not auth.check_password("wrong-horse-battery")
    sid, session = auth.create_session()
    assert auth.get_session(sid) == session and session.expires_at > time.time()
    auth.end_session(sid)
    assert auth.get_session(sid) is None
    sid2, _ = auth.create_session()
    auth.set_password("another-horse-battery")  # a new password ends every session
    assert auth.get_session(sid2) is None


def test_api_tokens_create_authenticate_revoke(meta_db: Any) -> None:
    tokens = ApiTokens(meta_db)
    tok, secret = tokens.create("grafana")
    assert tokens.authenticate(secret) == tok and tok.scope == "read"
    with pytest.raises(ValueError):
        tokens.create("grafana")
    assert [t.name for t in tokens.list()] == ["grafana"]
    assert tokens.revoke("grafana") and not tokens.revoke("grafana")
    assert tokens.authenticate(secret) is None


def test_settings_round_trip_json_values(meta_db: Any) -> None:
    gs = GlobalSettings(meta_db)
    defaults = gs.all()
    gs.update({"online_timeout_seconds": 77, "thresholds": {"cpu_percent": 81.5}})
    again = GlobalSettings(meta_db).all()
    assert again["online_timeout_seconds"] == 77 and again["thresholds"]["cpu_percent"] == 81.5
    assert set(again) == set(defaults)


def test_one_setting_reads_as_the_whole_set_has_it(meta_db: Any) -> None:
    """``get(key)`` reads one row; it answers what ``all()[key]`` does, stored or default, and a default handed
    out is a copy (changing it changes nothing stored or default)."""
    gs = GlobalSettings(meta_db, {"retention_days": 12})
    defaults = gs.all()
    assert {key: gs.get(key) for key in defaults} == defaults
    gs.get("thresholds").clear()  # a default (a dict), not stored
    assert gs.get("thresholds") == defaults["thresholds"] != {}
    gs.update({"online_timeout_seconds": 77, "thresholds": {"cpu_percent": 81.5}})
    everything = gs.all()
    assert {key: gs.get(key) for key in everything} == everything
    assert (gs.get("online_timeout_seconds"), gs.get("retention_days")) == (77, 12)
    assert gs.get("thresholds")["cpu_percent"] == 81.5
    with pytest.raises(KeyError):
        gs.get("no_such_setting")


def test_rules_crud_and_version_changes_on_every_edit(meta_db: Any) -> None:
    c, _ = ClientRegistry(meta_db).add("web-1")
    rules = AlertRules(meta_db)
    v0 = rules.version()
    first = rules.create(rule(c.id, channels=["slack"], enabled=True))  # a bool, stored as 1 (sqlite3 does)
    second = rules.create(rule(None, threshold=10.0, direction="below"))
    assert second > first
    v1 = rules.version()
    assert v1 != v0 and v1[0] == 2
    assert rules.get(first)["channels"] == ["slack"]  # type: ignore[index]
    assert [r["id"] for r in rules.list()] == [first, second]
    assert [r["id"] for r in rules.list(c.id)] == [first]
    assert rules.update(first, rule(c.id, threshold=95.5))
    assert rules.get(first)["threshold"] == 95.5  # type: ignore[index]
    v2 = rules.version()
    assert v2 != v1 and v2[2] > v1[2]  # updated_at strictly increases, even within one second
    assert rules.delete(second) and not rules.delete(second) and not rules.update(second, rule())
    assert rules.version() != v2


def test_removing_a_client_removes_its_rules_and_states(meta_db: Any) -> None:
    reg = ClientRegistry(meta_db)
    c, _ = reg.add("web-1")
    AlertRules(meta_db).create(rule(c.id))
    AlertDB(meta_db).save(CycleWrites(states={("offline", c.id, ""): ("offline", AlertState("firing", NOW))}))
    reg.remove(c.id)
    assert AlertRules(meta_db).list() == [] and AlertDB(meta_db).load_states() == {}


def cycle(c_id: str, status: str, value: float, **kw: Any) -> CycleWrites:
    state = AlertState(status, since=NOW - 60, last_ts=NOW, value=value, fired_at=NOW if status == "firing" else None,
                       notified_at=NOW + 0.25)
    return CycleWrites(states={("default:cpu_percent", c_id, ""): ("cpu_percent", state)}, **kw)


def incident(c_id: str) -> dict[str, Any]:
    return {"rule_key": "default:cpu_percent", "rule_id": None, "client_id": c_id, "hostname": "web-1",
            "metric_type": "cpu_percent", "series_key": "", "threshold": 90.0, "direction": "above",
            "duration_sec": 60, "value": 97.25, "started_at": NOW - 60, "fired_at": NOW}


def test_a_cycle_writes_states_history_and_outbox_together(meta_db: Any) -> None:
    c, _ = ClientRegistry(meta_db).add("web-1")
    db = AlertDB(meta_db)
    key = ("default:cpu_percent", c.id, "")
    db.save(cycle(c.id, "firing", 97.25, opened=[incident(c.id)],
                  outbox=[("slack", {"kind": "firing", "rule": key[0], "client_id": c.id}),
                          ("email", {"kind": "firing", "rule": key[0], "client_id": c.id})]))
    metric, state = db.load_states()[key]
    assert metric == "cpu_percent" and state == AlertState("firing", NOW - 60, NOW, 97.25, NOW, NOW + 0.25)
    [open_one] = db.history.page(c.id, active=True)
    assert (open_one.value, open_one.fired_at, open_one.silenced, open_one.series_key) == (97.25, NOW, False, "")
    assert ActiveAlerts(meta_db).keys() == {(*key, "firing", 0)}
    # Muted, withheld, then resolved: one transaction each.
    db.save(CycleWrites(muted={key: True}, withheld=[key]))
    assert db.load_muted() == {key} and db.history.page(c.id)[0].silenced
    db.save(CycleWrites(removed=[key], closed=[(key, NOW + 30, 12.5, "resolved")]))
    assert db.load_states() == {} and ActiveAlerts(meta_db).keys() == frozenset()
    [done] = db.history.page(c.id, active=False)
    assert (done.resolved_at, done.resolved_value, done.resolution) == (NOW + 30, 12.5, "resolved")
    assert db.history.firing_between(NOW - 10, NOW + 10, [c.id]) == [done]
    assert db.history.firing_between(NOW + 31, NOW + 90, [c.id]) == []


def test_history_pages_newest_first_with_filters(meta_db: Any) -> None:
    c, _ = ClientRegistry(meta_db).add("web-1")
    db = AlertDB(meta_db)
    for k in range(5):
        db.save(CycleWrites(opened=[{**incident(c.id), "series_key": str(k), "fired_at": NOW + k}]))
    page1 = db.history.page(limit=2)
    assert [i.series_key for i in page1] == ["4", "3"]
    page2 = db.history.page(before=page1[-1].id, limit=2)
    assert [i.series_key for i in page2] == ["2", "1"]
    # Still open, so each fires at every time after it fired.
    assert [i.series_key for i in db.history.page(host="web-1", start=NOW + 3, end=NOW + 3)] == ["2", "1", "0"]
    assert [i.series_key for i in db.history.page(host="nope")] == []
    ClientRegistry(meta_db).remove(c.id)
    assert db.close_orphans(NOW + 100) == 5
    assert all(i.resolution == "client removed" for i in db.history.page())


def test_outbox_takes_channels_in_turn_and_tracks_delivery(meta_db: Any) -> None:
    db = AlertDB(meta_db)
    db.enqueue(["pagerduty"] * 3, {"kind": "firing", "n": 1}, now=NOW)
    db.enqueue(["slack"], {"kind": "firing", "n": 2}, now=NOW)
    pending = db.pending(limit=2)
    assert [r.channel for r in pending] == ["pagerduty", "slack", "pagerduty"]
    assert pending[0].created_at == NOW and pending[0].event == {"kind": "firing", "n": 1}
    db.mark_sent(pending[1].id, "slack", NOW + 1.5)
    db.mark_retry(pending[0].id, "HTTP 500", NOW + 60)
    assert db.channel("slack")["last_sent_at"] == NOW + 1.5
    assert db.sent_events("slack") == [{"kind": "firing", "n": 2}] and db.sent_events("pagerduty") == []
    retried = next(r for r in db.pending() if r.id == pending[0].id)
    assert (retried.attempts, retried.next_attempt_at) == (1, NOW + 60)
    db.disable("pagerduty", "https://events.pagerduty.com", "HTTP 401", NOW + 2)
    assert db.pending() == []  # nothing queued for a disabled channel goes out
    assert db.disabled_reason("pagerduty", "https://events.pagerduty.com") == "HTTP 401"
    assert db.disabled_reason("pagerduty", "https://other") is None  # new settings start enabled
    db.enable("pagerduty")
    assert db.disabled_reason("pagerduty", "https://events.pagerduty.com") is None
    db.prune_outbox(NOW + 10)
    assert db.sent_events() == []


def test_worker_heartbeat_upserts_one_row(meta_db: Any) -> None:
    db = AlertDB(meta_db)
    assert db.worker() is None
    db.heartbeat(123, NOW, NOW + 10, 4.5, None)
    db.heartbeat(123, NOW, NOW + 20, 5.5, "boom")
    assert db.worker() == {"id": 1, "pid": 123, "started_at": NOW, "last_cycle_at": NOW + 20,
                           "last_cycle_ms": 5.5, "last_error": "boom"}


def test_silences_create_list_active_end(meta_db: Any) -> None:
    c, _ = ClientRegistry(meta_db).add("web-1")
    sil = Silences(meta_db)
    host = sil.create("host", c.id, None, NOW + 3600, "maintenance", NOW)
    every = sil.create("all", None, None, NOW + 60, "deploy", NOW)
    assert every.id > host.id and host.comment == "maintenance" and host.ends_at == NOW + 3600
    assert {s.id for s in sil.active(NOW + 30)} == {host.id, every.id}
    assert {s.id for s in sil.active(NOW + 120)} == {host.id}
    assert sil.end(host.id, NOW + 200) and not sil.end(host.id, NOW + 201)
    assert sil.active(NOW + 300) == []
    assert [s.id for s in sil.listing(NOW + 300)] == [every.id, host.id]  # newest first, recent ones kept
    assert sil.get(host.id).ended_at == NOW + 200  # type: ignore[union-attr]


def test_update_policy_targets_and_results(meta_db: Any) -> None:
    reg = ClientRegistry(meta_db)
    a, _ = reg.add("web-a")
    b, _ = reg.add("web-b")
    pol = UpdatePolicy(meta_db)
    out = pol.set_policy({"channels": {"stable": {"version": "1.4.0", "rollout_percent": 100}},
                          "hosts": {b.id: {"channel": "canary", "pin": "1.3.9", "hold": False}}},
                         {a.id, b.id}, now=NOW)
    assert out["channels"]["stable"]["version"] == "1.4.0" and out["hosts"][b.id]["pin"] == "1.3.9"
    with pytest.raises(InvalidPolicy):
        pol.set_policy({"hosts": {"nope": {"hold": True}}}, {a.id, b.id})
    assert pol.decide(a.id, now=NOW) == "1.4.0" and pol.decide(b.id, now=NOW) == "1.3.9"
    pol.set_policy({"hosts": {a.id: {"hold": True}}}, {a.id, b.id}, now=NOW)
    assert pol.decide(a.id, now=NOW) is None and pol.host(a.id).hold is True
    pol.record_result(b.id, "1.3.9", "failed", "health check", now=NOW + 5)
    host_b = pol.hosts()[b.id]
    assert (host_b.attempt_result, host_b.attempt_at, host_b.target) == ("failed", NOW + 5, "1.3.9")


def test_a_failed_transaction_writes_nothing(meta_db: Any) -> None:
    reg = ClientRegistry(meta_db)
    with pytest.raises(RuntimeError), meta_db.tx() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES (?, ?)", ("k", "1"))
        raise RuntimeError("half way")
    assert meta_db.query_one("SELECT value FROM settings WHERE key = ?", ("k",)) is None
    assert reg.list() == []


def test_rows_read_by_name_index_and_as_dict(meta_db: Any) -> None:
    meta_db.execute("INSERT INTO settings (key, value) VALUES (?, ?)", ("50% done", "'quoted' ?"))
    row = meta_db.query_one("SELECT key, value FROM settings WHERE key LIKE '50%' AND value = ?", ("'quoted' ?",))
    assert (row["key"], row[1], dict(row), tuple(row)) == (
        "50% done", "'quoted' ?", {"key": "50% done", "value": "'quoted' ?"}, ("50% done", "'quoted' ?"))
    assert meta_db.execute("UPDATE settings SET value = ? WHERE key = ?", ("x", "nope")) == 0


def test_a_cycle_of_many_rows_writes_every_one(meta_db: Any) -> None:
    """executemany with hundreds of rows (sent in chunks on PostgreSQL), values with quotes and percent signs."""
    c, _ = ClientRegistry(meta_db).add("web-1")
    db = AlertDB(meta_db)
    states = {(f"rule:{k}", c.id, f"/mnt/50% 'x' {k}"): ("disk_percent", AlertState("pending", NOW, NOW + k, k / 4))
              for k in range(450)}
    db.save(CycleWrites(states=states))
    assert db.load_states() == states
    db.save(CycleWrites(removed=list(states)[:449]))
    assert list(db.load_states()) == list(states)[449:]


def test_late_minutes_are_marked_read_and_cleared_only_if_unchanged(meta_db: Any) -> None:
    progress = RollupProgress(meta_db)
    progress.mark_late("c1", [NOW // 60 * 60, NOW // 60 * 60 - 60, NOW // 60 * 60])
    progress.mark_late("c2", [NOW // 60 * 60 - 120])
    progress.mark_late("c3", [NOW // 60 * 60 + 600])
    marks = progress.late(NOW // 60 * 60 + 60)
    assert [(m.client_id, m.minute) for m in marks] == [("c2", NOW // 60 * 60 - 120), ("c1", NOW // 60 * 60 - 60),
                                                        ("c1", NOW // 60 * 60)]
    assert progress.late(NOW // 60 * 60 + 60, limit=1) == marks[:1]
    progress.mark_late("c1", [NOW // 60 * 60])  # marked again after it was read: a clear keeps it
    progress.clear_late(marks)
    assert [(m.client_id, m.minute, m.seq) for m in progress.late(NOW + 3600)] == [
        ("c1", NOW // 60 * 60, 1), ("c3", NOW // 60 * 60 + 600, 0)]
