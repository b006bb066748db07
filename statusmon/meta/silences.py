"""The alert_silences table (migration 3): an admin mutes a host, a rule or everything until a time.

A silence withholds notifications, nothing else: alerts still change state and their incidents still go to the
history, marked ``silenced`` (a column of alert_history, set by the worker when it withholds a notification of
the incident). When a silence ends (it expires, or an admin ends it early) on an alert that still fires, the
worker sends one notification saying so (kind ``unsilenced``, through the outbox like every other).

Scopes: ``host`` (every alert of one client, its offline alert included), ``rule`` (the alerts of one stored
rule, ``alert_rules.id``; the defaults and the offline alert have no id: silence them by host or with ``all``),
``all`` (every alert). Ending a silence early sets ``ended_at``; rows are kept, so the list shows recent ones.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from statusmon.meta.db import MetaDB

SCOPES = ("host", "rule", "all")
RECENT_SECONDS = 7 * 86400  # how long an ended silence stays in the list


@dataclass(frozen=True)
class Silence:
    """One row of alert_silences."""

    id: int
    scope: str  # "host", "rule" or "all"
    client_id: str | None  # scope host
    rule_id: int | None  # scope rule
    starts_at: float
    ends_at: float  # when it expires
    comment: str
    created_at: float
    ended_at: float | None  # when an admin ended it early (None: it runs until ends_at)

    def active(self, now: float) -> bool:
        return self.ended_at is None and self.starts_at <= now < self.ends_at

    def over_at(self) -> float:
        """When it stopped (or will stop) muting."""
        return self.ended_at if self.ended_at is not None else self.ends_at

    def covers(self, client_id: str, rule_id: int | None) -> bool:
        """Whether it mutes an alert of this client from this stored rule (None: a default or offline)."""
        if self.scope == "all":
            return True
        if self.scope == "host":
            return self.client_id == client_id
        return rule_id is not None and self.rule_id == rule_id


_COLUMNS = ", ".join(f.name for f in fields(Silence))


def _silence(row: Any) -> Silence:
    return Silence(**dict(row))


def muted(silences: list[Silence], client_id: str, rule_id: int | None) -> bool:
    """Whether any of ``silences`` (the active ones) covers the alert."""
    return any(s.covers(client_id, rule_id) for s in silences)


class Silences:
    def __init__(self, db: MetaDB):
        self.db = db

    def create(self, scope: str, client_id: str | None, rule_id: int | None, ends_at: float, comment: str,
               now: float) -> Silence:
        """A silence from ``now`` until ``ends_at`` (validated by the caller: the scope's id, a future end)."""
        with self.db.tx() as conn:
            row = conn.execute(
                "INSERT INTO alert_silences (scope, client_id, rule_id, starts_at, ends_at, comment, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (scope, client_id, rule_id, now, ends_at, comment, now)).fetchone()
        silence = self.get(int(row[0]))
        assert silence is not None
        return silence

    def get(self, silence_id: int) -> Silence | None:
        row = self.db.query_one(f"SELECT {_COLUMNS} FROM alert_silences WHERE id = ?", (silence_id,))
        return _silence(row) if row else None

    def listing(self, now: float, recent: float = RECENT_SECONDS) -> list[Silence]:
        """The active and upcoming silences and those over for less than ``recent`` seconds, newest first."""
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM alert_silences WHERE coalesce(ended_at, ends_at) >= ? ORDER BY id DESC",
            (now - recent,))
        return [_silence(r) for r in rows]

    def active(self, now: float) -> list[Silence]:
        """The silences muting at ``now``: what the worker reads each cycle (an index on ends_at keeps it one
        short range scan however many silences expired before)."""
        rows = self.db.query(
            f"SELECT {_COLUMNS} FROM alert_silences WHERE ends_at > ? AND starts_at <= ? AND ended_at IS NULL",
            (now, now))
        return [_silence(r) for r in rows]

    def end(self, silence_id: int, now: float) -> bool:
        """End a silence early; False if it is already over (or there is no such silence)."""
        return self.db.execute("UPDATE alert_silences SET ended_at = ? WHERE id = ? AND ended_at IS NULL"
                               " AND ends_at > ?", (now, silence_id, now)) > 0

    @staticmethod
    def as_json(s: Silence, now: float) -> dict[str, Any]:
        return {"id": s.id, "scope": s.scope, "client_id": s.client_id, "rule_id": s.rule_id,
                "starts_at": s.starts_at, "ends_at": s.ends_at, "ended_at": s.ended_at, "comment": s.comment,
                "created_at": s.created_at, "active": s.active(now)}
