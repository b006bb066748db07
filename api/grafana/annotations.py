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
from api.meta.clients import Client
from api.state import current_state

log = logging.getLogger(__name__)

ANNOTATION_COLUMNS = [("time", "time"), ("timeEnd", "time"), ("title", "string"), ("text", "string"),
                      ("tags", "string"), ("host", "string"), ("state", "string")]


@dataclass(frozen=True)
class AlertEvent:
    start: int  # unix seconds the alert fired
    end: int | None  # resolved at, None while it fires
    client_id: str
    rule: str
    metric: str
    severity: str
    message: str


def _has_table(name: str) -> bool:
    row = current_state().meta.query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                         (name,))
    return row is not None


def alert_events(start: int, end: int, client_ids: list[str]) -> list[AlertEvent]:
    """Alerts that were firing at any time in [start, end) for the clients; [] without an alert history."""
    if not client_ids or not _has_table("alert_history"):
        return []
    try:
        rows = current_state().meta.query(
            f"SELECT * FROM alert_history WHERE started_at < ? AND (resolved_at IS NULL OR resolved_at >= ?) "
            f"AND client_id IN ({', '.join('?' * len(client_ids))}) ORDER BY started_at",
            (end, start, *client_ids))
    except sqlite3.Error as e:  # a schema other than the one this reads: no annotations, not a broken panel
        log.warning("alert history unreadable for annotations: %s", e)
        return []
    out = []
    for r in rows:
        keys = r.keys()
        out.append(AlertEvent(
            start=int(r["started_at"]), end=int(r["resolved_at"]) if r["resolved_at"] is not None else None,
            client_id=r["client_id"], rule=str(r["rule_name"]) if "rule_name" in keys else "",
            metric=str(r["metric_type"]) if "metric_type" in keys else "",
            severity=str(r["severity"]) if "severity" in keys and r["severity"] else "",
            message=str(r["message"]) if "message" in keys and r["message"] else ""))
    return out


def annotation_table(clients: list[Client], start: int, end: int, ref_id: str | None) -> dict[str, Any]:
    hosts = {c.id: c.hostname for c in clients}
    rows: list[list[Any]] = []
    for e in alert_events(start, end, list(hosts)):
        host = hosts.get(e.client_id, e.client_id)
        state = "firing" if e.end is None else "resolved"
        title = f"{host}: {e.rule or e.metric}"
        tags = ",".join(t for t in ("statusmon", host, e.metric, e.severity, state) if t)
        rows.append([e.start * 1000, e.end * 1000 if e.end is not None else None, title,
                     e.message or title, tags, host, state])
    return table(ANNOTATION_COLUMNS, rows, ref_id)
