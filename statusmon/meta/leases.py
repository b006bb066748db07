"""Leases: one process of several runs a singleton job (the downsampler) at a time.

``Lease`` is the interface the job sees; ``MetaLease`` keeps it in the metadata database's ``leases`` table,
which every API and worker process of one deployment shares. Another store (Redis) can stand behind the same
three methods. A lease expires ``ttl`` seconds after it was last taken or renewed, so a process that died
holding it blocks the others for at most that long; the job renews it as it goes.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Protocol

from statusmon.meta.db import MetaDB


class Lease(Protocol):
    name: str
    owner: str

    def acquire(self, ttl: float) -> bool:
        """Take or renew the lease for ``ttl`` seconds; False if another owner holds it unexpired."""

    def release(self) -> None:
        """Give the lease up if this owner holds it."""


def default_owner() -> str:
    """Unique per lease holder: host, process and a random part (a pid is reused across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class MetaLease:
    def __init__(self, db: MetaDB, name: str, owner: str | None = None,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.name = name
        self.owner = owner or default_owner()
        self.clock = clock

    def acquire(self, ttl: float) -> bool:
        now = self.clock()
        # One statement: the row is taken when absent, expired or already ours; otherwise left as it is.
        # ON CONFLICT ... DO UPDATE ... WHERE reads the same on SQLite (>= 3.24) and PostgreSQL.
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at "
                "WHERE leases.expires_at <= ? OR leases.owner = excluded.owner",
                (self.name, self.owner, now + ttl, now))
            row = conn.execute("SELECT owner FROM leases WHERE name = ?", (self.name,)).fetchone()
        return row is not None and row[0] == self.owner

    def release(self) -> None:
        self.db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (self.name, self.owner))

    def holder(self) -> str | None:
        row = self.db.query_one("SELECT owner, expires_at FROM leases WHERE name = ?", (self.name,))
        if row is None or row["expires_at"] <= self.clock():
            return None
        return str(row["owner"])
