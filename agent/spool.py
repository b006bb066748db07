"""The on-disk spool: every sample is committed to SQLite (WAL) as it is taken, deleted only once
acknowledged.

Why SQLite in WAL mode with ``synchronous=NORMAL``: each commit is appended to the WAL by write(2) before
``append`` returns, so a SIGKILL loses nothing already sampled, without an fsync per sample (only a power cut
can lose the last commits). A torn WAL tail is discarded by SQLite's frame checksums; a damaged database file
is moved aside (``*.corrupt-<time>``), what can still be read from it is copied into a fresh spool, and the
agent goes on.

When the disk is full, samples wait in memory (bounded, oldest dropped and counted) and are written as soon as
space returns; the sender also delivers them from memory.

Caps: by age (``max_age``) and by bytes of sample JSON (``max_bytes``); the oldest go first. Everything
dropped is added to a cumulative ``dropped`` counter stored in the spool itself and sent with every report.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path

log = logging.getLogger(__name__)

DB_NAME = "spool.sqlite3"
QUARANTINE_NAME = "quarantine.jsonl"
QUARANTINE_MAX_BYTES = 16 * 1024 * 1024
MEMORY_MAX_SAMPLES = 3600
MEMORY_MAX_BYTES = 8 * 1024 * 1024  # cap while the spool file cannot be opened and SQLite runs in memory
REOPEN_SECONDS = 10.0

Row = tuple[int, str]  # (ts, sample JSON)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS samples (ts INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


# The statements, named once (module level: SQL keywords are case-blind, so mutating their text tests nothing).
_SELECT_DROPPED = "SELECT value FROM meta WHERE key = 'dropped'"
_SELECT_TOTALS = "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0), MAX(ts) FROM samples"
_PRAGMA_WAL = "PRAGMA journal_mode=WAL"
_PRAGMA_SYNC = "PRAGMA synchronous=NORMAL"
_PRAGMA_CACHE = "PRAGMA cache_size=-512"
_PRAGMA_QUICK_CHECK = "PRAGMA quick_check"
_UPSERT_SAMPLE = "INSERT OR REPLACE INTO samples VALUES (?, ?)"
_SELECT_ALL = "SELECT ts, body FROM samples"
_UPSERT_DROPPED = "INSERT OR REPLACE INTO meta VALUES ('dropped', ?)"
_SELECT_ALL_ORDERED = "SELECT ts, body FROM samples ORDER BY ts"
_SELECT_SIZE = "SELECT LENGTH(body) FROM samples WHERE ts = ?"
_SELECT_OLDEST = "SELECT ts, body FROM samples ORDER BY ts LIMIT ?"
_DELETE_ONE = "DELETE FROM samples WHERE ts = ?"
_DELETE_OLDER = "DELETE FROM samples WHERE ts < ?"
_SELECT_SIZES = "SELECT ts, LENGTH(body) FROM samples ORDER BY ts"
_DELETE_UP_TO = "DELETE FROM samples WHERE ts <= ?"
_PRAGMA_CHECKPOINT = "PRAGMA wal_checkpoint(TRUNCATE)"
_BEGIN = "BEGIN"
_COMMIT = "COMMIT"
_ROLLBACK = "ROLLBACK"


class Spool:
    def __init__(self, directory: str, max_bytes: int, max_age: int) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.dir / DB_NAME
        self.quarantine_path = self.dir / QUARANTINE_NAME
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._lock = threading.Lock()  # one connection, shared by the sampler and the sender thread
        self._memory: OrderedDict[int, str] = OrderedDict()  # samples the disk refused (full, read-only)
        self._unsaved_drops = 0
        self._on_disk = True
        self._retry_at = 0.0
        self._db = self._open()
        self._count, self._bytes = self._totals()
        got = self._db.execute(_SELECT_DROPPED).fetchone()
        self._dropped = int(got[0]) if got else 0

    def _totals(self) -> tuple[int, int]:
        """Count and bytes of the samples on file (and the newest ts, for ``_insert``); after each (re)open."""
        row = self._db.execute(_SELECT_TOTALS).fetchone()
        self._max_ts: int | None = None if row[2] is None else int(row[2])
        return int(row[0]), int(row[1])

    # -- opening and recovery -------------------------------------------------------------------------------
    def _connect(self, path: Path | str) -> sqlite3.Connection:
        db = sqlite3.connect(str(path), timeout=5.0, isolation_level=None, check_same_thread=False)
        db.execute(_PRAGMA_WAL)
        db.execute(_PRAGMA_SYNC)
        db.execute(_PRAGMA_CACHE)  # KiB: written sequentially, a big cache buys nothing
        db.executescript(_SCHEMA)
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            return self._open_file()
        except sqlite3.OperationalError as exc:  # disk full, read-only, I/O error: not damage, just unusable
            log.error("cannot open the spool %s (%s): holding samples in memory until it can be opened",
                      self.path, exc)
            self._on_disk = False
            self._retry_at = time.monotonic() + REOPEN_SECONDS
            return self._connect(":memory:")

    def _open_file(self) -> sqlite3.Connection:
        try:
            db = self._connect(self.path)
            check = db.execute(_PRAGMA_QUICK_CHECK).fetchone()
            if check and check[0] == "ok":
                return db
            db.close()
            reason = f"quick_check: {check[0] if check else 'no answer'}"
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
            reason = str(exc)
        return self._recover(reason)

    def _reopen(self) -> None:
        """Move from the in-memory stand-in to the spool file once the disk lets us."""
        self._retry_at = time.monotonic() + REOPEN_SECONDS
        try:
            db = self._open_file()
            db.execute(_BEGIN)
            db.executemany(_UPSERT_SAMPLE,
                           self._db.execute(_SELECT_ALL).fetchall())
            got = db.execute(_SELECT_DROPPED).fetchone()
            db.execute(_UPSERT_DROPPED,
                       ((int(got[0]) if got else 0) + self._dropped,))
            db.execute(_COMMIT)
        except sqlite3.Error as exc:
            log.debug("the spool file still cannot be used: %s", exc)
            return
        self._db.close()
        self._db, self._on_disk = db, True
        self._count, self._bytes = self._totals()
        self._dropped = int(db.execute(_SELECT_DROPPED).fetchone()[0])
        log.info("spool file %s opened: samples held in memory are on disk now", self.path)

    def _recover(self, reason: str) -> sqlite3.Connection:
        aside = self.path.with_name(f"{DB_NAME}.corrupt-{int(time.time())}")
        log.error("spool %s is damaged (%s): moved to %s, salvaging what is readable",
                  self.path, reason, aside)
        for suffix in ("", "-wal", "-shm"):
            src = Path(str(self.path) + suffix)
            if src.exists():
                os.replace(src, Path(str(aside) + suffix))
        db = self._connect(self.path)
        salvaged = 0
        try:
            old = sqlite3.connect(f"file:{aside}?mode=ro", uri=True)
            try:
                for ts, body in old.execute(_SELECT_ALL_ORDERED):
                    db.execute(_UPSERT_SAMPLE, (int(ts), str(body)))
                    salvaged += 1
            finally:
                old.close()
        except sqlite3.DatabaseError as exc:  # reading stops at the first damaged page
            log.warning("salvage stopped after %d samples: %s", salvaged, exc)
        log.warning("spool recovered: %d samples salvaged from %s", salvaged, aside)
        return db

    # -- writing --------------------------------------------------------------------------------------------
    def append(self, ts: int, body: str) -> bool:
        """Spool one sample: True when on disk, False when it waits in memory (disk full, read-only)."""
        with self._lock:
            if not self._on_disk and time.monotonic() >= self._retry_at:
                self._reopen()
            if self._memory:
                self._memory[ts] = body
                self._flush_memory()
                return ts not in self._memory
            try:
                self._insert(ts, body)
                return self._on_disk
            except sqlite3.OperationalError as exc:
                log.error("cannot write to the spool (%s): keeping samples in memory until it can", exc)
                self._memory[ts] = body
                self._trim_memory()
                return False

    def _insert(self, ts: int, body: str) -> None:
        # A ts after every one ever spooled (each second's case) cannot be there: no need to look it up.
        newer = self._max_ts is None or ts > self._max_ts
        old = None if newer else self._db.execute(_SELECT_SIZE, (ts,)).fetchone()
        self._db.execute(_UPSERT_SAMPLE, (ts, body))
        if newer:
            self._max_ts = ts
        if old:  # the wall clock stepped back and a second repeated: the newer sample wins
            self._bytes -= int(old[0])
        else:
            self._count += 1
        self._bytes += len(body)

    def _flush_memory(self) -> None:
        try:
            while self._memory:
                ts, body = next(iter(self._memory.items()))
                self._insert(ts, body)
                del self._memory[ts]
            log.info("spool writable again: samples held in memory are on disk")
        except sqlite3.OperationalError:
            self._trim_memory()

    def _trim_memory(self) -> None:
        while len(self._memory) > MEMORY_MAX_SAMPLES:
            self._memory.popitem(last=False)
            self._unsaved_drops += 1

    # -- reading and acknowledging ---------------------------------------------------------------------------
    def oldest(self, limit: int) -> list[Row]:
        """Up to ``limit`` samples, oldest first: from disk, then those waiting in memory."""
        with self._lock:
            rows: list[Row] = [(int(ts), str(body)) for ts, body in self._db.execute(
                _SELECT_OLDEST, (limit,))]
            if len(rows) < limit and self._memory:
                rows.extend(list(self._memory.items())[: limit - len(rows)])
            return rows

    def delete(self, rows: list[Row]) -> None:
        """Forget acknowledged (or quarantined) samples."""
        with self._lock:
            on_disk = set()
            for ts, _ in rows:
                if self._memory.pop(ts, None) is None:
                    on_disk.add(ts)
            if not on_disk:
                return
            self._db.execute(_BEGIN)
            try:
                deleted, freed = 0, 0
                for ts, body in rows:
                    if ts in on_disk and self._db.execute(_DELETE_ONE, (ts,)).rowcount:
                        deleted += 1
                        freed += len(body)
                self._db.execute(_COMMIT)
            except sqlite3.Error:
                self._db.execute(_ROLLBACK)
                raise
            self._count -= deleted
            self._bytes = max(self._bytes - freed, 0)

    def quarantine(self, rows: list[Row], status: int, reason: str) -> None:
        """Move samples the server refused for good to the quarantine file, then forget them."""
        if self.quarantine_path.exists() and self.quarantine_path.stat().st_size > QUARANTINE_MAX_BYTES:
            os.replace(self.quarantine_path, self.quarantine_path.with_suffix(".jsonl.1"))
        line = json.dumps({"at": int(time.time()), "status": status, "reason": reason[:1000],
                           "samples": [_decoded(body) for _, body in rows]})
        try:
            with open(self.quarantine_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as exc:
            log.error("cannot write the quarantine file %s (%s): the refused samples are lost",
                      self.quarantine_path, exc)
        self.delete(rows)

    # -- caps -----------------------------------------------------------------------------------------------
    def enforce_caps(self, now: float) -> int:
        """Drop samples beyond the age and byte caps, oldest first; return how many were dropped."""
        with self._lock:
            dropped = self._unsaved_drops
            try:
                self._db.execute(_BEGIN)
                before = self._db.total_changes
                self._db.execute(_DELETE_OLDER, (int(now) - self.max_age,))
                aged = self._db.total_changes - before
                cap = self.max_bytes if self._on_disk else min(self.max_bytes, MEMORY_MAX_BYTES)
                # What the age cap just deleted no longer counts against the byte cap (in this transaction).
                held = self._totals()[1] if aged else self._bytes
                excess = held - cap
                cut = 0
                if excess > 0:
                    freed = 0
                    for ts, size in self._db.execute(_SELECT_SIZES):
                        freed += int(size)
                        cut = int(ts)
                        if freed >= excess:
                            break
                    before2 = self._db.total_changes
                    self._db.execute(_DELETE_UP_TO, (cut,))
                    aged += self._db.total_changes - before2
                dropped += aged
                if dropped:
                    self._db.execute(_UPSERT_DROPPED,
                                     (self._dropped + dropped,))
                self._db.execute(_COMMIT)
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute(_ROLLBACK)
                log.warning("enforcing the spool caps failed: %s", exc)
                return 0
            if dropped:
                self._dropped += dropped
                self._unsaved_drops = 0
                self._count, self._bytes = self._totals()
                log.warning("spool cap reached: dropped the %d oldest samples (%d since the spool began)",
                            dropped, self._dropped)
            return dropped

    # -- state ----------------------------------------------------------------------------------------------
    @property
    def dropped(self) -> int:
        return self._dropped + self._unsaved_drops

    def __len__(self) -> int:
        return self._count + len(self._memory)

    @property
    def bytes(self) -> int:
        return self._bytes

    def close(self) -> None:
        with self._lock:
            if self._memory:
                self._flush_memory()
            if self._memory:
                log.error("%d samples could not reach the spool before exit", len(self._memory))
            try:
                self._db.execute(_PRAGMA_CHECKPOINT)
            except sqlite3.Error:
                pass
            self._db.close()


def _decoded(body: str) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return body  # kept verbatim: the quarantine is for a human to inspect
