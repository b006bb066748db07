"""The metadata database: clients, hashed tokens, settings, admin credentials, sessions, alert rules and state.

SQLite in WAL mode with versioned migrations (statusmon/meta/migrations.py, applied in order, recorded in
PRAGMA user_version). One connection per MetaDB guarded by a lock: statements are short, and under gevent a
sqlite call never yields anyway.

``open_meta`` opens it from a path or, for a ``postgresql://`` URL, on PostgreSQL (statusmon/meta/pg.py: the
same interface, the same migrations, the same SQL through statusmon/meta/dialect.py). The callers write SQL
both run: ``?`` parameters, rows read by column name or index.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from statusmon.meta.migrations import MIGRATIONS

PG_SCHEMES = ("postgresql://", "postgres://")


class MetaUnavailable(Exception):
    """The metadata database cannot be reached right now (PostgreSQL down): the API answers 503 with
    Retry-After, as for the time-series store."""


def is_pg_url(target: Path | str) -> bool:
    return isinstance(target, str) and target.startswith(PG_SCHEMES)


def open_meta(target: Path | str) -> MetaDB:
    """The metadata database at ``target``: a SQLite file, or a PostgreSQL URL (psycopg is imported only then)."""
    if is_pg_url(target):
        from statusmon.meta.pg import PgMetaDB

        return PgMetaDB(str(target))
    return MetaDB(target)


class MetaDB:
    backend = "sqlite"
    # Set by close(): background loops that read the metadata (the live feed's) end when they see it.
    closed = False

    def __init__(self, path: Path | str):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=30000")
        self._lock = threading.RLock()
        self.migrate()

    @property
    def version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        with self._lock:
            current = self.version
            for number, script in enumerate(MIGRATIONS, start=1):
                if number <= current:
                    continue
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    # Re-check inside the write lock: another process may have migrated meanwhile.
                    if self.version >= number:
                        self._conn.execute("COMMIT")
                        continue
                    for statement in _statements(script):
                        self._conn.execute(statement)
                    self._conn.execute(f"PRAGMA user_version={number}")
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise

    @contextmanager
    def tx(self) -> Iterator[Any]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on error): yields a connection with
        ``execute`` (returning a cursor: ``fetchone``, ``fetchall``, ``rowcount``) and ``executemany``."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Any = ()) -> Any:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def execute(self, sql: str, params: Any = ()) -> int:
        """One statement in its own transaction; returns the number of rows changed."""
        with self._lock:
            return self._conn.execute(sql, params).rowcount

    def has_table(self, name: str) -> bool:
        return self.query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)) is not None

    def ping(self) -> None:
        """Return if the database answers; raise MetaUnavailable otherwise (PostgreSQL down)."""
        self.query_one("SELECT 1")

    def describe(self) -> str:
        return self.path

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._conn.close()


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";\n") if s.strip()]
