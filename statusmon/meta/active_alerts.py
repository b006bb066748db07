"""What is wrong right now: the alerts pending or firing, with their rule, value and notifications; and the
thresholds that apply to one client's series.

Read-only views over the alerting tables (``alert_state``, ``alert_history``, ``alert_outbox``, owned by
``statusmon.meta.alerts`` and ``statusmon.meta.alert_history``) and the rules (``statusmon.meta.alert_rules``
plus the settings' defaults), for the dashboard: the API and the worker share this one reading of the rules
(``RuleSet.for_series``), so the lines a chart draws are the thresholds the worker evaluates.

How notifications are linked to an incident: the outbox has no incident column (its rows are written by the
cycle that fires, from the event), so a row belongs to an open incident when its event is a ``firing`` or
``reminder`` event of the same rule, client and mount/GPU created at or after the incident fired; a grouped
message (``statusmon.notify.grouping``) belongs to it when it lists that event among its first few, or names the
host and was queued within ``GROUP_WINDOW_S`` of the firing (a group names every host but lists only a few
events, so that last link is by host and time: probable, not certain).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

from statusmon.alerts.rules import Rule, RuleSet, default_rules, rule_from_row
from statusmon.meta.alert_history import AlertHistory, Incident
from statusmon.meta.alert_rules import AlertRules
from statusmon.meta.db import MetaDB
from statusmon.meta.labels import ClientLabels
from statusmon.meta.settings import GlobalSettings
from statusmon.meta.silences import Silences
from statusmon.metrics import ALERT_METRIC_TYPES

GROUP_WINDOW_S = 120
ACTIVE_STATUSES = ("pending", "firing")


def load_rules(db: MetaDB, global_settings: Mapping[str, Any] | None = None) -> tuple[RuleSet, dict[str, Rule]]:
    """The rules as the worker reads them (stored ones plus the settings' defaults), and the rules by key."""
    gs = global_settings if global_settings is not None else GlobalSettings(db).all()
    stored = [rule_from_row(r) for r in AlertRules(db).list()]
    defaults = default_rules(gs["thresholds"])
    labels = ClientLabels(db).effective_all() if any(r.selector for r in stored) else {}
    return RuleSet(stored, defaults, labels), {r.key: r for r in stored + defaults}


def series_of(latest: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """family -> the series keys a client's latest sample has ("" for host-wide, mounts, GPU indexes)."""
    latest = latest or {}
    return {"system": [""], "disk": [str(d["mount"]) for d in latest.get("disks") or []],
            "gpu": [str(g["index"]) for g in latest.get("gpus") or []]}


def thresholds(ruleset: RuleSet, client_id: str, series: Mapping[str, Iterable[str]]) -> list[dict[str, Any]]:
    """Every enabled rule that applies to one of the client's series, one row per (series, rule)."""
    out = []
    for metric_type, (family, field) in ALERT_METRIC_TYPES.items():
        for key in series.get(family, ()):
            for r in ruleset.for_series(metric_type, client_id, key):
                out.append({"metric_type": metric_type, "family": family, "field": field,
                            "mount": key if family == "disk" else None,
                            "gpu": int(key) if family == "gpu" and key.isdigit() else None,
                            "threshold": r.threshold, "direction": r.direction, "duration_sec": r.duration_sec,
                            "rule": r.key, "rule_id": r.id})
    return out


def _delivery(row: Mapping[str, Any]) -> str:
    if row["sent_at"] is not None:
        return "sent"
    if row["dropped_at"] is not None:
        return "failed"
    return "retrying" if row["attempts"] else "queued"


class ActiveAlerts:
    def __init__(self, db: MetaDB):
        self.db = db

    def keys(self) -> frozenset[tuple[str, str, str, str, int]]:
        """(rule_key, client_id, series_key, status, silenced) of every alert pending or firing: one cheap
        query, which the live feed runs four times a second to notice changes (``api.live.feed``). ``silenced`` is the
        worker's mark, so a silence begun or ended elsewhere reaches every open page within a cycle."""
        return frozenset((r[0], r[1], r[2], r[3], int(r[4])) for r in self.db.query(
            "SELECT rule_key, client_id, series_key, status, silenced FROM alert_state"
            " WHERE status IN ('pending', 'firing')"))

    def current(self, client_id: str | None = None, global_settings: Mapping[str, Any] | None = None,
                now: float | None = None) -> list[dict[str, Any]]:
        """Alerts pending or firing (firing first, then oldest first): host, rule, metric, mount/GPU, current
        value, threshold, direction, since, the open incident's id and the notifications of it, and whether
        a silence mutes it now (``silenced``, ``silenced_until``: the latest end of those that cover it).

        ``silenced`` is read from the silences active at ``now``, not from ``alert_state.silenced`` (the
        worker's mark, set at its next cycle): the page that created a silence shows it at once, and one
        ended early stops showing at once."""
        now = time.time() if now is None else now
        silences = Silences(self.db).active(now)
        _, by_key = load_rules(self.db, global_settings)
        gs = global_settings if global_settings is not None else GlobalSettings(self.db).all()
        sql = ("SELECT s.rule_key, s.client_id, s.series_key, s.metric_type, s.status, s.since, s.last_ts,"
               " s.value, s.fired_at, c.hostname FROM alert_state s JOIN clients c ON c.id = s.client_id"
               " WHERE s.status IN ('pending', 'firing')")
        params: tuple[Any, ...] = ()
        if client_id:
            sql += " AND s.client_id = ?"
            params = (client_id,)
        states = self.db.query(sql, params)
        open_incidents = {(i.rule_key, i.client_id, i.series_key): i for i in self._open(client_id)}
        out = []
        for s in states:
            key = (s["rule_key"], s["client_id"], s["series_key"])
            incident = open_incidents.get(key) if s["status"] == "firing" else None
            rule = by_key.get(s["rule_key"])
            family = ALERT_METRIC_TYPES.get(s["metric_type"], ("", ""))[0]
            series = s["series_key"] or ""
            if incident is not None:  # what fired, as it fired (the rule may have been edited since)
                threshold, direction, duration = incident.threshold, incident.direction, incident.duration_sec
            elif rule is not None:
                threshold, direction, duration = rule.threshold, rule.direction, rule.duration_sec
            else:  # offline: its "threshold" is the timeout, not a value
                threshold, direction = None, None
                duration = int(gs["online_timeout_seconds"]) if s["rule_key"] == "offline" else None
            rule_id = rule.id if rule else None
            covering = [x.ends_at for x in silences if x.covers(s["client_id"], rule_id)]
            out.append({
                "rule": s["rule_key"], "rule_id": rule_id, "client_id": s["client_id"],
                "hostname": s["hostname"], "metric_type": s["metric_type"], "status": s["status"],
                "mount": series if family == "disk" else None,
                "gpu": int(series) if family == "gpu" and series.isdigit() else None,
                "value": s["value"], "threshold": threshold, "direction": direction, "duration_sec": duration,
                "since": s["since"], "fired_at": s["fired_at"], "last_ts": s["last_ts"],
                "incident_id": incident.id if incident else None, "notifications": [],
                "silenced": bool(covering), "silenced_until": max(covering) if covering else None,
            })
        self._link_notifications([a for a in out if a["status"] == "firing"])
        out.sort(key=lambda a: (a["status"] != "firing", a["fired_at"] or a["since"] or 0, a["hostname"]))
        return out

    def _open(self, client_id: str | None) -> list[Incident]:
        return AlertHistory(self.db).page(client_id, True, None, 1_000_000)

    def _link_notifications(self, firing: list[dict[str, Any]]) -> None:
        """Attach {channel, kind, status, at, error} of the outbox rows of each firing alert (module docstring)."""
        if not firing:
            return
        start = min(a["fired_at"] or 0 for a in firing) - 1
        rows = [dict(r) for r in self.db.query(
            "SELECT id, channel, event, attempts, created_at, last_error, sent_at, dropped_at FROM alert_outbox"
            " WHERE created_at >= ? ORDER BY id", (start,))]
        exact: dict[tuple[Any, ...], list[tuple[dict[str, Any], str]]] = {}
        by_host: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            event = json.loads(r["event"])
            listed = event.get("events", []) if event.get("kind") == "group" else [event]
            for e in listed:
                if e.get("kind") in ("firing", "reminder"):
                    exact.setdefault((e.get("rule"), e.get("client_id"), e.get("mount"), e.get("gpu")),
                                     []).append((r, e["kind"]))
            if event.get("kind") == "group":
                for h in event.get("hostnames", []):
                    by_host.setdefault(h, []).append(r)
        for a in firing:
            fired = a["fired_at"] or 0
            seen: set[int] = set()
            found: list[tuple[dict[str, Any], str]] = []
            for r, kind in exact.get((a["rule"], a["client_id"], a["mount"], a["gpu"]), []):
                if r["created_at"] >= fired - 1 and r["id"] not in seen:
                    seen.add(r["id"])
                    found.append((r, kind))
            for r in by_host.get(a["hostname"], []):
                if fired - 1 <= r["created_at"] <= fired + GROUP_WINDOW_S and r["id"] not in seen:
                    seen.add(r["id"])
                    found.append((r, "group"))
            a["notifications"] = [{"channel": r["channel"], "kind": kind, "status": _delivery(r),
                                   "at": r["sent_at"] or r["created_at"], "error": r["last_error"]}
                                  for r, kind in sorted(found, key=lambda x: x[0]["id"])]
