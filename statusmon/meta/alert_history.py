"""The alert_history table (migration 2): one row per incident, from firing until it resolves.

Read by the admin API (``page``: GET /api/alerts) and the Grafana annotations (``firing_between``); written
only by the alerting worker, inside the transaction in which it writes the rest of its cycle (the writes take
the caller's connection: see ``statusmon.meta.alerts``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from statusmon.meta.db import MetaDB

IncidentKey = tuple[str, str, str]  # (rule_key, client_id, series_key): at most one open incident each
# (key, resolved_at, resolved_value, resolution)
Closing = tuple[IncidentKey, int, float | None, str]


@dataclass(frozen=True)
class Incident:
    """One row of alert_history."""

    id: int
    rule_key: str  # the state's rule: "rule:<id>", "default:<metric_type>" or "offline"
    rule_id: int | None  # the stored rule, if it was one
    client_id: str
    hostname: str  # as it was when the incident fired
    metric_type: str  # an ALERT_METRIC_TYPES name, or "offline"
    series_key: str  # the mount or GPU index; "" for host-wide metrics
    threshold: float | None
    direction: str | None
    duration_sec: int | None
    value: float | None  # the value that fired
    started_at: int | None  # when the breach (or the silence) began; it fires after the rule's duration
    fired_at: int
    resolved_at: int | None  # None while it fires
    resolved_value: float | None
    resolution: str | None  # "resolved", "rule removed", "client removed"
    silenced: bool  # a silence withheld a notification of it (statusmon.meta.silences)

    @property
    def active(self) -> bool:
        return self.resolved_at is None


_COLUMNS = ", ".join(f.name for f in fields(Incident))


def _incident(row: Any) -> Incident:
    return Incident(**{**dict(row), "series_key": row["series_key"] or "", "silenced": bool(row["silenced"])})


class AlertHistory:
    def __init__(self, db: MetaDB):
        self.db = db

    # -- reads ----------------------------------------------------------------------------------------------

    def page(self, client_id: str | None = None, active: bool | None = None, before: int | None = None,
             limit: int = 100, *, host: str | None = None, metric_type: str | None = None,
             rule_key: str | None = None, start: int | None = None, end: int | None = None) -> list[Incident]:
        """Incidents newest first: of one client, only open (``active``) or only resolved ones, with an id
        below ``before`` (the previous page's last id); of a ``host`` (its hostname as it fired, or its client
        id), a ``metric_type``, a ``rule_key``; firing at some time in [``start``, ``end``)."""
        where, params = [], []  # type: list[str], list[Any]
        if client_id:
            where.append("client_id = ?")
            params.append(client_id)
        if host:
            where.append("(hostname = ? OR client_id = ?)")
            params += [host, host]
        if metric_type:
            where.append("metric_type = ?")
            params.append(metric_type)
        if rule_key:
            where.append("rule_key = ?")
            params.append(rule_key)
        if start is not None:
            where.append("(resolved_at IS NULL OR resolved_at >= ?)")
            params.append(start)
        if end is not None:
            where.append("fired_at < ?")
            params.append(end)
        if active is True:
            where.append("resolved_at IS NULL")
        elif active is False:
            where.append("resolved_at IS NOT NULL")
        if before is not None:
            where.append("id < ?")
            params.append(before)
        sql = f"SELECT {_COLUMNS} FROM alert_history" + (" WHERE " + " AND ".join(where) if where else "")
        return [_incident(r) for r in self.db.query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))]

    def firing_between(self, start: int, end: int, client_ids: list[str]) -> list[Incident]:
        """Incidents of the clients firing at any time in [start, end), by firing time.

        [] without an alert_history table: the migrations create it, but a database restored from before the
        alerting migration, or one whose table was dropped, shows no incidents rather than an error.
        """
        if not client_ids or not self._has_table():
            return []
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM alert_history WHERE fired_at < ? AND (resolved_at IS NULL OR resolved_at >= ?)"
            f" AND client_id IN ({', '.join('?' * len(client_ids))}) ORDER BY fired_at, id",
            (end, start, *client_ids))
        return [_incident(r) for r in rows]

    def _has_table(self) -> bool:
        return self.db.has_table("alert_history")

    # -- the worker's writes, in its transaction --------------------------------------------------------------

    @staticmethod
    def open_incidents(conn: Any, rows: Iterable[Mapping[str, Any]]) -> None:
        """New incidents: mappings of every column but id and the resolved_* ones (``silenced`` optional)."""
        conn.executemany(
            "INSERT INTO alert_history (rule_key, rule_id, client_id, hostname, metric_type, series_key,"
            " threshold, direction, duration_sec, value, started_at, fired_at, silenced)"
            " VALUES (:rule_key, :rule_id, :client_id, :hostname, :metric_type, :series_key, :threshold,"
            " :direction, :duration_sec, :value, :started_at, :fired_at, :silenced)",
            [{"silenced": 0, **r} for r in rows])

    @staticmethod
    def mark_silenced(conn: Any, keys: Iterable[IncidentKey]) -> None:
        """Mark the open incident of each key: a silence withheld one of its notifications."""
        conn.executemany("UPDATE alert_history SET silenced = 1 WHERE rule_key = ? AND client_id = ?"
                         " AND series_key = ? AND resolved_at IS NULL", list(keys))

    @staticmethod
    def close_incidents(conn: Any, closings: Iterable[Closing]) -> None:
        """Resolve the open incident of each key (a key without one changes nothing)."""
        conn.executemany(
            "UPDATE alert_history SET resolved_at = ?, resolved_value = ?, resolution = ?"
            " WHERE rule_key = ? AND client_id = ? AND series_key = ? AND resolved_at IS NULL",
            [(at, value, why, *key) for key, at, value, why in closings])

    @staticmethod
    def close_orphans(conn: Any, now: float) -> int:
        """Close the open incidents of removed clients (their states went with them, by foreign key)."""
        return conn.execute("UPDATE alert_history SET resolved_at = ?, resolution = 'client removed'"
                            " WHERE resolved_at IS NULL AND client_id NOT IN (SELECT id FROM clients)",
                            (int(now),)).rowcount
