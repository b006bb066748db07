"""The metadata database on PostgreSQL (``STATUSMON_DATABASE_URL=postgresql://...``): ``MetaDB``'s interface.

The metadata modules' SQL runs unchanged: ``statusmon.meta.dialect`` turns ``?``/``:name`` parameters into
psycopg's and the migrations' SQLite DDL into PostgreSQL's; rows are read by name or index like sqlite3.Row.
Parameters are bound on the client (psycopg's ClientCursor), as sqlite does: a parameter PostgreSQL would have
to guess the type of (``? IS NOT NULL``) is a typed literal by then.

Same guarantees as the SQLite file, across processes and machines:
- migrations: under a session advisory lock, each in its own transaction, so two processes starting at once
  apply each migration once (the second waits, then finds nothing to do);
- write transactions (``tx``): under a transaction advisory lock, one at a time, as SQLite's BEGIN IMMEDIATE
  makes them (the code checks then writes inside one: a hostname taken, the next strictly later rule stamp).

PostgreSQL down: every call raises ``MetaUnavailable`` (the API answers 503 with Retry-After) and the broken
connection is dropped; the next call connects again. A call that finds its idle connection dead (PostgreSQL
restarted meanwhile) retries once on a fresh one before anything of it ran.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import RowMaker

from statusmon.meta.db import MetaDB, MetaUnavailable
from statusmon.meta.dialect import PG_AFTER, to_pg_ddl, to_pg_params
from statusmon.meta.migrations import MIGRATIONS

# Advisory lock keys (any two fixed 64-bit numbers no other code of this database uses).
MIGRATE_LOCK = 0x5374_6174_4D69_6701  # "StatMig\x01"
WRITE_LOCK = 0x5374_6174_5772_7401  # "StatWrt\x01"
CONNECT_TIMEOUT_S = 5
BATCH_STATEMENTS = 200  # statements per round trip in executemany


class Row:
    """One result row: ``row["column"]``, ``row[0]``, ``dict(row)``, ``tuple(row)``, like sqlite3.Row."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]):
        self._index, self._values = index, values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[key] if isinstance(key, int) else self._values[self._index[key]]

    def keys(self) -> list[str]:
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Row({dict(zip(self._index, self._values, strict=True))!r})"


def _params(params: Any) -> Any:
    """Booleans as 0/1, as sqlite3 stores them: the columns are integers (``enabled``, ``hold``, ``silenced``),
    and PostgreSQL will not put a boolean into one."""
    if isinstance(params, dict):
        return {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
    return tuple(int(v) if isinstance(v, bool) else v for v in params)


def _row_factory(cursor: Any) -> RowMaker[Row]:
    index = {c.name: i for i, c in enumerate(cursor.description or ())}
    return lambda values: Row(index, values)


class _Cursor:
    """What ``execute`` returns: sqlite3's cursor surface the metadata code uses."""

    def __init__(self, cur: Any):
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)

    def fetchone(self) -> Row | None:
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self) -> list[Row]:
        return self._cur.fetchall() if self._cur.description else []


class _Conn:
    """The connection ``tx`` yields: ``execute`` and ``executemany`` with SQLite-style parameters."""

    def __init__(self, conn: psycopg.Connection[Any]):
        self._conn = conn

    def execute(self, sql: str, params: Any = ()) -> _Cursor:
        cur = self._conn.cursor()
        cur.execute(to_pg_params(sql), _params(params))
        return _Cursor(cur)

    def executemany(self, sql: str, rows: Any) -> None:
        # The rows bound on the client and sent as one multi-statement string per chunk: one round trip where
        # executemany would make one per row (an alerting cycle's 20 state upserts cost 20 of them).
        rows = list(rows)
        if not rows:
            return
        cur = self._conn.cursor()
        assert isinstance(cur, psycopg.ClientCursor)
        query = to_pg_params(sql)
        for start in range(0, len(rows), BATCH_STATEMENTS):
            cur.execute(";\n".join(cur.mogrify(query, _params(row)) for row in rows[start:start + BATCH_STATEMENTS]))


