"""How far each rollup tier has been built (every bucket before ``done_until``, unix seconds, is written), and
which minutes of which clients got samples after their buckets were built.

Kept in the metadata database so that every process (and ``statusmon rollup --once``) sees the same state. A late
sample (an agent sending its spool after an outage, a host whose clock lags) marks its client's minute
(``mark_late``); the downsampler rebuilds that client's minute, hour and day buckets and clears the mark
(``late``, ``clear_late``). Only that client's buckets are read again: moving the whole tier's progress back
would have every host's day since then rebuilt, at each late report. Building a bucket twice gives the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from statusmon.meta.db import MetaDB


class LateMinute(NamedTuple):
    client_id: str
    minute: int  # the minute bucket's start (unix seconds)
    seq: int  # how many times it was marked again: a clear removes it only if unchanged since it was read


class RollupProgress:
    def __init__(self, db: MetaDB):
        self.db = db

    def get(self, tier: str) -> int | None:
        row = self.db.query_one("SELECT done_until FROM rollup_progress WHERE tier = ?", (tier,))
        return None if row is None else int(row["done_until"])

    def set(self, tier: str, done_until: int) -> None:
        with self.db.tx() as conn:
            conn.execute("INSERT INTO rollup_progress (tier, done_until) VALUES (?, ?) "
                         "ON CONFLICT (tier) DO UPDATE SET done_until = excluded.done_until", (tier, done_until))

    def mark_late(self, client_id: str, minutes: Iterable[int]) -> None:
        """Samples of ``client_id`` in these minutes (bucket starts) arrived after the downsampler's grace."""
        rows = [(client_id, int(m)) for m in sorted(set(minutes))]
        if rows:
            with self.db.tx() as conn:
                conn.executemany("INSERT INTO rollup_late (client_id, minute, seq) VALUES (?, ?, 0) "
                                 "ON CONFLICT (client_id, minute) DO UPDATE SET seq = rollup_late.seq + 1", rows)

    def late(self, before: int, limit: int = 10_000) -> list[LateMinute]:
        """Marked minutes before ``before`` (where the minute tier is built), oldest first."""
        return [LateMinute(r["client_id"], int(r["minute"]), int(r["seq"])) for r in self.db.query(
            "SELECT client_id, minute, seq FROM rollup_late WHERE minute < ? ORDER BY minute, client_id LIMIT ?",
            (before, limit))]

    def clear_late(self, done: Sequence[tuple[str, int, int]]) -> None:
        """Forget the rebuilt minutes, each only if not marked again since ``late`` read it."""
        if done:
            with self.db.tx() as conn:
                conn.executemany("DELETE FROM rollup_late WHERE client_id = ? AND minute = ? AND seq = ?",
                                 [tuple(m) for m in done])

    def all(self) -> dict[str, int]:
        return {row["tier"]: int(row["done_until"]) for row in self.db.query("SELECT tier, done_until FROM "
                                                                               "rollup_progress")}
