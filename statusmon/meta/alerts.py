"""Alerting's tables in the metadata DB (migration 2): states, the outbox, channel status, the heartbeat.

The rules are ``statusmon.meta.alert_rules``'s, the incident history ``statusmon.meta.alert_history``'s; the
history rows of a cycle are written through the latter inside ``AlertDB.save``'s transaction.

Everything one evaluation cycle decides (new states, history rows, notifications to send) is written in one
transaction, before anything is sent: a worker killed at any point neither forgets a pending timer nor
repeats a notification (the outbox row is marked sent right after the post; only a kill in between those two
steps repeats that one message).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from statusmon.alerts.machine import AlertState
from statusmon.meta.alert_history import AlertHistory, Closing
from statusmon.meta.db import MetaDB
from statusmon.notify.channels import configured, fingerprint

StateKey = tuple[str, str, str]  # (rule_key, client_id, series_key)


@dataclass
class CycleWrites:
    """What one cycle writes, in one transaction."""

    # key -> (metric_type, state)
    states: dict[StateKey, tuple[str, AlertState]] = field(default_factory=dict)
    removed: list[StateKey] = field(default_factory=list)
    opened: list[dict[str, Any]] = field(default_factory=list)  # history rows of incidents that fired
    closed: list[Closing] = field(default_factory=list)  # (key, at, value, why) of incidents that ended
    outbox: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (channel, event)
    withheld: list[StateKey] = field(default_factory=list)  # open incidents a silence withheld a message of
    muted: dict[StateKey, bool] = field(default_factory=dict)  # firing states a silence mutes (True) or not


@dataclass(frozen=True)
class OutboxRow:
    id: int
    channel: str
    event: dict[str, Any]
    attempts: int
    created_at: float
    next_attempt_at: float


def url_hash(url: str) -> str:
    """Channel status belongs to one set of settings (``statusmon.notify.fingerprint``, the URL for a
    webhook): saving new settings clears a disabled channel."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class AlertDB:
    def __init__(self, db: MetaDB):
        self.db = db
        self.history = AlertHistory(db)

    # -- states and the cycle's writes ----------------------------------------------------------------------

    def load_states(self) -> dict[StateKey, tuple[str, AlertState]]:
        out = {}
        for r in self.db.query("SELECT * FROM alert_state"):
            out[(r["rule_key"], r["client_id"], r["series_key"])] = (r["metric_type"], AlertState(
                status=r["status"], since=r["since"], last_ts=r["last_ts"], value=r["value"],
                fired_at=r["fired_at"], notified_at=r["notified_at"]))
        return out

    def load_muted(self) -> set[StateKey]:
        """The firing states a silence mutes (their silence's end is announced once: alerting.engine)."""
        return {(r["rule_key"], r["client_id"], r["series_key"])
                for r in self.db.query("SELECT rule_key, client_id, series_key FROM alert_state WHERE silenced = 1")}

    def save(self, w: CycleWrites) -> None:
        """Write one cycle's states, history rows and notifications in one transaction."""
        if not (w.states or w.removed or w.opened or w.closed or w.outbox or w.withheld or w.muted):
            return
        now = time.time()
        with self.db.tx() as conn:
            conn.executemany(
                "INSERT INTO alert_state (rule_key, client_id, series_key, metric_type, status, since,"
                " last_ts, value, fired_at, notified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (rule_key, client_id, series_key) DO UPDATE SET"
                " metric_type = excluded.metric_type, status = excluded.status, since = excluded.since,"
                " last_ts = excluded.last_ts,"
                " value = excluded.value, fired_at = excluded.fired_at, notified_at = excluded.notified_at",
                [(*k, m, s.status, s.since, s.last_ts, s.value, s.fired_at, s.notified_at)
                 for k, (m, s) in w.states.items()])
            conn.executemany("DELETE FROM alert_state WHERE rule_key = ? AND client_id = ?"
                             " AND series_key = ?", w.removed)
            conn.executemany("UPDATE alert_state SET silenced = ? WHERE rule_key = ? AND client_id = ?"
                             " AND series_key = ?", [(int(m), *k) for k, m in w.muted.items()])
            self.history.mark_silenced(conn, w.withheld)  # before closing: it marks open incidents
            self.history.close_incidents(conn, w.closed)
            self.history.open_incidents(conn, w.opened)
            conn.executemany(
                "INSERT INTO alert_outbox (channel, event, created_at, next_attempt_at) VALUES (?, ?, ?, ?)",
                [(ch, json.dumps(ev, allow_nan=False), now, now) for ch, ev in w.outbox])

    def enqueue(self, channels: Iterable[str], event: dict[str, Any], now: float | None = None) -> int:
        """Queue one event for each of ``channels`` (events outside the evaluation cycle: failed updates)."""
        now = time.time() if now is None else now
        rows = [(ch, json.dumps(event, allow_nan=False), now, now) for ch in channels]
        with self.db.tx() as conn:
            conn.executemany("INSERT INTO alert_outbox (channel, event, created_at, next_attempt_at)"
                             " VALUES (?, ?, ?, ?)", rows)
        return len(rows)

    def active_channels(self, global_settings: Mapping[str, Any]) -> list[str]:
        """Channels that are configured and not disabled: where new notifications are queued."""
        return [name for name, config in configured(global_settings).items()
                if self.disabled_reason(name, fingerprint(config)) is None]

    def close_orphans(self, now: float) -> int:
        """Close the open incidents of removed clients (their states went with them, by foreign key)."""
        with self.db.tx() as conn:
            return self.history.close_orphans(conn, now)

    # -- the outbox ---------------------------------------------------------------------------------------

    def pending(self, limit: int = 500) -> list[OutboxRow]:
        """Undelivered notifications, at most ``limit`` per channel, each channel's oldest first, taken in turn
        across channels (every channel's first, then every channel's second...): a fleet outage queues one
        PagerDuty event per incident but one grouped message elsewhere, and that backlog must not hold the
        other channels' messages behind it (in the page, or in a delivery pass that runs out of time)."""
        rows = self.db.query(
            "SELECT id, channel, event, attempts, created_at, next_attempt_at FROM ("
            " SELECT *, ROW_NUMBER() OVER (PARTITION BY channel ORDER BY id) AS turn FROM alert_outbox"
            " WHERE sent_at IS NULL AND dropped_at IS NULL) AS queued WHERE turn <= ? ORDER BY turn, id", (limit,))
        return [OutboxRow(r["id"], r["channel"], json.loads(r["event"]), r["attempts"], r["created_at"],
                          r["next_attempt_at"]) for r in rows]

    def mark_sent(self, outbox_id: int, channel: str, now: float) -> None:
        with self.db.tx() as conn:
            conn.execute("UPDATE alert_outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ?",
                         (now, outbox_id))
            self._touch_channel(conn, channel)
            conn.execute("UPDATE alert_channels SET last_sent_at = ? WHERE name = ?", (now, channel))

    def mark_retry(self, outbox_id: int, error: str, next_at: float) -> None:
        self.db.execute("UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                        " WHERE id = ?", (error, next_at, outbox_id))

    def drop(self, ids: Iterable[int], why: str, now: float) -> None:
        with self.db.tx() as conn:
            conn.executemany("UPDATE alert_outbox SET dropped_at = ?, last_error = ? WHERE id = ?",
                             [(now, why, i) for i in ids])

    def prune_outbox(self, older_than: float) -> None:
        self.db.execute("DELETE FROM alert_outbox WHERE (sent_at IS NOT NULL OR dropped_at IS NOT NULL)"
                        " AND created_at < ?", (older_than,))

    def sent_events(self, channel: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT event FROM alert_outbox WHERE sent_at IS NOT NULL"
        params: tuple[Any, ...] = ()
        if channel:
            sql += " AND channel = ?"
            params = (channel,)
        return [json.loads(r["event"]) for r in self.db.query(sql + " ORDER BY id", params)]

    # -- channels -----------------------------------------------------------------------------------------

    @staticmethod
    def _touch_channel(conn: Any, name: str) -> None:
        conn.execute("INSERT INTO alert_channels (name) VALUES (?) ON CONFLICT(name) DO NOTHING", (name,))

    def channel(self, name: str) -> dict[str, Any]:
        row = self.db.query_one("SELECT * FROM alert_channels WHERE name = ?", (name,))
        return dict(row) if row else {"name": name, "url_hash": None, "disabled_reason": None,
                                      "disabled_at": None, "last_error": None, "last_error_at": None,
                                      "last_sent_at": None}

    def disabled_reason(self, name: str, url: str) -> str | None:
        """Why the channel is disabled for these settings (``url``: their fingerprint; None: it is not). New
        settings start enabled."""
        row = self.db.query_one("SELECT url_hash, disabled_reason FROM alert_channels WHERE name = ?",
                                (name,))
        if row is None or not row["disabled_reason"] or row["url_hash"] != url_hash(url):
            return None
        return str(row["disabled_reason"])

    def disable(self, name: str, url: str, reason: str, now: float) -> None:
        with self.db.tx() as conn:
            self._touch_channel(conn, name)
            conn.execute("UPDATE alert_channels SET url_hash = ?, disabled_reason = ?, disabled_at = ?,"
                         " last_error = ?, last_error_at = ? WHERE name = ?",
                         (url_hash(url), reason, now, reason, now, name))
            # Nothing queued for a disabled channel will ever go out.
            conn.execute("UPDATE alert_outbox SET dropped_at = ?, last_error = ? WHERE channel = ?"
                         " AND sent_at IS NULL AND dropped_at IS NULL",
                         (now, f"channel disabled: {reason}", name))

    def enable(self, name: str) -> None:
        self.db.execute("UPDATE alert_channels SET disabled_reason = NULL, disabled_at = NULL WHERE name = ?",
                        (name,))

    def record_error(self, name: str, error: str, now: float) -> None:
        with self.db.tx() as conn:
            self._touch_channel(conn, name)
            conn.execute("UPDATE alert_channels SET last_error = ?, last_error_at = ? WHERE name = ?",
                         (error, now, name))

    # -- the worker's heartbeat -----------------------------------------------------------------------------

    def heartbeat(self, pid: int, started_at: float, now: float, cycle_ms: float | None,
                  error: str | None) -> None:
        self.db.execute(
            "INSERT INTO alert_worker (id, pid, started_at, last_cycle_at, last_cycle_ms, last_error)"
            " VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET pid = excluded.pid,"
            " started_at = excluded.started_at, last_cycle_at = excluded.last_cycle_at,"
            " last_cycle_ms = excluded.last_cycle_ms, last_error = excluded.last_error",
            (pid, started_at, now, cycle_ms, error))

    def worker(self) -> dict[str, Any] | None:
        row = self.db.query_one("SELECT * FROM alert_worker WHERE id = 1")
        return dict(row) if row else None
