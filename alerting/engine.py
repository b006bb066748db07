"""One evaluation cycle for every client: batched reads, the pure state machine, one write transaction.

Per cycle: the clients, settings, rules and states are read from the metadata DB; each metric family that an
enabled rule watches is read from the time-series store with ONE ``points`` query for all clients; every
(rule, client, mount/GPU) state advances through ``alerting.machine``; the offline alert of every client is
checked; then the new states, history rows and notifications are written in one transaction (the outbox),
and only then delivered (``alerting.delivery``).

The query window starts just after the oldest sample time that a recently evaluated state has seen, and never
more than ``catchup`` seconds back: after the worker was down longer than that, older samples are skipped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alerting.events import metric_event, offline_event
from alerting.machine import FIRING, OK, PENDING, AlertState, Transition, evaluate, evaluate_offline
from alerting.persistence import AlertDB, CycleWrites, StateKey
from alerting.rules import Rule, RuleSet, default_rules
from api.meta.clients import Client, ClientRegistry
from api.meta.db import MetaDB
from api.meta.settings import GlobalSettings
from api.store.base import TimeSeriesStore
from statusmon.metrics import ALERT_METRIC_TYPES

log = logging.getLogger(__name__)

OFFLINE_KEY = "offline"


@dataclass
class CycleReport:
    now: float
    clients: int = 0
    rules: int = 0
    queries: int = 0
    series: int = 0
    points: int = 0
    evaluations: int = 0
    transitions: int = 0
    notifications: int = 0
    states: int = 0
    timings: dict[str, float] = field(default_factory=dict)  # phase -> seconds

    @property
    def total_s(self) -> float:
        return sum(self.timings.values())


class Evaluator:
    def __init__(self, meta: MetaDB, store: TimeSeriesStore, public_url: str = "",
                 channels: Callable[[dict[str, Any]], list[str]] | None = None, catchup: float = 900.0):
        self.meta = meta
        self.store = store
        self.alerts = AlertDB(meta)
        self.public_url = public_url
        # Which channels new notifications are queued for (configured and not disabled).
        self.channels = channels or (lambda gs: [])
        self.catchup = catchup

    def run_cycle(self, now: float | None = None) -> CycleReport:
        now = time.time() if now is None else now
        report = CycleReport(now=now)
        t0 = time.perf_counter()
        gs = GlobalSettings(self.meta).all()
        clients = {c.id: c for c in ClientRegistry(self.meta).list()}
        stored_rules = self.alerts.rules()
        ruleset = RuleSet(stored_rules, default_rules(gs["thresholds"]))
        rules_by_key = {r.key: r for r in stored_rules + default_rules(gs["thresholds"])}
        states = self.alerts.load_states()
        repeat = max(0.0, float(gs["alert_repeat_hours"]) * 3600.0)
        timeout = float(gs["online_timeout_seconds"])
        max_gap = max(timeout, 30.0)
        channels = self.channels(gs)
        report.clients, report.rules, report.states = len(clients), len(stored_rules), len(states)
        t1 = time.perf_counter()
        report.timings["load"] = t1 - t0

        writes = CycleWrites()
        touched: set[StateKey] = set()
        query_s = 0.0

        def emit(key: StateKey, metric_type: str, rule: Rule | None, t: Transition, client: Client,
                 event: dict[str, Any]) -> None:
            report.transitions += 1
            if t.kind == "firing":
                writes.opened.append({
                    "rule_key": key[0], "rule_id": rule.id if rule else None, "client_id": client.id,
                    "hostname": client.hostname, "metric_type": metric_type, "series_key": key[2],
                    "threshold": rule.threshold if rule else None,
                    "direction": rule.direction if rule else None,
                    "duration_sec": rule.duration_sec if rule else int(timeout), "value": t.value,
                    "started_at": t.since, "fired_at": int(t.at)})
            elif t.kind == "resolved":
                writes.closed.append((key, int(t.at), t.value, "resolved"))
            for ch in channels:
                writes.outbox.append((ch, event))
                report.notifications += 1

        families = ruleset.families()
        metric_types = ruleset.metric_types()
        for family, fields in sorted(families.items()):
            start = self._window_start(family, states, now)
            q0 = time.perf_counter()
            points = self.store.points(family, start, int(now) + 1, sorted(fields))
            query_s += time.perf_counter() - q0
            report.queries += 1
            family_types = [m for m in metric_types if ALERT_METRIC_TYPES[m][0] == family]
            for (client_id, series_key), series in points.items():
                client = clients.get(client_id)
                if client is None:
                    continue
                report.series += 1
                report.points += len(series.time)
                for metric_type in family_types:
                    rules = ruleset.for_series(metric_type, client_id, series_key)
                    values = series.values.get(ALERT_METRIC_TYPES[metric_type][1])
                    if not rules or values is None:
                        continue
                    samples = list(zip(series.time, values, strict=True))
                    for rule in rules:
                        key = (rule.key, client_id, series_key)
                        touched.add(key)
                        old = states.get(key, (metric_type, AlertState()))[1]
                        new, transitions = evaluate(rule, old, samples, now, repeat, max_gap)
                        report.evaluations += 1
                        if new != old:
                            writes.states[key] = (metric_type, new)
                        for t in transitions:
                            event = metric_event(t, rule, client_id, client.hostname, series_key,
                                                 self.public_url)
                            emit(key, metric_type, rule, t, client, event)

        # States not seen this cycle: reminders while firing, and cleanup of rules that no longer apply.
        for key, (metric_type, state) in states.items():
            rule_key, client_id, series_key = key
            if key in touched or rule_key == OFFLINE_KEY:
                continue
            if state.status not in (FIRING, PENDING) and (state.last_ts or 0) < now - self.catchup:
                writes.removed.append(key)  # a quiet series gone silent: recreated if it comes back
                continue
            known = rules_by_key.get(rule_key)
            client = clients.get(client_id)
            if known is None or client is None or known not in ruleset.for_series(metric_type, client_id,
                                                                                  series_key):
                writes.removed.append(key)
                if state.status == FIRING:
                    writes.closed.append((key, int(now), None, "rule removed"))
                continue
            if state.status == FIRING:
                new, transitions = evaluate(known, state, (), now, repeat, max_gap)
                if new != state:
                    writes.states[key] = (metric_type, new)
                for t in transitions:
                    emit(key, metric_type, known, t, client,
                         metric_event(t, known, client_id, client.hostname, series_key, self.public_url))

        for client in clients.values():
            key = (OFFLINE_KEY, client.id, "")
            old = states.get(key, (OFFLINE_KEY, AlertState()))[1]
            new, transitions = evaluate_offline(old, client.last_seen, timeout, now, repeat)
            if new != old and not (new.status == OK and key not in states):
                writes.states[key] = (OFFLINE_KEY, new)
            for t in transitions:
                emit(key, OFFLINE_KEY, None, t, client,
                     offline_event(t, client.id, client.hostname, timeout, self.public_url))

        t2 = time.perf_counter()
        report.timings["query"] = query_s
        report.timings["evaluate"] = t2 - t1 - query_s
        self.alerts.save(writes)
        report.timings["persist"] = time.perf_counter() - t2
        return report

    def _window_start(self, family: str, states: dict[StateKey, tuple[str, AlertState]], now: float) -> int:
        floor = int(now - self.catchup)
        recent = [s.last_ts for (_, (m, s)) in states.items()
                  if m != OFFLINE_KEY and s.last_ts is not None and s.last_ts >= floor
                  and ALERT_METRIC_TYPES[m][0] == family]
        return max(floor, min(recent) + 1) if recent else floor
