"""Disabling a firing rule closes its incident quietly (no resolved message, resolution "rule removed"), the
global default does not take over while the rule sits disabled at the winning level, and enabling it again
fires anew. Real stores, the rule changed through its owner (AlertRules), as the API does."""

from __future__ import annotations

from statusmon.meta.alert_rules import AlertRules
from statusmon.meta.alerts import AlertDB
from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import MetaDB
from statusmon.meta.settings import GlobalSettings
from tests.alerting.test_engine import NOW, CountingStore, add_rule, env, evaluator, outbox, sample

__all__ = ["env"]  # the fixture, on both backends


def test_disabling_a_firing_rule_closes_its_incident_quietly_and_nothing_takes_over(
        env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    # The global default would fire at 97 too: it must not take over from the disabled rule.
    GlobalSettings(meta).update({"thresholds": {"cpu_percent": {"threshold": 90, "duration_sec": 0}}})
    c, _ = ClientRegistry(meta).add("web-1")
    rule_id = add_rule(meta, "cpu_percent", 95, 0)
    store.write(c.id, c.hostname, [sample(NOW - 60, 97.0)])
    evaluator(meta, store).run_cycle(NOW - 55)
    assert [k for k, *_ in outbox(meta)] == ["firing"]

    rules = AlertRules(meta)
    rule = rules.get(rule_id)
    assert rule is not None
    assert rules.update(rule_id, {**rule, "enabled": False})
    store.write(c.id, c.hostname, [sample(NOW - 50, 98.0), sample(NOW - 40, 99.0)])  # still breaching
    evaluator(meta, store).run_cycle(NOW - 35)
    evaluator(meta, store).run_cycle(NOW - 30)
    assert [k for k, *_ in outbox(meta)] == ["firing"]  # no resolved message, no firing from the default
    assert AlertDB(meta).load_states() == {}
    (row,) = meta.query("SELECT resolution, resolved_at FROM alert_history")
    assert row["resolution"] == "rule removed" and row["resolved_at"] is not None

    assert rules.update(rule_id, {**rule, "enabled": True})
    store.write(c.id, c.hostname, [sample(NOW - 20, 97.5)])
    evaluator(meta, store).run_cycle(NOW - 15)
    assert [k for k, *_ in outbox(meta)] == ["firing", "firing"]
