"""Alert history as an annotation table: columns ``time``, ``timeEnd``, ``title``, ``text``, ``tags``.

Grafana turns an annotation query's data frame into events by these field names. The history is the alerting
worker's table in the metadata database (``statusmon.meta.alert_history``); without it, or when it cannot be
read, the table is empty rather than an error.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from api.grafana.tables import table
from statusmon.meta.alert_history import AlertHistory, Incident
from statusmon.meta.clients import Client

log = logging.getLogger(__name__)

ANNOTATION_COLUMNS = [("time", "time"), ("timeEnd", "time"), ("title", "string"), ("text", "string"),
                      ("tags", "string"), ("host", "string"), ("state", "string")]


def alert_events(history: AlertHistory, start: int, end: int, client_ids: list[str]) -> list[Incident]:
    """Incidents firing at any time in [start, end) for the clients; [] without an alert history table."""
    try:
        return history.firing_between(start, end, client_ids)
    except sqlite3.Error as e:  # a history of another shape: no annotations rather than a broken panel
        log.warning("alert history unreadable for annotations: %s", e)
        return []


def _what(e: Incident) -> str:
    if e.metric_type == "offline":
        return "offline"
    what = e.metric_type + (f" {e.series_key}" if e.series_key else "")
    if e.direction and e.threshold is not None:
        what += f" {e.direction} {e.threshold:g}"
    return what


def annotation_table(history: AlertHistory, clients: list[Client], start: int, end: int,
                     ref_id: str | None) -> dict[str, Any]:
    """One row per incident: a region from firing to resolution (a point while it still fires)."""
    hosts = {c.id: c.hostname for c in clients}
    rows: list[list[Any]] = []
    for e in alert_events(history, start, end, list(hosts)):
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
