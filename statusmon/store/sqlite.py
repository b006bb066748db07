"""Time series in a local SQLite file (the default when no InfluxDB is configured).

One table per family with a primary key on (client, [mount|gpu,] ts): INSERT OR REPLACE makes a retried batch
overwrite itself, as InfluxDB does. WAL mode; pruning of data past the retention runs off the request path.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from statusmon.metrics import (
    DISK_METRIC_NAMES,
    DISK_METRICS,
    FAMILY_FIELDS,
    FAMILY_KEY,
    GPU_METRIC_NAMES,
    SYSTEM_METRICS,
    metric,
)
from statusmon.store.base import EMPTY_STATS, FieldStats, Sample, Series, StoreUnavailable
from statusmon.store.percentile import nearest_rank_index
from statusmon.store.sqlitetiers import DAY, TIERS, SQLiteTiers
from statusmon.store.sqlitetiers import table as tier_table

KEY_COLUMN = dict(FAMILY_KEY)
# The keyed families added with issue 15 (net, diskio, temp, container): one table each, like disk and gpu,
# written from each record's ``key`` and ``fields()``.
DETAIL_FAMILIES = ("net", "diskio", "temp", "container")
TABLES = ("system", "disk", "gpu", *DETAIL_FAMILIES)


def _sql_type(family: str, name: str) -> str:
    return "INTEGER" if metric(name, family).integer else "REAL"


def _detail_schema(family: str) -> str:
    key = FAMILY_KEY[family]
    cols = ", ".join(f"{n} {_sql_type(family, n)}" for n in FAMILY_FIELDS[family])
    return (f"CREATE TABLE IF NOT EXISTS {family} (client_id TEXT NOT NULL, {key} TEXT NOT NULL, "
            f"ts INTEGER NOT NULL, {cols}, PRIMARY KEY (client_id, {key}, ts)) WITHOUT ROWID;\n"
            f"CREATE INDEX IF NOT EXISTS {family}_ts ON {family} (ts);\n")

SCHEMA = """
CREATE TABLE IF NOT EXISTS system (
    client_id TEXT NOT NULL, ts INTEGER NOT NULL,
    {system_cols},
    PRIMARY KEY (client_id, ts)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS system_ts ON system (ts);
CREATE TABLE IF NOT EXISTS disk (
    client_id TEXT NOT NULL, mount TEXT NOT NULL, ts INTEGER NOT NULL,
    used_bytes INTEGER, total_bytes INTEGER, avail_bytes INTEGER, inodes_used INTEGER, inodes_total INTEGER,
    used_percent REAL, inodes_percent REAL,
    PRIMARY KEY (client_id, mount, ts)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS disk_ts ON disk (ts);
CREATE TABLE IF NOT EXISTS gpu (
    client_id TEXT NOT NULL, gpu TEXT NOT NULL, ts INTEGER NOT NULL, uuid TEXT, name TEXT,
    util_percent REAL, mem_used_bytes INTEGER, mem_total_bytes INTEGER, mem_percent REAL,
    temp_c REAL, power_w REAL,
    PRIMARY KEY (client_id, gpu, ts)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gpu_ts ON gpu (ts);
""".format(system_cols=", ".join(f"{m.name} {'INTEGER' if m.integer else 'REAL'}" for m in SYSTEM_METRICS)) + \
    "".join(_detail_schema(f) for f in DETAIL_FAMILIES)

SYSTEM_FIELDS = [m.name for m in SYSTEM_METRICS]


class SQLiteStore:
    backend = "sqlite"
    # The API's pruner deletes by them, hourly and when one changes (api/app.py: prune).
    honours_settings = frozenset({"retention_days", "minute_retention_days", "hour_retention_days"})

    def __init__(self, path: Path | str):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.executescript(SCHEMA)
            self._add_missing_columns()
            self.tiers = SQLiteTiers(self._conn, self._lock)
        except sqlite3.Error as e:
            raise StoreUnavailable(f"cannot open {self.path}: {e}") from e

    def _add_missing_columns(self) -> None:
        """A file written before a column existed (disk.avail_bytes, the system metrics of issue 15) gets it,
        empty for its old rows."""
        for table, metrics in (("disk", DISK_METRICS), ("system", SYSTEM_METRICS)):
            have = {row[1] for row in self._conn.execute(f"PRAGMA table_info({table})")}
            for m in metrics:
                if m.name not in have:
                    self._conn.execute(
                        f"ALTER TABLE {table} ADD COLUMN {m.name} {'INTEGER' if m.integer else 'REAL'}")

    def describe(self) -> str:
        return f"SQLite file {self.path}"

    def ping(self) -> None:
        try:
            with self._lock:
                self._conn.execute("SELECT 1").fetchone()
        except sqlite3.Error as e:
            raise StoreUnavailable(str(e)) from e

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            raise StoreUnavailable(str(e)) from e

    def write(self, client_id: str, host: str, samples: Sequence[Sample]) -> int:
        return self.write_many([(client_id, host, samples)])

    def write_many(self, batches: Sequence[tuple[str, str, Sequence[Sample]]]) -> int:
        system_rows: list[tuple[Any, ...]] = []
        disk_rows: list[tuple[Any, ...]] = []
        gpu_rows: list[tuple[Any, ...]] = []
        detail_rows: dict[str, list[tuple[Any, ...]]] = {f: [] for f in DETAIL_FAMILIES}
        for client_id, _host, samples in batches:
            self._rows(client_id, samples, system_rows, disk_rows, gpu_rows)
            for s in samples:
                for family, records in s.details():
                    rows = detail_rows[family]
                    for r in records:
                        f = r.fields()
                        rows.append((client_id, r.key, s.ts, *(f[n] for n in FAMILY_FIELDS[family])))
        self._insert(system_rows, disk_rows, gpu_rows, detail_rows)
        return sum(len(samples) for _, _, samples in batches)

    @staticmethod
    def _rows(client_id: str, samples: Sequence[Sample], system_rows: list[tuple[Any, ...]],
              disk_rows: list[tuple[Any, ...]], gpu_rows: list[tuple[Any, ...]]) -> None:
        # map() over bound methods rather than generator expressions: no Python frame per value (ingest path).
        for s in samples:
            system_rows.append((client_id, s.ts, *map(s.values.get, SYSTEM_FIELDS)))
            for d in s.disks:
                disk_rows.append((client_id, d.mount, s.ts, *map(d.fields().__getitem__, DISK_METRIC_NAMES)))
            for g in s.gpus:
                gpu_rows.append((client_id, str(g.index), s.ts, g.uuid, g.name,
                                 *map(g.fields().__getitem__, GPU_METRIC_NAMES)))

    def _insert(self, system_rows: list[tuple[Any, ...]], disk_rows: list[tuple[Any, ...]],
                gpu_rows: list[tuple[Any, ...]], detail_rows: dict[str, list[tuple[Any, ...]]] | None = None) -> None:
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany(
                        f"INSERT OR REPLACE INTO system (client_id, ts, {', '.join(SYSTEM_FIELDS)}) "
                        f"VALUES ({', '.join('?' * (2 + len(SYSTEM_FIELDS)))})", system_rows)
                    if disk_rows:
                        self._conn.executemany(
                            f"INSERT OR REPLACE INTO disk (client_id, mount, ts, {', '.join(DISK_METRIC_NAMES)}) "
                            f"VALUES ({', '.join('?' * (3 + len(DISK_METRIC_NAMES)))})", disk_rows)
                    if gpu_rows:
                        self._conn.executemany(
                            f"INSERT OR REPLACE INTO gpu (client_id, gpu, ts, uuid, name, "
                            f"{', '.join(GPU_METRIC_NAMES)}) "
                            f"VALUES ({', '.join('?' * (5 + len(GPU_METRIC_NAMES)))})", gpu_rows)
                    for family, rows in (detail_rows or {}).items():
                        if rows:
                            names = FAMILY_FIELDS[family]
                            self._conn.executemany(
                                f"INSERT OR REPLACE INTO {family} (client_id, {FAMILY_KEY[family]}, ts, "
                                f"{', '.join(names)}) VALUES ({', '.join('?' * (3 + len(names)))})", rows)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            raise StoreUnavailable(str(e)) from e

    def stats(self, client_id: str, start: int, end: int, fields: Sequence[str]) -> dict[str, FieldStats]:
        fields = [f for f in fields if f in SYSTEM_FIELDS]
        if not fields:
            return {}
        cols = ", ".join(f"count({f}), min({f}), max({f}), avg({f})" for f in fields)
        row = self._run(f"SELECT {cols} FROM system WHERE client_id = ? AND ts >= ? AND ts < ?",
                        (client_id, start, end))[0]
        out: dict[str, FieldStats] = {}
        for i, f in enumerate(fields):
            count, lo, hi, avg = row[4 * i: 4 * i + 4]
            if not count:
                out[f] = EMPTY_STATS
                continue
            idx = nearest_rank_index(count, 95)
            p95 = None
            if idx is not None:
                p95 = self._run(f"SELECT {f} FROM system WHERE client_id = ? AND ts >= ? AND ts < ? "
                                f"AND {f} IS NOT NULL ORDER BY {f} LIMIT 1 OFFSET ?",
                                (client_id, start, end, idx))[0][0]
            out[f] = FieldStats(count, _num(lo), _num(hi), avg, _num(p95))
        return out

    def series(self, client_id: str, start: int, end: int, step: int | None,
               family: str = "system", fields: Sequence[str] | None = None) -> dict[str, Series]:
        return {key: s for (_, key), s in
                self._select(family, start, end, step, fields, [client_id]).items()}

    def points(self, family: str, start: int, end: int, fields: Sequence[str] | None = None,
               client_ids: Sequence[str] | None = None) -> dict[tuple[str, str], Series]:
        if client_ids is not None:
            return self._select(family, start, end, None, fields, client_ids)
        # Every client's points in a range (the downsampler's minute pass): the series are found on the ts index
        # (it covers the key columns) and each is read along the primary key. One query over all of them looks up
        # every row from the ts index and sorts them: twice the CPU at 1,000 hosts (bench.history).
        names, key, key_sql = _columns(family, fields)
        found = self._run(f"SELECT DISTINCT client_id, {key_sql} FROM {family} WHERE ts >= ? AND ts < ?",
                          (start, end))
        match = f"AND {key} = ? " if key else ""
        sql = (f"SELECT ts, {', '.join(names)} FROM {family} WHERE client_id = ? {match}AND ts >= ? AND ts < ? "
               f"ORDER BY ts")
        out: dict[tuple[str, str], Series] = {}
        for client_id, key_value in found:
            rows = self._run(sql, (client_id, key_value, start, end) if key else (client_id, start, end))
            if rows:
                c = list(zip(*rows, strict=True))
                out[(client_id, str(key_value))] = Series(step=None, time=list(c[0]),
                                                          values={f: list(c[1 + i]) for i, f in enumerate(names)})
        return out

    def first_time(self, family: str, start: int, end: int) -> int | None:
        if family not in FAMILY_FIELDS:  # the name goes into the SQL
            raise KeyError(family)
        found = self._run(f"SELECT min(ts) FROM {family} WHERE ts >= ? AND ts < ?", (start, end))[0][0]
        return None if found is None else int(found)

    def _select(self, family: str, start: int, end: int, step: int | None, fields: Sequence[str] | None,
                client_ids: Sequence[str] | None) -> dict[tuple[str, str], Series]:
        names, key, key_sql = _columns(family, fields)
        where = "ts >= ? AND ts < ?"
        params: list[Any] = [start, end]
        if client_ids is not None:
            where += f" AND client_id IN ({', '.join('?' * len(client_ids))})"
            params += list(client_ids)
        if step is None:
            cols = ", ".join(names)
            sql = (f"SELECT client_id, {key_sql}, ts, {cols} FROM {family} WHERE {where} "
                   f"ORDER BY client_id, {key_sql}, ts")
        else:
            cols = ", ".join(f"avg({f}), max({f})" for f in names)
            sql = (f"SELECT client_id, {key_sql}, (ts / {int(step)}) * {int(step)} AS b, {cols} FROM {family} "
                   f"WHERE {where} GROUP BY client_id, {key_sql}, b ORDER BY client_id, {key_sql}, b")
        out: dict[tuple[str, str], Series] = {}
        # Rows come ordered by series: each series' columns are one transpose (zip, in C), not an append a cell.
        for (client_id, key_value), group in groupby(self._run(sql, params), key=itemgetter(0, 1)):
            c = list(zip(*group, strict=True))
            if step is None:
                s = Series(step=None, time=list(c[2]), values={f: list(c[3 + i]) for i, f in enumerate(names)})
            else:
                s = Series(step=step, time=list(c[2]), values={f: list(c[3 + 2 * i]) for i, f in enumerate(names)},
                           maxima={f: list(c[4 + 2 * i]) for i, f in enumerate(names)})
            out[(client_id, str(key_value))] = s
        return out

    def delete_client(self, client_id: str) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            for table in (*TABLES, *(tier_table(t.name) for t in (*TIERS, DAY))):
                self._conn.execute(f"DELETE FROM {table} WHERE client_id = ?", (client_id,))
            self._conn.execute("COMMIT")

    def set_retention(self, tier: str, days: int) -> None:
        pass  # nothing kept here: the pruner reads the settings each time it runs

    def prune(self, older_than: int) -> int:
        removed = 0
        with self._lock:
            for table in TABLES:
                removed += self._conn.execute(f"DELETE FROM {table} WHERE ts < ?", (older_than,)).rowcount
        return removed

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _columns(family: str, fields: Sequence[str] | None) -> tuple[list[str], str | None, str]:
    """The family's value columns asked for (all when none are), its key column (None for system) and that
    column as SQL ('' for system, so every family's rows carry a key)."""
    allowed = FAMILY_FIELDS[family]
    key = KEY_COLUMN[family]
    return [f for f in (fields or allowed) if f in allowed], key, key or "''"


def _num(v: Any) -> float | None:
    return None if v is None else float(v)
