"""Group commit: concurrent reports share one store write, and each is acknowledged only once it is stored.

The first request to find no write in progress becomes the leader: it takes everything queued so far (its own
batch included) and writes it in one transaction (SQLite) or one request (InfluxDB), then wakes the others.
Requests that arrive meanwhile queue up and ride on the next write. At low load every write holds one batch, as
before; under load, a thousand small writes a second become a few dozen larger ones. No timer, no extra delay.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from statusmon.store.base import Sample, StoreUnavailable, TimeSeriesStore

Batch = tuple[str, str, Sequence[Sample]]


@dataclass
class _Pending:
    batch: Batch
    extra: Any = None
    done: bool = False
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, store: TimeSeriesStore, after_write: Callable[[list[Any]], None] | None = None):
        """``after_write`` runs (under the leader, before anyone is acknowledged) with the ``extra`` of every
        batch just stored: the API records the clients' last-seen and latest values there, in one transaction."""
        self.store = store
        self.after_write = after_write
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
                with self._queue_lock:
                    group, self._queue = self._queue, []
                self._flush(group)
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
