"""One evaluation cycle for every client: batched reads, the pure state machine, one write transaction.

Per cycle, in steps (methods of ``Evaluator``, sharing one ``Cycle``):

1. load: the clients, settings, rules and states are read from the metadata DB (through their owners);
2. evaluate families: each metric family that an enabled rule watches is read from the time-series store with
   ONE ``points`` query for all clients, and every (rule, client, mount/GPU) state of it advances through
   ``statusmon.alerts.machine``;
3. unseen: the states no sample reached (reminders while firing; states whose series, rule or client is gone);
4. offline: the offline alert of every client;
5. silences: a transition that an active silence covers (``statusmon.meta.silences``) is recorded (its history
   row marked ``silenced``) but queues no notification; a firing alert whose silence ended (expired or
   ended early) gets one ``unsilenced`` notification. Which firing alerts are muted is kept in alert_state,
   so a restart neither repeats nor forgets that message;
6. persist: the cycle's notifications are queued per channel (the channels its rule names, else the global
   default ``alert_channels``, else every active channel) (one grouped message per channel when several
   alerts changed state, ``statusmon.notify.grouping``); the new states, history rows and notifications are
   written in one transaction (the outbox), and only then delivered (``alerting.delivery``, not part of the cycle).

The query window starts just after the oldest sample time that a recently evaluated state has seen, and never
more than ``catchup`` seconds back: after the worker was down longer than that, older samples are skipped.

States live in memory between cycles (loaded once; this process is their only writer). A change of status,
timer or notification time is written in the cycle that made it; mere progress (the newest sample seen, while
nothing else changed) is written every ``flush_every`` seconds. That is safe because evaluation is
deterministic: after a crash, replaying the samples since the last written state walks the same path and
crosses no status change that was not already written, so nothing is notified twice and no timer is lost.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from statusmon.alerts.machine import FIRING, OK, PENDING, AlertState, Transition, evaluate, evaluate_offline
from statusmon.alerts.rules import Rule, RuleSet, default_rules, rule_from_row
from statusmon.meta.alert_rules import AlertRules
from statusmon.meta.alerts import AlertDB, CycleWrites, StateKey
from statusmon.meta.clients import ClientRegistry, Presence
from statusmon.meta.db import MetaDB
from statusmon.meta.settings import GlobalSettings
from statusmon.meta.silences import Silence, Silences, muted
from statusmon.metrics import ALERT_METRIC_TYPES
from statusmon.notify.events import metric_event, offline_event
from statusmon.notify.grouping import outbox_rows
from statusmon.store.base import TimeSeriesStore

log = logging.getLogger(__name__)

OFFLINE_KEY = "offline"
States = dict[StateKey, tuple[str, AlertState]]


def significant(old: AlertState, new: AlertState) -> bool:
    """A change that must be written at once (anything but progress over samples)."""
    return (old.status, old.since, old.fired_at, old.notified_at) != (new.status, new.since, new.fired_at,
                                                                      new.notified_at)


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


@dataclass
class Cycle:
    """What the steps of one cycle share: read by ``Evaluator._load``, filled in by the steps after it."""

    now: float
    report: CycleReport
    clients: dict[str, Presence]
    ruleset: RuleSet
    rules_by_key: dict[str, Rule]  # stored and default rules by their state key
    states: States  # the evaluator's states (updated only once the cycle is written)
    repeat: float  # seconds between reminders (0: none)
    timeout: float  # the offline timeout
    max_gap: float  # a longer gap between samples restarts a pending run
    channels: list[str]  # where this cycle's notifications go by default (the alert_channels setting)
    active: list[str]  # every active channel: where a rule that names its channels may send
    silences: list[Silence] = field(default_factory=list)  # the active ones
    writes: CycleWrites = field(default_factory=CycleWrites)  # written at once
    events: list[dict[str, Any]] = field(default_factory=list)  # this cycle's notifications, grouped at persist
    progress: States = field(default_factory=dict)  # mere progress: written every ``flush_every`` seconds
    touched: set[StateKey] = field(default_factory=set)  # states evaluated over samples this cycle

    def record(self, key: StateKey, metric_type: str, old: AlertState, new: AlertState) -> None:
        """Keep a changed state: to write now if the change is significant, as progress otherwise."""
        if significant(old, new):
            self.writes.states[key] = (metric_type, new)
        else:
            self.progress[key] = (metric_type, new)

    def muted(self, client_id: str, rule: Rule | None) -> bool:
        return bool(self.silences) and muted(self.silences, client_id, rule.id if rule else None)

    def emit(self, key: StateKey, metric_type: str, rule: Rule | None, t: Transition, client: Presence,
             event: dict[str, Any]) -> None:
        """A transition: its history row (an incident opens or closes) and its notification (queued per channel
        at persist, grouped when the cycle has several: statusmon.notify.grouping), unless a silence covers
        it: then the incident is marked silenced and nothing is queued."""
        self.report.transitions += 1
        silenced = self.muted(client.id, rule)
        if t.kind == "firing":
            self.writes.opened.append({
                "rule_key": key[0], "rule_id": rule.id if rule else None, "client_id": client.id,
                "hostname": client.hostname, "metric_type": metric_type, "series_key": key[2],
                "threshold": rule.threshold if rule else None,
                "direction": rule.direction if rule else None,
                "duration_sec": rule.duration_sec if rule else int(self.timeout), "value": t.value,
                "started_at": t.since, "fired_at": int(t.at), "silenced": int(silenced)})
        elif silenced:
            self.writes.withheld.append(key)
        if t.kind == "resolved":
            self.writes.closed.append((key, int(t.at), t.value, "resolved"))
        if not silenced:
            self.events.append(event)


class Evaluator:
    def __init__(self, meta: MetaDB, store: TimeSeriesStore, public_url: str = "",
                 channels: Callable[[dict[str, Any]], list[str]] | None = None, catchup: float = 900.0,
                 flush_every: float = 60.0):
        self.meta = meta
        self.store = store
        self.alerts = AlertDB(meta)
        self.rules = AlertRules(meta)
        self.clients = ClientRegistry(meta)
        self.public_url = public_url
        # Which channels new notifications are queued for (configured and not disabled).
        self.channels = channels or (lambda gs: [])
        self.catchup = catchup
        self.flush_every = flush_every
        self.silences = Silences(meta)
        self._states: States | None = None
        self._muted: set[StateKey] | None = None  # the firing states a silence mutes
        self._unsaved: States = {}
        self._flushed_at = 0.0
        self._stored: tuple[tuple[Any, ...], list[Rule]] | None = None
        self._ruleset: tuple[list[Rule], list[Rule], dict[str, dict[str, str]], RuleSet] | None = None

    def _stored_rules(self) -> list[Rule]:
        """The stored rules, re-read only when their version changed."""
        version = self.rules.version()
        if self._stored is None or self._stored[0] != version:
            self._stored = (version, [rule_from_row(r) for r in self.rules.list()])
        return self._stored[1]

    def _rules(self, stored: list[Rule], defaults: list[Rule]) -> RuleSet:
        """The RuleSet, reused (with its lookup cache) while the rules and, where a rule selects hosts by their
        labels, the hosts' labels are unchanged (labels are read each cycle only while such a rule exists)."""
        labels = self.clients.labels.effective_all() if any(r.selector for r in stored) else {}
        cached = self._ruleset
        if cached is None or cached[0] is not stored or cached[1] != defaults or cached[2] != labels:
            cached = self._ruleset = (stored, defaults, labels, RuleSet(stored, defaults, labels))
        return cached[3]

    def flush(self) -> None:
        """Write the progress not written yet (the worker calls this when it stops)."""
        if self._unsaved:
            self.alerts.save(CycleWrites(states=dict(self._unsaved)))
            self._unsaved.clear()

    def run_cycle(self, now: float | None = None) -> CycleReport:
        """Load, evaluate each family, the unseen states, the offline alerts, persist: see the module docstring.

        ``report.timings``: ``load``, ``query`` (waiting for the store), ``evaluate`` (the rest of the three
        evaluation steps), ``persist``.
        """
        now = time.time() if now is None else now
        report = CycleReport(now=now)
        t0 = time.perf_counter()
        cycle = self._load(now, report)
        t1 = time.perf_counter()
        report.timings["load"] = t1 - t0
        query_s = self._evaluate_families(cycle)
        self._unseen(cycle)
        self._offline(cycle)
        self._silence_ends(cycle)
        t2 = time.perf_counter()
        report.timings["query"] = query_s
        report.timings["evaluate"] = t2 - t1 - query_s
        self._persist(cycle)
        report.timings["persist"] = time.perf_counter() - t2
        return report

    def _load(self, now: float, report: CycleReport) -> Cycle:
        """Read the clients, settings, rules (when changed) and, on the first cycle, the states."""
        gs = GlobalSettings(self.meta).all()
        clients = {c.id: c for c in self.clients.roster()}
        stored_rules = self._stored_rules()
        defaults = default_rules(gs["thresholds"])
        if self._states is None:
            self._states = self.alerts.load_states()
            self._muted = self.alerts.load_muted()
        timeout = float(gs["online_timeout_seconds"])
        cycle = Cycle(now=now, report=report, clients=clients, ruleset=self._rules(stored_rules, defaults),
                      rules_by_key={r.key: r for r in stored_rules + defaults}, states=self._states,
                      repeat=max(0.0, float(gs["alert_repeat_hours"]) * 3600.0), timeout=timeout,
                      max_gap=max(timeout, 30.0), channels=self._routed(gs), active=self.channels(gs),
                      silences=self.silences.active(now))
        report.clients, report.rules, report.states = len(clients), len(stored_rules), len(cycle.states)
        return cycle

    def _routed(self, gs: dict[str, Any]) -> list[str]:
        """The active channels this cycle notifies: those named in ``alert_channels``, or all when it is null."""
        named = gs.get("alert_channels")
        return [ch for ch in self.channels(gs) if named is None or ch in named]

    @staticmethod
    def _route(cycle: Cycle) -> Callable[[dict[str, Any]], Collection[str]]:
        """The channels one event goes to: its rule's own ``channels`` (those active), else the default."""
        default = set(cycle.channels)
        active = set(cycle.active)

        def route(event: dict[str, Any]) -> Collection[str]:
            rule = cycle.rules_by_key.get(event.get("rule") or "")
            if rule is None or rule.channels is None:
                return default
            return active.intersection(rule.channels)
        return route

    def _evaluate_families(self, cycle: Cycle) -> float:
        """One ``points`` query per metric family for all clients, each family evaluated as soon as its answer
        is in; returns the seconds spent waiting for the store."""
        families = cycle.ruleset.families()
        metric_types = cycle.ruleset.metric_types()
        starts = self._window_starts(cycle.states, cycle.now)
        # The family queries run side by side (InfluxDB answers them in parallel); each family is evaluated
        # as soon as its answer is in, while the others are still being read.
        pool = ThreadPoolExecutor(max_workers=max(1, len(families)), thread_name_prefix="alert-query")
        q0 = time.perf_counter()
        futures = {pool.submit(self.store.points, family, starts.get(family, int(cycle.now - self.catchup)),
                               int(cycle.now) + 1, sorted(fields)): family for family, fields in families.items()}
        cycle.report.queries = len(futures)
        eval_s = 0.0
        try:
            for future in as_completed(futures):
                e0 = time.perf_counter()
                family = futures[future]
                self._evaluate_family(cycle, [m for m in metric_types if ALERT_METRIC_TYPES[m][0] == family],
                                      future.result())
                eval_s += time.perf_counter() - e0
        finally:
            pool.shutdown(wait=True)
        return time.perf_counter() - q0 - eval_s

    def _evaluate_family(self, cycle: Cycle, family_types: list[str], points: dict[tuple[str, str], Any]) -> None:
        """Advance every state of one family's series (``points``: (client id, series key) -> columns)."""
        report = cycle.report
        for (client_id, series_key), series in points.items():
            client = cycle.clients.get(client_id)
            if client is None:
                continue
            report.series += 1
            report.points += len(series.time)
            for metric_type in family_types:
                rules = cycle.ruleset.for_series(metric_type, client_id, series_key)
                values = series.values.get(ALERT_METRIC_TYPES[metric_type][1])
                if not rules or values is None:
                    continue
                samples = list(zip(series.time, values, strict=True))
                for rule in rules:
                    key = (rule.key, client_id, series_key)
                    cycle.touched.add(key)
                    old = cycle.states.get(key, (metric_type, AlertState()))[1]
                    new, transitions = evaluate(rule, old, samples, cycle.now, cycle.repeat, cycle.max_gap)
                    report.evaluations += 1
                    if new != old:
                        cycle.record(key, metric_type, old, new)
                    for t in transitions:
                        event = metric_event(t, rule, client_id, client.hostname, series_key, self.public_url)
                        cycle.emit(key, metric_type, rule, t, client, event)

    def _unseen(self, cycle: Cycle) -> None:
        """The metric states no sample reached this cycle: reminders while firing, and the removal of states
        whose series went quiet or whose rule or client is gone (closing a firing incident, quietly)."""
        now = cycle.now
        for key, (metric_type, state) in cycle.states.items():
            rule_key, client_id, series_key = key
            if key in cycle.touched or rule_key == OFFLINE_KEY:
                continue
            if state.status not in (FIRING, PENDING) and (state.last_ts or 0) < now - self.catchup:
                cycle.writes.removed.append(key)  # a quiet series gone silent: recreated if it comes back
                continue
            known = cycle.rules_by_key.get(rule_key)
            client = cycle.clients.get(client_id)
            if known is None or client is None or known not in cycle.ruleset.for_series(metric_type, client_id,
                                                                                        series_key):
                cycle.writes.removed.append(key)
                if state.status == FIRING:
                    cycle.writes.closed.append((key, int(now), None, "rule removed"))
                continue
            if state.status == FIRING:
                new, transitions = evaluate(known, state, (), now, cycle.repeat, cycle.max_gap)
                if new != state:
                    cycle.record(key, metric_type, state, new)
                for t in transitions:
                    cycle.emit(key, metric_type, known, t, client,
                               metric_event(t, known, client_id, client.hostname, series_key, self.public_url))

    def _offline(self, cycle: Cycle) -> None:
        """Every client's offline alert, from its last seen time (a client that was never offline keeps no
        state)."""
        for client in cycle.clients.values():
            key = (OFFLINE_KEY, client.id, "")
            old = cycle.states.get(key, (OFFLINE_KEY, AlertState()))[1]
            new, transitions = evaluate_offline(old, client.last_seen, cycle.timeout, cycle.now, cycle.repeat)
            if new != old and not (new.status == OK and key not in cycle.states):
                cycle.writes.states[key] = (OFFLINE_KEY, new)
            for t in transitions:
                cycle.emit(key, OFFLINE_KEY, None, t, client,
                           offline_event(t, client.id, client.hostname, cycle.timeout, self.public_url))

    def _silence_ends(self, cycle: Cycle) -> None:
        """Keep track of which firing alerts a silence mutes; one ``unsilenced`` notification for each one
        whose silence ended while it still fires (none for one that resolved or went away meanwhile)."""
        was = self._muted or set()
        if not cycle.silences and not was:
            return  # the common case costs nothing
        now, writes = cycle.now, cycle.writes
        current = {**cycle.states, **cycle.progress, **writes.states}
        for key in writes.removed:
            current.pop(key, None)
        for key, (_, state) in current.items():
            client = cycle.clients.get(key[1])
            if state.status != FIRING or client is None:
                continue
            rule = cycle.rules_by_key.get(key[0])
            is_muted = cycle.muted(client.id, rule)
            if is_muted and key not in was:
                writes.muted[key] = True
            elif not is_muted and key in was:
                writes.muted[key] = False
                t = Transition("unsilenced", now, state.value, state.since)
                if key[0] == OFFLINE_KEY:
                    event = offline_event(t, client.id, client.hostname, cycle.timeout, self.public_url)
                elif rule is not None:
                    event = metric_event(t, rule, client.id, client.hostname, key[2], self.public_url)
                else:
                    continue
                cycle.report.transitions += 1
                cycle.events.append(event)
        for key in was:
            entry = current.get(key)
            if key not in writes.muted and (entry is None or entry[1].status != FIRING):
                writes.muted[key] = False  # resolved (or gone) while muted: nothing to announce

    def _persist(self, cycle: Cycle) -> None:
        """Write the cycle in one transaction (with the unsaved progress every ``flush_every`` seconds), close
        the incidents of removed clients, and only then take the new states into memory."""
        now, writes, progress, states = cycle.now, cycle.writes, cycle.progress, cycle.states
        writes.outbox = outbox_rows(cycle.active, cycle.events, now, self.public_url, route=self._route(cycle))
        cycle.report.notifications = len(writes.outbox)
        flush = now - self._flushed_at >= self.flush_every
        if flush:
            writes.states = {**self._unsaved, **progress, **writes.states}
        self.alerts.save(writes)
        self.alerts.close_orphans(now)
        # Only once written: a failed write leaves memory as it was, and the next cycle redoes the work.
        if flush:
            self._unsaved.clear()
            self._flushed_at = now
        else:
            self._unsaved.update(progress)
            for key in writes.states:
                self._unsaved.pop(key, None)
        if writes.muted and self._muted is not None:
            self._muted |= {k for k, m in writes.muted.items() if m}
            self._muted -= {k for k, m in writes.muted.items() if not m}
        states.update(writes.states)
        states.update(progress)
        for key in writes.removed:
            states.pop(key, None)
            self._unsaved.pop(key, None)

    def _window_starts(self, states: States, now: float) -> dict[str, int]:
        """family -> where its query starts: after the oldest recent sample seen, at most ``catchup`` back."""
        floor = int(now - self.catchup)
        oldest: dict[str, int] = {}
        for m, s in states.values():
            if m == OFFLINE_KEY or s.last_ts is None or s.last_ts < floor:
                continue
            family = ALERT_METRIC_TYPES[m][0]
            if s.last_ts < oldest.get(family, s.last_ts + 1):
                oldest[family] = s.last_ts
        return {f: max(floor, ts + 1) for f, ts in oldest.items()}
