"""The long-range stats cache kept the same in every worker and replica.

``StatsService`` caches the summaries of closed hours per process. A late sample (an agent draining its spool
after an outage) changes a closed hour: the process that stored it forgets that hour, and with several
processes the others must too, or they would answer ``/api/stats`` with the old figures. ``SharedStatsService``
publishes such invalidations (only closed hours: the common, current-hour write costs nothing) on a Redis
channel, and each process's one subscription applies them. Whenever that subscription (re)starts, the
process drops its whole cache, since it may have missed invalidations meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence

from statusmon.shared import KEY_PREFIX, RedisLink
from statusmon.store.base import TimeSeriesStore
from statusmon.store.rollup import HOUR, StatsResult, StatsService

log = logging.getLogger(__name__)
CHANNEL = KEY_PREFIX + "stats-invalidate"


class SharedStatsService(StatsService):
    RETRY_SECONDS = 0.5

    def __init__(self, store: TimeSeriesStore, link: RedisLink) -> None:
        super().__init__(store)
        self.link = link
        self._started = False
        self.subscribed = False
        self._start_lock = threading.Lock()
        self._pending: dict[str, set[int]] = {}  # client id -> closed hours to announce
        self._publisher = False
        self._ready = threading.Event()

    def stats(self, client_id: str, start: int, end: int, fields: Sequence[str]) -> StatsResult:
        self._ensure_started()  # before the first cached hour, so no invalidation of it can be missed
        return super().stats(client_id, start, end, fields)

    def invalidate(self, client_id: str, timestamps: Iterable[int]) -> None:
        hours = sorted({ts // HOUR * HOUR for ts in timestamps})
        super().invalidate(client_id, hours)
        # Only hours that may be cached anywhere (closed: see StatsService.stats) concern the others.
        closed_until = (int(self.clock()) - 120) // HOUR * HOUR
        closed = [h for h in hours if h + HOUR <= closed_until]
        if closed:
            with self._start_lock:
                self._pending.setdefault(client_id, set()).update(closed)
                start = not self._publisher
                self._publisher = True
            if start:
                threading.Thread(target=self._publish_loop, name="stats-sync-publish", daemon=True).start()
            self._ready.set()

    def _publish_loop(self) -> None:
        # Off the request path, gathered for a tenth of a second: an agent draining its spool after an outage
        # sends many batches of old hours, and each process needs to hear about each hour once.
        while True:
            self._ready.wait()
            time.sleep(0.1)
            with self._start_lock:
                pending, self._pending = self._pending, {}
                self._ready.clear()
            for client_id, hours in pending.items():
                self._announce(" ".join([client_id, *map(str, sorted(hours))]))

    def _announce(self, message: str) -> None:
        self.link.run(lambda r: r.publish(CHANNEL, message), lambda: 0, force=True)

    def _ensure_started(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._loop, name="stats-sync", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                self._listen()
            except self.link.errors as e:
                self.link.mark_down(e)
            except Exception:
                log.exception("stats cache: the Redis subscription failed")
            time.sleep(self.RETRY_SECONDS)

    def _listen(self) -> None:
        pubsub = self.link.client.pubsub()
        try:
            pubsub.subscribe(CHANNEL)
            while True:
                msg = pubsub.get_message(timeout=5.0)
                if msg is None:
                    pubsub.ping()  # a dead connection raises here rather than waiting forever
                    continue
                if msg.get("type") == "subscribe":
                    self.clear()  # confirmed: drop whatever was invalidated while we were not listening
                    self.subscribed = True
                    continue
                if msg.get("type") != "message":
                    continue
                client_id, *hours = msg["data"].decode().split()
                StatsService.invalidate(self, client_id, (int(h) for h in hours))
        finally:
            self.subscribed = False
            pubsub.close()

    def clear(self) -> None:
        with self._lock:
            self._hours.clear()
