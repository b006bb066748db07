"""The watched hosts across workers and replicas: the clients some detail page watches, anywhere.

A report answered by any process must get the 1 s interval hint while a viewer on any other process watches
its host. Each process keeps its own viewers' counts (``Watchers``) and, every ``REFRESH_SECONDS`` and at once
when a viewer starts watching, writes the clients it watches into one Redis sorted set
(``statusmon:watched``: member = client id, score = until when, epoch seconds), then reads back every entry
still valid. ``watched()`` is a dictionary lookup, never a Redis round trip on the report path. A process that
dies stops refreshing and its entries expire after ``TTL_SECONDS``; a host no longer watched goes back to the
normal interval within that time (harmless: the hint is only a hint).

Redis down: each process knows its own viewers only, as with one process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from api.live.broker import Watchers
from statusmon.shared import KEY_PREFIX, RedisLink

log = logging.getLogger(__name__)
KEY = KEY_PREFIX + "watched"


class SharedWatchers(Watchers):
    REFRESH_SECONDS = 1.0
    TTL_SECONDS = 5.0

    def __init__(self, link: RedisLink) -> None:
        super().__init__()
        self.link = link
        self._remote: dict[str, float] = {}
        self._started = False
        self._start_lock = threading.Lock()

    def add(self, client_ids: Iterable[str]) -> None:
        ids = list(client_ids)
        super().add(ids)
        self._ensure_started()
        if ids:
            until = time.time() + self.TTL_SECONDS
            self.link.run(lambda r: r.zadd(KEY, dict.fromkeys(ids, until), gt=True), lambda: 0)

    def watched(self, client_id: str) -> bool:
        if super().watched(client_id):
            return True
        self._ensure_started()
        until = self._remote.get(client_id)
        return until is not None and until > time.time()

    def everywhere(self) -> list[str]:
        """Every client watched by a viewer of any process (as of the last refresh)."""
        now = time.time()
        return sorted({c for c, until in self._remote.items() if until > now} | set(self.snapshot()))

    def refresh(self) -> None:
        """Write this process's watched clients, drop expired entries, read back the rest (one round trip)."""
        now = time.time()
        mine = self.snapshot()

        def op(r: object) -> dict[str, float]:
            pipe = r.pipeline(transaction=False)  # type: ignore[attr-defined]
            if mine:
                pipe.zadd(KEY, dict.fromkeys(mine, now + self.TTL_SECONDS), gt=True)
            pipe.zremrangebyscore(KEY, "-inf", now)
            pipe.zrangebyscore(KEY, now, "+inf", withscores=True)
            rows = pipe.execute()[-1]
            return {(m.decode() if isinstance(m, bytes) else str(m)): float(s) for m, s in rows}

        remote = self.link.run(op, lambda: None)
        if remote is not None:
            self._remote = remote

    def _ensure_started(self) -> None:
        # The first report or viewer starts it, so it runs in gunicorn's workers, never in the master.
        if self._started:
            return
        with self._start_lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._loop, name="live-watched", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                self.refresh()
            except Exception:
                log.exception("live feed: refreshing the watched hosts failed")
            time.sleep(self.REFRESH_SECONDS)
