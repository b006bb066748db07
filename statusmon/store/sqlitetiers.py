"""The rollup tiers in the SQLite store's file: one table per tier beside the raw tables.

``rollup_minute``, ``rollup_hour`` and ``rollup_day`` (whole days merged from hours) hold one row per bucket and
series, keyed (client_id, family, key, metric, ts): INSERT OR REPLACE makes rebuilding a bucket overwrite it. A row
names its metric, so a metric added to the catalogue needs no new column. min/max/count/sum over a range are
computed by SQLite (MIN of mins, MAX of maxes, SUM of counts and sums); sketches are merged here."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from statusmon.metrics import FAMILY_KEY
from statusmon.store.base import Series, StoreUnavailable, Value
from statusmon.store.sketch import Sketch, merge_into
from statusmon.store.tiers import BY_NAME, DAY, HOUR, TIERS, Aggregate, StepSummaries, TierRow, merge_encoded_steps

COLUMNS = "client_id, family, key, metric, ts, count, sum, min, max, last, sketch"


def table(tier: str) -> str:
    if tier not in BY_NAME:
        raise ValueError(f"unknown tier {tier!r}")
    return f"rollup_{tier}"


SCHEMA = "".join(f"""
CREATE TABLE IF NOT EXISTS {table(t.name)} (
    client_id TEXT NOT NULL, family TEXT NOT NULL, key TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
    count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL,
    sketch BLOB NOT NULL,
    PRIMARY KEY (client_id, family, key, metric, ts)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {table(t.name)}_ts ON {table(t.name)} (ts);
""" for t in (*TIERS, DAY))


class SQLiteTiers:
    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock):
        self._conn = conn
        self._lock = lock
        with lock:
            conn.executescript(SCHEMA)

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._lock:
                return self._conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as e:
            raise StoreUnavailable(str(e)) from e

    def write(self, tier: str, rows: Sequence[TierRow]) -> None:
        data = [(r.client_id, r.family, r.key, r.metric, r.ts, r.count, r.sum, r.min, r.max, r.last,
                 r.sketch.encode()) for r in rows]
        try:
            with self._lock:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.executemany(f"INSERT OR REPLACE INTO {table(tier)} ({COLUMNS}) "
                                           f"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", data)
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
        except sqlite3.OperationalError as e:
            raise StoreUnavailable(str(e)) from e

    def rows(self, tier: str, family: str, start: int, end: int, client_ids: Sequence[str] | None = None,
             metrics: Sequence[str] | None = None) -> list[TierRow]:
        where, params = _where(family, start, end, client_ids, metrics)
        return [TierRow(c, f, k, m, ts, n, total, lo, hi, last, Sketch.decode(blob))
                for c, f, k, m, ts, n, total, lo, hi, last, blob
                in self._run(f"SELECT {COLUMNS} FROM {table(tier)} WHERE {where}", params)]

    def aggregate(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                  end: int) -> dict[tuple[str, str], Aggregate]:
        where, params = _where(family, start, end, [client_id], metrics)
        sql = (f"SELECT key, metric, sum(count), sum(sum), min(min), max(max) FROM {table(tier)} "
               f"WHERE {where} GROUP BY key, metric")
        return {(k, m): Aggregate(int(c), float(s), lo, hi) for k, m, c, s, lo, hi in self._run(sql, params)}

    def sketches(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                 end: int) -> dict[tuple[str, str], Sketch]:
        where, params = _where(family, start, end, [client_id], metrics)
        out: dict[tuple[str, str], Sketch] = {}
        for k, m, blob in self._run(f"SELECT key, metric, sketch FROM {table(tier)} WHERE {where}", params):
            merge_into(out, (k, m), blob)
        return out

    def step_summaries(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int,
                       end: int, step: int) -> StepSummaries:
        where, params = _where(family, start, end, [client_id], metrics)
        sql = f"SELECT key, metric, ts, count, min, max, sketch FROM {table(tier)} WHERE {where}"
        return merge_encoded_steps(self._run(sql, params), step)

    def buckets(self, tier: str, client_id: str, family: str, metrics: Sequence[str], start: int, end: int,
                step: int) -> dict[str, Series]:
        where, params = _where(family, start, end, [client_id], metrics)
        step = int(step)
        sql = (f"SELECT key, metric, (ts / {step}) * {step} AS b, sum(sum) / sum(count), max(max), min(min) "
               f"FROM {table(tier)} WHERE {where} GROUP BY key, metric, b")
        return pivot(self._run(sql, params), metrics, step)

    def delete_client(self, client_id: str) -> None:
        with self._lock:
            for t in (*TIERS, DAY):
                self._conn.execute(f"DELETE FROM {table(t.name)} WHERE client_id = ?", (client_id,))

    def prune(self, tier: str, older_than: int) -> int:
        with self._lock:
            n = int(self._conn.execute(f"DELETE FROM {table(tier)} WHERE ts < ?", (older_than,)).rowcount)
            if tier == HOUR.name:  # days live as long as the hours they merge
                n += int(self._conn.execute(f"DELETE FROM {table(DAY.name)} WHERE ts < ?", (older_than,)).rowcount)
            return n


def _where(family: str, start: int, end: int, client_ids: Sequence[str] | None,
           metrics: Sequence[str] | None = None) -> tuple[str, list[Any]]:
    where = "family = ? AND ts >= ? AND ts < ?"
    params: list[Any] = [family, start, end]
    if FAMILY_KEY.get(family, "") is None:
        # The system family's one key: with it, SQLite seeks (client, family, key, metric, ts) straight to the
        # range instead of scanning every bucket of the client (2.6 s for a week against 90 days of minutes).
        where += " AND key = ''"
    if client_ids is not None:
        where += f" AND client_id IN ({', '.join('?' * len(client_ids))})"
        params += list(client_ids)
    if metrics is not None:
        where += f" AND metric IN ({', '.join('?' * len(metrics))})"
        params += list(metrics)
    return where, params


def pivot(rows: Sequence[Sequence[Any]], metrics: Sequence[str], step: int) -> dict[str, Series]:
    """(key, metric, bucket, mean, max, min) rows into one Series per key with a column per metric (None: no
    data)."""
    by_key: dict[str, dict[int, dict[str, tuple[Value, Value, Value]]]] = {}
    for key, metric, b, mean, top, low in rows:
        by_key.setdefault(str(key), {}).setdefault(int(b), {})[metric] = (mean, top, low)
    out: dict[str, Series] = {}
    for key, buckets in by_key.items():
        times = sorted(buckets)
        values: dict[str, list[Value]] = {}
        maxima: dict[str, list[Value]] = {}
        minima: dict[str, list[Value]] = {}
        for m in metrics:
            cells = [buckets[t].get(m, (None, None, None)) for t in times]
            values[m] = [c[0] for c in cells]
            maxima[m] = [c[1] for c in cells]
            minima[m] = [c[2] for c in cells]
        out[key] = Series(step=step, time=times, values=values, maxima=maxima, minima=minima)
    return out
