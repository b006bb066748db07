"""Alert history as an annotation table: columns ``time``, ``timeEnd``, ``title``, ``text``, ``tags``.

Grafana turns an annotation query's data frame into events by these field names. The history is the alerting
worker's table in the metadata database; until that exists (an install without the alerting migration),
the table is empty rather than an error.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

from api.grafana.tables import table
from api.state import current_state
from statusmon.meta.clients import Client

log = logging.getLogger(__name__)

ANNOTATION_COLUMNS = [("time", "time"), ("timeEnd", "time"), ("title", "string"), ("text", "string"),
                      ("tags", "string"), ("host", "string"), ("state", "string")]


@dataclass(frozen=True)
class AlertEvent:
    """One incident of the alerting worker's history (statusmon/meta/migrations.py, migration 2)."""

    fired_at: int
    resolved_at: int | None  # None while it fires
    started_at: int | None  # when the breach began (it fires after the rule's duration)
    client_id: str
    hostname: str
    metric_type: str  # an ALERT_METRIC_TYPES name, or "offline"
    series_key: str  # the mount or GPU index; "" for host-wide metrics
    direction: str | None
    threshold: float | None
    value: float | None
    resolution: str | None


def _has_table(name: str) -> bool:
    row = current_state().meta.query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                         (name,))
    return row is not None


def alert_events(start: int, end: int, client_ids: list[str]) -> list[AlertEvent]:
    """Incidents firing at any time in [start, end) for the clients; [] without an alert history table."""
    if not client_ids or not _has_table("alert_history"):
        return []
    try:
        rows = current_state().meta.query(
            "SELECT fired_at, resolved_at, started_at, client_id, hostname, metric_type, series_key,"
            " direction, threshold, value, resolution FROM alert_history"
            " WHERE fired_at < ? AND (resolved_at IS NULL OR resolved_at >= ?)"
            f" AND client_id IN ({', '.join('?' * len(client_ids))}) ORDER BY fired_at, id",
            (end, start, *client_ids))
    except sqlite3.Error as e:  # a history of another shape: no annotations rather than a broken panel
        log.warning("alert history unreadable for annotations: %s", e)
        return []
    return [AlertEvent(fired_at=int(r["fired_at"]),
                       resolved_at=int(r["resolved_at"]) if r["resolved_at"] is not None else None,
                       started_at=int(r["started_at"]) if r["started_at"] is not None else None,
                       client_id=r["client_id"], hostname=r["hostname"], metric_type=r["metric_type"],
                       series_key=r["series_key"] or "", direction=r["direction"], threshold=r["threshold"],
                       value=r["value"], resolution=r["resolution"]) for r in rows]


def _what(e: AlertEvent) -> str:
    if e.metric_type == "offline":
        return "offline"
    what = e.metric_type + (f" {e.series_key}" if e.series_key else "")
    if e.direction and e.threshold is not None:
        what += f" {e.direction} {e.threshold:g}"
    return what


def annotation_table(clients: list[Client], start: int, end: int, ref_id: str | None) -> dict[str, Any]:
    """One row per incident: a region from firing to resolution (a point while it still fires)."""
    hosts = {c.id: c.hostname for c in clients}
    rows: list[list[Any]] = []
    for e in alert_events(start, end, list(hosts)):
        host = hosts.get(e.client_id, e.hostname)
        state = "firing" if e.resolved_at is None else "resolved"
        title = f"{host}: {_what(e)}"
        text = [title]
        if e.value is not None:
            text.append(f"value {e.value:g} when it fired")
        if e.resolved_at is not None:
            text.append(f"resolved ({e.resolution})" if e.resolution else "resolved")
        else:
            text.append("still firing")
        tags = ",".join(t for t in ("statusmon", host, e.metric_type, state) if t)
        rows.append([e.fired_at * 1000, e.resolved_at * 1000 if e.resolved_at is not None else None, title,
                     "; ".join(text), tags, host, state])
    return table(ANNOTATION_COLUMNS, rows, ref_id)
