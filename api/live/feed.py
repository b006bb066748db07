"""The live feed of one API process: ingest listener, interval hint, presence loop and viewer bookkeeping."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from api.live import frames, presence
from api.live.broker import Broker, LocalBroker, Subscription, Watchers
from api.live.redisbroker import RedisBroker
from api.live.watched import SharedWatchers
from api.state import AppState
from api.views.samples import sample_view
from statusmon.meta.active_alerts import ActiveAlerts
from statusmon.meta.clients import Client
from statusmon.store.base import Sample

log = logging.getLogger(__name__)


class LiveFeed:
    # Per viewer: a browser more than this far behind is dropped (it reloads and catches up from the API).
    QUEUE_FRAMES = 1000
    QUEUE_BYTES = 8 << 20
    PRESENCE_EVERY = 2.0
    # A quarter second: a change shows within one evaluation cycle plus a second, with room for the fetch and
    # the paint (the query reads only pending and firing rows).
    ALERTS_EVERY = 0.25

    def __init__(self, state: AppState, broker: Broker | None = None) -> None:
        self.state = state
        link = state.redis
        if broker is None:
            broker = RedisBroker(link) if link is not None else LocalBroker()
        self.broker: Broker = broker
        self.watchers: Watchers = SharedWatchers(link) if link is not None else Watchers()
        if link is not None:
            link.on_change(self._shared_changed)
        self._online: dict[str, bool] | None = None
        self._online_lock = threading.Lock()
        self._presence_started = False
        self._alerts: frozenset[tuple[str, str, str, str, int]] | None = None
        self._start_lock = threading.Lock()

    # --- hooks into the core -------------------------------------------------------------------------------

    def on_ingest(self, client: Client, samples: list[Sample]) -> None:
        """Called synchronously after a batch is stored: serialise once and hand to the broker, which fans out
        in its own greenlet; nothing here grows with the number of viewers, and nothing blocks."""
        if not samples:
            return
        newest = max(samples, key=lambda s: s.ts)
        # The overview (every client, a card each) gets only the newest sample of the batch: a tenth of the
        # bytes at the default 10-sample batches, which is what 1,000 viewers cost. A detail page gets every
        # sample; that frame is only built while one watches this client. With no viewer at all (in this
        # process, without Redis) no frame is built.
        if self.broker.listened():
            slim = _utf8(frames.samples_frame(client.id, client.hostname, [sample_view(newest)]))
            full = slim
            if len(samples) > 1 and self.watchers.watched(client.id):
                ordered = sorted(samples, key=lambda s: s.ts)
                full = _utf8(frames.samples_frame(client.id, client.hostname, [sample_view(s) for s in ordered]))
            self.broker.publish(client.id, full, slim)
        with self._online_lock:
            if self._online is not None and not self._online.get(client.id):
                online = time.time() - newest.ts <= self.state.online_timeout()
                self._online[client.id] = online
                if online:
                    self.broker.publish_here(client.id, _utf8(frames.status_frame(
                        client.id, client.hostname, True, newest.ts)))

    def interval_hint(self, client_id: str) -> int:
        s = self.state.settings
        return s.live_report_interval if self.watchers.watched(client_id) else s.report_interval

    # --- viewers -------------------------------------------------------------------------------------------

    def open(self) -> Subscription:
        self._ensure_presence()
        sub = Subscription(self.QUEUE_FRAMES, self.QUEUE_BYTES)
        self.broker.subscribe(sub)
        return sub

    def narrow(self, sub: Subscription, clients: frozenset[str] | None) -> None:
        if sub.clients is not None:
            self.watchers.remove(sub.clients)
        sub.clients = clients
        if clients is not None:
            self.watchers.add(clients)

    def close(self, sub: Subscription) -> None:
        sub.close()
        self.broker.unsubscribe(sub)
        self.narrow(sub, None)

    def hello(self) -> str:
        s = self.state.settings
        return frames.dumps({"type": "hello", "online_timeout_seconds": self.state.online_timeout(),
                             "live_interval": s.live_report_interval, "report_interval": s.report_interval,
                             "degraded": self.degraded()})

    def degraded(self) -> bool:
        """True while the shared fan-out is down: this process's viewers see only what it ingests itself."""
        link = self.state.redis
        return link is not None and link.up is False

    def _shared_changed(self, up: bool) -> None:
        # Every process notices by itself (its own subscription or publish failed): tell only its own viewers.
        self.broker.publish_here(None, _utf8(frames.feed_frame(not up)))

    def stats(self) -> dict[str, Any]:
        broker = self.broker
        local = broker.local if isinstance(broker, RedisBroker) else broker
        if not isinstance(local, LocalBroker):
            return {"viewers": None, "dropped_total": None, "watched": self.watchers.snapshot(), "fanout": None}
        out: dict[str, Any] = {
            "pid": os.getpid(),  # which worker answered (several serve one address)
            "viewers": local.viewers(),
            "dropped_total": local.dropped_total,
            "watched": self.watchers.snapshot(),
            # Fan-out passes that delivered something, the frames they carried, and the time they took.
            "fanout": {"passes": local.passes, "events": local.events_total,
                       "seconds": round(local.fanout_seconds, 3),
                       "max_ms": round(local.fanout_max_seconds * 1000, 1)},
            "degraded": self.degraded(),
        }
        if isinstance(broker, RedisBroker):
            out["shared"] = broker.stats()
        if isinstance(self.watchers, SharedWatchers):
            out["watched_anywhere"] = self.watchers.everywhere()
        return out

    # --- presence ------------------------------------------------------------------------------------------

    def check_presence(self, now: float | None = None) -> list[presence.Change]:
        """Publish the clients that went on- or offline (or were removed) since the last check."""
        clients = self.state.clients.roster()  # no latest samples decoded: this runs every 2 s
        with self._online_lock:
            first = self._online is None
            self._online, changes = presence.diff(self._online or {}, clients, now or time.time(),
                                                  self.state.online_timeout())
        if first:
            return []  # the first look only sets the baseline: browsers load the current state via the API
        for ch in changes:
            if ch.online is None:
                self.broker.publish_here(ch.client_id, _utf8(frames.removed_frame(ch.client_id)))
            else:
                self.broker.publish_here(ch.client_id, _utf8(frames.status_frame(
                    ch.client_id, ch.hostname, ch.online, ch.last_seen)))
        return changes

    def check_alerts(self) -> bool:
        """Publish an ``alerts`` frame when the alerts pending or firing changed since the last check."""
        keys = ActiveAlerts(self.state.meta).keys()
        previous, self._alerts = self._alerts, keys
        if previous is None or previous == keys:
            return False  # the first look only sets the baseline
        firing = sum(1 for k in keys if k[3] == "firing")
        self.broker.publish_here(None, _utf8(frames.alerts_frame(firing, len(keys) - firing,
                                                            sorted({k[1] for k in keys}))))
        return True

    def _ensure_presence(self) -> None:
        # Started by the first viewer, so only the worker that serves WebSockets runs it (never gunicorn's
        # master, which builds the app once before forking); the broker's fan-out loop likewise.
        start = getattr(self.broker, "start", None)
        if start is not None:
            start()
        with self._start_lock:
            if self._presence_started:
                return
            self._presence_started = True
        threading.Thread(target=self._presence_loop, name="live-presence", daemon=True).start()
        threading.Thread(target=self._alerts_loop, name="live-alerts", daemon=True).start()

    def _presence_loop(self) -> None:
        self._every(self.PRESENCE_EVERY, self.check_presence, "presence")

    def _alerts_loop(self) -> None:
        self._every(self.ALERTS_EVERY, self.check_alerts, "alerts")

    def _every(self, seconds: float, check: Callable[[], object], what: str) -> None:
        # Until the app's metadata is closed (its process ends, or a test tears the app down): a loop that
        # outlived it would log the same failure four times a second.
        while not self.state.meta.closed:
            try:
                check()
            except Exception:
                if self.state.meta.closed:
                    return
                log.exception("live feed: %s check failed", what)
            time.sleep(seconds)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8")
