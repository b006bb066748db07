"""Fan-out of live frames to viewers, each through its own bounded queue.

``Broker`` is the small interface the rest of the live feed uses; ``LocalBroker`` serves the default single
gevent worker in-process; ``api.live.redisbroker.RedisBroker`` carries what is published to every worker and
replica through Redis and delivers it into each process's own ``LocalBroker``.

Publishing is O(1) and never blocks: ``publish()`` appends the event to one list and wakes the fan-out greenlet.
That greenlet waits a short window (``LocalBroker.window``, 10 ms), then delivers everything published since its
last pass at once: the overview viewers share one message (a ``batch`` frame holding every event of the window,
encoded once), and detail pages one message per distinct set of watched clients. So 1,000 viewers cost 1,000
writes per window, not per stored batch, and the report request that published never pays for them.

A subscription whose queue is full (its browser reads too slowly or not at all) is closed on the spot and its
``on_overflow`` hook called, so one stalled viewer can never hold up ingest or the other viewers. When a
viewer's writer is idle and its queue empty, ``offer`` first tries a non-blocking write straight to its socket
(``Subscription.direct``): no wake-up and switch to the writer greenlet for the common case of a viewer that
keeps up; whatever the socket does not take is queued for the writer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from api.live import frames

ALL = None  # a subscription's client filter meaning "every client" (the overview)
log = logging.getLogger(__name__)


class Subscription:
    """One viewer's queue of encoded frames (wire bytes), bounded by count and by bytes."""

    def __init__(self, max_frames: int = 1000, max_bytes: int = 8 << 20) -> None:
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.clients: frozenset[str] | None = ALL
        self.closed = False
        self.overflowed = False
        self.on_overflow: Callable[[], None] | None = None
        # A non-blocking write to the viewer's socket (returns the bytes it took; never waits), set by the
        # WebSocket handler once its handshake is done. Used only while the writer is idle (``sending`` False).
        self.direct: Callable[[bytes], int] | None = None
        self.sending = False
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
            if not self._pending and not self.sending and self.direct is not None:
                try:
                    sent = self.direct(data)
                except OSError:
                    self.closed = True  # the socket is gone: the writer notices and unsubscribes
                    self._wake.set()
                    return True
                if sent >= len(data):
                    return True
                data = data[sent:]  # the rest goes through the writer, before anything queued later
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
        """Every queued frame (oldest first), waiting up to ``timeout`` s for one; [] on timeout or close.
        The caller writes them (or a ping) and then calls ``sent()``: until then ``offer`` only queues."""
        self._wake.wait(timeout)
        with self._lock:
            frames = list(self._pending)
            self._pending.clear()
            self._bytes = 0
            self._wake.clear()
            self.sending = True
            if self.closed:
                self._wake.set()  # stay awake: every later take() returns at once
            return frames

    def sent(self) -> None:
        self.sending = False

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
        """Deliver one frame (its JSON text, UTF-8) about ``client_id`` (None: about no one client) to every
        subscriber that wants it, soon and without blocking; subscribers to every client get ``overview``
        instead when given (a slimmer frame)."""

    def publish_here(self, client_id: str | None, data: bytes, overview: bytes | None = None) -> None:
        """Like ``publish``, to this process's subscribers only (a frame every process derives by itself)."""

    def listened(self) -> bool:
        """False when a frame published now would reach no one, so it need not be built."""


# One published event: (client id or None, JSON for detail pages, JSON for the overview or None).
Event = tuple[str | None, bytes, bytes | None]


class LocalBroker:
    """The in-process broker: a set of subscriptions and one fan-out greenlet (``start()``) that delivers
    what was published every ``window`` seconds. ``flush()`` delivers synchronously (tests)."""

    def __init__(self, window: float = 0.01) -> None:
        self.window = window
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._events: list[Event] = []
        self._ready = threading.Event()
        self._started = False
        self.dropped_total = 0
        # Fan-out passes that delivered something, their events and time spent (GET /api/live shows them).
        self.passes = 0
        self.events_total = 0
        self.fanout_seconds = 0.0
        self.fanout_max_seconds = 0.0

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
        if not self._subs:
            return  # nobody watches: nothing to keep
        with self._lock:
            self._events.append((client_id, data, overview))
        self._ready.set()

    def publish_here(self, client_id: str | None, data: bytes, overview: bytes | None = None) -> None:
        self.publish(client_id, data, overview)

    def listened(self) -> bool:
        return bool(self._subs)

    def start(self) -> None:
        """Run the fan-out loop in a daemon thread (a greenlet under gevent); idempotent."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._loop, name="live-fanout", daemon=True).start()

    def _loop(self) -> None:
        while True:
            self._ready.wait()
            if self.window > 0:
                time.sleep(self.window)  # let the window fill: one message per viewer for all of it
            try:
                self.flush()
            except Exception:
                log.exception("live feed: fan-out failed")

    def flush(self) -> None:
        """Deliver every event published so far: one message per subscriber."""
        with self._lock:
            events, self._events = self._events, []
            self._ready.clear()
            subs = list(self._subs)
        if not events or not subs:
            return
        started = time.perf_counter()
        messages: dict[frozenset[str] | None, bytes | None] = {}
        dropped = []
        for sub in subs:
            key = sub.clients
            if key in messages:
                msg = messages[key]
            else:
                msg = messages[key] = _message(events, key)
            if msg is not None and not sub.offer(msg):
                dropped.append(sub)
        if dropped:
            with self._lock:
                for sub in dropped:
                    if sub in self._subs:
                        self._subs.discard(sub)
                        self.dropped_total += 1
        took = time.perf_counter() - started
        self.passes += 1
        self.events_total += len(events)
        self.fanout_seconds += took
        self.fanout_max_seconds = max(self.fanout_max_seconds, took)

    def viewers(self) -> int:
        with self._lock:
            return len(self._subs)


def _message(events: list[Event], clients: frozenset[str] | None) -> bytes | None:
    """The wire message for a subscriber to ``clients`` (ALL: the overview), or None when nothing is for it."""
    if clients is ALL:
        payloads = [overview if overview is not None else data for _, data, overview in events]
    else:
        payloads = [data for cid, data, _ in events if cid is None or cid in clients]
    if not payloads:
        return None
    return frames.wire(payloads[0] if len(payloads) == 1 else frames.batch(payloads))


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
