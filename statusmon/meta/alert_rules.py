"""The alert_rules table (migration 2): stored alert rules, per client or for all clients, and their version.

The admin API edits the rules; the alerting worker (its own process) re-reads them only when ``version()``
changes. For that, ``updated_at`` is a stamp in seconds that strictly increases (by at least a microsecond)
with every add and edit, so (count, max id, max updated_at) changes with every add, edit and removal, even
several within one second.

Rows are plain dicts of the table's columns (``channels``, stored as JSON text, read back as a list of channel
names or None: the global default; ``selector``, JSON too, a dict of host labels or None);
``statusmon.alerts.rules.rule_from_row`` makes a ``Rule`` of one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from statusmon.meta.db import MetaDB

# The columns a caller sets, in this order (id, created_at and updated_at are the table's own).
FIELDS = ("client_id", "metric_type", "threshold", "duration_sec", "direction", "mount", "gpu", "enabled",
          "channels", "selector")
_JSON = ("channels", "selector")  # stored as JSON text

RuleRow = dict[str, Any]


class AlertRules:
    def __init__(self, db: MetaDB):
        self.db = db

    def list(self, client_id: str | None = None) -> list[RuleRow]:
        """Every rule (or one client's own rules), oldest first."""
        sql, params = "SELECT * FROM alert_rules", ()  # type: tuple[str, tuple[Any, ...]]
        if client_id:
            sql, params = sql + " WHERE client_id = ?", (client_id,)
        return [_row(r) for r in self.db.query(sql + " ORDER BY id", params)]

    def get(self, rule_id: int) -> RuleRow | None:
        row = self.db.query_one("SELECT * FROM alert_rules WHERE id = ?", (rule_id,))
        return _row(row) if row else None

    def create(self, rule: Mapping[str, Any]) -> int:
        """Store a rule (``FIELDS``, validated by the caller); returns its id."""
        with self.db.tx() as conn:
            now = _stamp(conn)
            row = conn.execute(
                f"INSERT INTO alert_rules ({', '.join(FIELDS)}, created_at, updated_at)"
                f" VALUES ({', '.join('?' * len(FIELDS))}, ?, ?) RETURNING id",
                (*_values(rule), int(now), now)).fetchone()
        return int(row[0])

    def update(self, rule_id: int, rule: Mapping[str, Any]) -> bool:
        """Replace every field of a rule; False if there is no such rule."""
        with self.db.tx() as conn:
            changed = conn.execute(
                f"UPDATE alert_rules SET {', '.join(f'{k} = ?' for k in FIELDS)}, updated_at = ? WHERE id = ?",
                (*_values(rule), _stamp(conn), rule_id)).rowcount
        return changed > 0

    def delete(self, rule_id: int) -> bool:
        """False if there is no such rule. (The count in ``version()`` notices a removal.)"""
        return self.db.execute("DELETE FROM alert_rules WHERE id = ?", (rule_id,)) > 0

    def version(self) -> tuple[Any, ...]:
        """Changes whenever a rule is added, changed or removed: what the worker polls each cycle."""
        row = self.db.query_one("SELECT count(*), max(id), max(updated_at) FROM alert_rules")
        return tuple(row) if row else ()


def _values(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    """The FIELDS of a rule as stored (``channels`` and ``selector`` as JSON; absent or None: the global
    default channels, no selector)."""
    out = []
    for k in FIELDS:
        if k == "channels":
            out.append(None if rule.get(k) is None else json.dumps(list(rule[k])))
        elif k == "selector":
            out.append(json.dumps(dict(sorted(rule[k].items()))) if rule.get(k) else None)
        else:
            out.append(rule[k])
    return tuple(out)


def _row(row: Any) -> RuleRow:
    out = dict(row)
    for k in _JSON:
        out[k] = None if out.get(k) is None else json.loads(out[k])
    return out


def _stamp(conn: Any) -> float:
    """The next updated_at: now, but always after the newest one (read in the caller's write transaction)."""
    row = conn.execute("SELECT max(updated_at) FROM alert_rules").fetchone()
    last = float(row[0]) if row and row[0] is not None else 0.0
    return max(time.time(), last + 1e-6)
