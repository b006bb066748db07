"""Fan-out of live frames to viewers, each through its own bounded queue.

``Broker`` is the small interface the rest of the live feed uses; ``LocalBroker`` serves the default single
gevent worker in-process. A multi-process deployment can implement the same three methods on a pub/sub (Redis,
NATS...) and deliver into the same ``Subscription`` objects.

Publishing never blocks: a frame is offered to every subscription with ``offer()``, which only appends to a
deque. A subscription whose queue is full (its browser reads too slowly or not at all) is closed on the spot
and its ``on_overflow`` hook called, so one stalled viewer can never hold up ingest or the other viewers.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

ALL = None  # a subscription's client filter meaning "every client" (the overview)


class Subscription:
    """One viewer's queue of encoded frames (wire bytes), bounded by count and by bytes."""

    def __init__(self, max_frames: int = 1000, max_bytes: int = 8 << 20) -> None:
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.clients: frozenset[str] | None = ALL
        self.closed = False
        self.overflowed = False
        self.on_overflow: Callable[[], None] | None = None
        self._pending: deque[bytes] = deque()
        self._bytes = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()

    def wants(self, client_id: str | None) -> bool:
        return client_id is None or self.clients is ALL or client_id in self.clients

    def offer(self, data: bytes) -> bool:
        """Queue a frame; False (and the subscription closed) when the queue would overflow."""
        with self._lock:
            if self.closed:
                return False
            if len(self._pending) >= self.max_frames or self._bytes + len(data) > self.max_bytes:
                self.closed = self.overflowed = True
                self._pending.clear()
                self._bytes = 0
                overflowed = True
            else:
                self._pending.append(data)
                self._bytes += len(data)
                overflowed = False
            self._wake.set()
        if overflowed and self.on_overflow is not None:
            self.on_overflow()
        return not overflowed

    def take(self, timeout: float | None) -> list[bytes]:
        """Every queued frame (oldest first), waiting up to ``timeout`` s for one; [] on timeout or close."""
        self._wake.wait(timeout)
        with self._lock:
            frames = list(self._pending)
            self._pending.clear()
            self._bytes = 0
            self._wake.clear()
            if self.closed:
                self._wake.set()  # stay awake: every later take() returns at once
            return frames

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._wake.set()

    def __len__(self) -> int:
        return len(self._pending)


class Broker(Protocol):
    def subscribe(self, sub: Subscription) -> None:
        """Start delivering frames to ``sub``."""

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to ``sub`` (idempotent)."""

    def publish(self, client_id: str | None, data: bytes, overview: bytes | None = None) -> None:
        """Offer one encoded frame about ``client_id`` (None: about no one client) to every subscriber;
        subscribers to every client get ``overview`` instead when given (a slimmer frame)."""


class LocalBroker:
    """The in-process broker: a set of subscriptions, published to synchronously without blocking."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self.dropped_total = 0

    def subscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.add(sub)

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            return list(self._subs)

    def publish(self, client_id: str | None, data: bytes, overview: bytes | None = None) -> None:
        wide = overview if overview is not None else data
        dropped = [sub for sub in self.subscriptions()
                   if sub.wants(client_id) and not sub.offer(wide if sub.clients is ALL else data)]
        if dropped:
            with self._lock:
                for sub in dropped:
                    if sub in self._subs:
                        self._subs.discard(sub)
                        self.dropped_total += 1

    def viewers(self) -> int:
        with self._lock:
            return len(self._subs)


class Watchers:
    """How many detail pages watch each client (they lower that client's report interval)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, client_ids: Iterable[str]) -> None:
        with self._lock:
            for cid in client_ids:
                self._counts[cid] = self._counts.get(cid, 0) + 1

    def remove(self, client_ids: Iterable[str]) -> None:
        with self._lock:
            for cid in client_ids:
                n = self._counts.get(cid, 0) - 1
                if n > 0:
                    self._counts[cid] = n
                else:
                    self._counts.pop(cid, None)

    def watched(self, client_id: str) -> bool:
        return self._counts.get(client_id, 0) > 0

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
