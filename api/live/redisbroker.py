"""The live feed's fan-out across workers and replicas: one Redis pub/sub channel, one subscription per process.

``RedisBroker`` implements ``Broker`` around the process's own ``LocalBroker``: what a report publishes goes to
Redis (gathered for ``window`` seconds and sent as ONE ``PUBLISH``, off the request path), every process's one
subscription receives it and hands it to its ``LocalBroker``, which fans it out to that process's WebSocket
viewers as before. The publishing process receives its own messages the same way, so every viewer sees the
same frames in the same order whichever worker it is connected to.

Frames that each process derives by itself from the shared metadata DB (online/offline, removed clients, the
alerts summary) go only to that process's viewers (``publish_here``): every process sees the same change, and
sending it through Redis would deliver it once per process.

Redis down: published events are delivered to this process's viewers only (samples reported to other
processes are missed until Redis returns), the link is marked down (the live feed tells viewers it is
degraded), and the subscriber reconnects every ``RETRY_SECONDS`` until Redis answers again.
"""

from __future__ import annotations

import contextlib
import logging
import struct
import threading
import time
from collections.abc import Iterator

from api.live.broker import Event, LocalBroker, Subscription
from statusmon.shared import KEY_PREFIX, RedisLink

log = logging.getLogger(__name__)
CHANNEL = KEY_PREFIX + "live"
_HEADER = struct.Struct(">BHII")  # flags (1: client id, 2: overview), id length, data length, overview length


def encode(events: list[Event]) -> bytes:
    """Events as one binary message: a fixed header per event, then its client id, data and overview bytes."""
    out = bytearray()
    for cid, data, overview in events:
        c = cid.encode() if cid is not None else b""
        o = overview if overview is not None else b""
        flags = (1 if cid is not None else 0) | (2 if overview is not None else 0)
        out += _HEADER.pack(flags, len(c), len(data), len(o))
        out += c
        out += data
        out += o
    return bytes(out)


def decode(message: bytes) -> Iterator[Event]:
    pos = 0
    size = _HEADER.size
    while pos < len(message):
        flags, nc, nd, no = _HEADER.unpack_from(message, pos)
        pos += size
        cid = message[pos:pos + nc].decode() if flags & 1 else None
        pos += nc
        data = message[pos:pos + nd]
        pos += nd
        overview = message[pos:pos + no] if flags & 2 else None
        pos += no
        yield cid, data, overview


class RedisBroker:
    RETRY_SECONDS = 0.5
    IDLE_PING_SECONDS = 5.0

    def __init__(self, link: RedisLink, local: LocalBroker | None = None, window: float = 0.01) -> None:
        self.link = link
        self.local = local or LocalBroker()
        self.window = window
        self._out: list[Event] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._publisher = False
        self._subscriber = False
        self.subscribed = False  # this process's subscription is live
        self.published = 0  # PUBLISH commands sent
        self.received = 0  # messages received on the subscription
        self.local_only = 0  # events delivered here only, because Redis was down

    # --- Broker --------------------------------------------------------------------------------------------

    def subscribe(self, sub: Subscription) -> None:
        self.local.subscribe(sub)

    def unsubscribe(self, sub: Subscription) -> None:
        self.local.unsubscribe(sub)

    def publish(self, client_id: str | None, data: bytes, overview: bytes | None = None) -> None:
        with self._lock:
            self._out.append((client_id, data, overview))
            start = not self._publisher
            self._publisher = True
        if start:
            # Started by the first publish, i.e. in a worker after gunicorn's fork, never in the master.
            threading.Thread(target=self._publish_loop, name="live-publish", daemon=True).start()
        self._ready.set()

    def publish_here(self, client_id: str | None, data: bytes, overview: bytes | None = None) -> None:
        self.local.publish(client_id, data, overview)

    def listened(self) -> bool:
        return True  # another worker's or replica's viewers may be listening

    def start(self) -> None:
        """Start this process's fan-out and its one subscription (the first viewer calls it); idempotent."""
        self.local.start()
        with self._lock:
            if self._subscriber:
                return
            self._subscriber = True
        threading.Thread(target=self._subscribe_loop, name="live-subscribe", daemon=True).start()

    def viewers(self) -> int:
        return self.local.viewers()

    # --- the two loops -------------------------------------------------------------------------------------

    def _publish_loop(self) -> None:
        while True:
            self._ready.wait()
            if self.window > 0:
                time.sleep(self.window)
            with self._lock:
                events, self._out = self._out, []
                self._ready.clear()
            if events:
                try:
                    self.flush(events)
                except Exception:
                    log.exception("live feed: publishing failed")

    def flush(self, events: list[Event]) -> bool:
        """Publish ``events`` in one message; when Redis is down, deliver them to this process's viewers."""
        message = encode(events)
        # Tried even while Redis is marked down: this loop is off the request path, and a process that has no
        # subscription learns that Redis is back only by trying.
        sent = self.link.run(lambda r: r.publish(CHANNEL, message) is not None, lambda: False, force=True)
        if sent:
            self.published += 1
            return True
        self.local_only += len(events)
        for event in events:
            self.local.publish(*event)
        return False

    def _subscribe_loop(self) -> None:
        while True:
            try:
                self._listen()
            except self.link.errors as e:
                if self.subscribed:
                    log.warning("live feed: lost the Redis subscription: %s", e)
                self.link.mark_down(e)
            except Exception:
                log.exception("live feed: the Redis subscription failed")
            self.subscribed = False
            time.sleep(self.RETRY_SECONDS)

    def _listen(self) -> None:
        pubsub = self.link.client.pubsub()
        try:
            pubsub.subscribe(CHANNEL)
            quiet_since = time.monotonic()
            pinged = False
            while True:
                msg = pubsub.get_message(timeout=1.0)
                if msg is not None:
                    quiet_since, pinged = time.monotonic(), False
                    kind = msg.get("type")
                    if kind == "message":
                        self.received += 1
                        for event in decode(msg["data"]):
                            self.local.publish(*event)
                    elif kind == "subscribe":
                        # Redis' confirmation: from now on every PUBLISH reaches us (sending SUBSCRIBE is not
                        # enough: a PUBLISH from another connection may be handled before it).
                        self.subscribed = True
                        self.link.mark_up()
                    continue
                idle = time.monotonic() - quiet_since
                if idle > 2 * self.IDLE_PING_SECONDS and pinged:
                    raise ConnectionError("no answer to a ping on the subscription")
                if idle > self.IDLE_PING_SECONDS and not pinged:
                    pubsub.ping()  # a silent network (no reset) shows up as an unanswered ping
                    pinged = True
        finally:
            self.subscribed = False
            with contextlib.suppress(Exception):  # the connection is gone either way
                pubsub.close()

    def stats(self) -> dict[str, object]:
        return {"redis": "up" if self.link.up else "down" if self.link.up is False else "unknown",
                "subscribed": self.subscribed, "published": self.published, "received": self.received,
                "local_only_events": self.local_only}