def redact(url: str) -> str:
    """The URL without its password (for logs and /healthz)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class PgMetaDB(MetaDB):
    backend = "postgresql"

    def __init__(self, url: str):  # noqa: D107 - MetaDB's, on PostgreSQL
        self.url = url
        self.path = redact(url)
        self._lock = threading.RLock()
        self._pg: psycopg.Connection[Any] | None = None
        self.closed = False
        self.migrate()

    # -- the connection -----------------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        if self.closed:
            raise MetaUnavailable("the metadata database was closed")
        if self._pg is None or self._pg.closed or self._pg.broken:
            self._drop()
            try:
                self._pg = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S,
                                           cursor_factory=psycopg.ClientCursor,
                                           row_factory=_row_factory)
            except psycopg.OperationalError as e:
                raise MetaUnavailable(f"PostgreSQL at {self.path}: {e}") from e
        return self._pg

    def _drop(self) -> None:
        if self._pg is not None:
            try:
                self._pg.close()
            except psycopg.Error:
                pass
            self._pg = None

    @contextmanager
    def _session(self, retry: bool = True) -> Iterator[psycopg.Connection[Any]]:
        """The connection, for statements that may be run again from scratch on a fresh one (``retry``) when
        the idle one turns out dead. Connection errors become MetaUnavailable."""
        with self._lock:
            fresh = self._pg is None or self._pg.closed or self._pg.broken
            conn = self._connect()
            try:
                yield conn
            except psycopg.OperationalError as e:
                broken = conn.broken or conn.closed
                if broken:
                    self._drop()
                if broken and retry and not fresh:
                    raise _Stale() from e
                raise MetaUnavailable(f"PostgreSQL at {self.path}: {e}") from e

    def _run(self, fn: Any) -> Any:
        """``fn(conn)`` once, or twice when the first try found the idle connection dead."""
        for attempt in (1, 2):
            try:
                with self._session(retry=attempt == 1) as conn:
                    return fn(conn)
            except _Stale:
                continue
        raise AssertionError("unreachable")

    # -- MetaDB's interface ---------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        def read(conn: psycopg.Connection[Any]) -> int:
            if conn.execute("SELECT to_regclass('statusmon_schema')").fetchone()[0] is None:  # type: ignore[index]
                return 0
            row = conn.execute("SELECT version FROM statusmon_schema").fetchone()
            return int(row[0]) if row else 0
        return int(self._run(read))

    def migrate(self) -> None:
        def run(conn: psycopg.Connection[Any]) -> None:
            # Session lock: a second process starting now waits here, then finds every migration applied.
            conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS statusmon_schema (version BIGINT NOT NULL)")
                row = conn.execute("SELECT version FROM statusmon_schema").fetchone()
                if row is None:
                    conn.execute("INSERT INTO statusmon_schema (version) VALUES (0)")
                current = int(row[0]) if row else 0
                for number, script in enumerate(MIGRATIONS, start=1):
                    if number <= current:
                        continue
                    with conn.transaction():
                        for statement in _statements(script):
                            conn.execute(to_pg_ddl(statement))
                        for statement in PG_AFTER.get(number, []):
                            conn.execute(statement)
                        conn.execute("UPDATE statusmon_schema SET version = %s", (number,))
            finally:
                if not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))
        self._run(run)

    @contextmanager
    def tx(self) -> Iterator[_Conn]:
        """A write transaction, one at a time across every process (module docstring), rolled back on error."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    with self._session(retry=attempt == 1) as conn:
                        conn.execute("BEGIN")
                        break
                except _Stale:
                    continue
            with self._session(retry=False) as conn:
                try:
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                    yield _Conn(conn)
                except BaseException:
                    if not conn.broken:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        return self._run(lambda conn: conn.execute(to_pg_params(sql), _params(params)).fetchall())

    def query_one(self, sql: str, params: Any = ()) -> Any:
        return self._run(lambda conn: conn.execute(to_pg_params(sql), _params(params)).fetchone())

    def execute(self, sql: str, params: Any = ()) -> int:
        # One statement in autocommit, run again on a fresh connection only when the first try found the
        # connection dead. Had PostgreSQL committed it just before the connection died, it runs twice: these
        # writes set absolute values, except an outbox retry's attempts + 1, where one more count is harmless.
        return int(self._run(lambda conn: conn.execute(to_pg_params(sql), _params(params)).rowcount))

    def has_table(self, name: str) -> bool:
        return self.query_one("SELECT to_regclass(?)", (name,))[0] is not None

    def ping(self) -> None:
        self.query_one("SELECT 1")

    def describe(self) -> str:
        return self.path

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._drop()


class _Stale(Exception):
    """The idle connection was found dead: run the call again on a fresh one."""


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";\n") if s.strip()]
