"""Group commit: concurrent reports share one store write, and each is acknowledged only once it is stored.

The first request to find no write in progress becomes the leader: it takes everything queued so far (its own
batch included) and writes it in one transaction (SQLite) or one request (InfluxDB), then wakes the others.
Requests that arrive meanwhile queue up and ride on the next write. At low load every write holds one batch, as
before; under load, a thousand small writes a second become a few dozen larger ones.

A write that never yields (SQLite's, under gevent) leaves no "meanwhile": each report would be its own
transaction, however many wait. With ``gather`` set, a leader that finds the previous write just finished (reports
arriving back to back: the worker is busy) first sleeps ``gather`` seconds, which under gevent lets every request
already waiting for the CPU run up to its own write and join the queue. At low load there is no such pause.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from statusmon.store.base import Sample, StoreUnavailable, TimeSeriesStore

Batch = tuple[str, str, Sequence[Sample]]
# A write that starts within this many seconds of the previous one's end finds the worker busy.
BUSY_GAP = 0.005


@dataclass
class _Pending:
    batch: Batch
    extra: Any = None
    done: bool = False
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, store: TimeSeriesStore, after_write: Callable[[list[Any]], None] | None = None,
                 gather: float = 0.0):
        """``after_write`` runs (under the leader, before anyone is acknowledged) with the ``extra`` of every
        batch just stored: the API records the clients' last-seen and latest values there, in one transaction.
        ``gather``: see the module's text (0: never pause)."""
        self.store = store
        self.after_write = after_write
        self.gather = gather
        self._last_end = float("-inf")  # monotonic time the last write finished
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.writes = 0  # how many backend writes carried how many batches: for the benchmark's table
        self.batches = 0

    def write(self, client_id: str, host: str, samples: Sequence[Sample], extra: Any = None) -> int:
        mine = _Pending((client_id, host, samples), extra)
        with self._queue_lock:
            self._queue.append(mine)
        with self._write_lock:
            if not mine.done:
                if self.gather and time.monotonic() - self._last_end < BUSY_GAP:
                    time.sleep(self.gather)
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._flush(group)
                self._last_end = time.monotonic()
        if mine.error is not None:
            raise mine.error
        return len(samples)

    def _flush(self, group: list[_Pending]) -> None:
        try:
            self._write(group)
        except StoreUnavailable as e:  # the store is down: every waiter answers 503
            for p in group:
                p.error = e
        except BaseException as e:  # noqa: BLE001 - a batch the store refused: find it, spare the others
            if len(group) == 1:
                group[0].error = e
            else:
                for p in group:
                    try:
                        self._write([p])
                    except BaseException as single:  # noqa: BLE001 - re-raised in that batch's request
                        p.error = single
        finally:
            self.batches += len(group)
            for p in group:
                p.done = True

    def _write(self, group: list[_Pending]) -> None:
        self.writes += 1
        self.store.write_many([p.batch for p in group])
        if self.after_write is not None:
            self.after_write([p.extra for p in group])
