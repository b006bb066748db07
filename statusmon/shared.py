"""The link to the Redis that workers and replicas share (``STATUSMON_REDIS_URL``), and whether it is up.

Only built when the setting is given: the ``redis`` package is imported here, lazily, so a single-process
deployment never loads it. Every use goes through ``RedisLink.run(op, fallback)``: when Redis fails, the link
marks itself down, answers with the fallback at once, and for ``retry_after`` seconds does not try again (a
dead Redis costs one refused connection a second per process, not one per request). Whoever holds a long-lived
connection (the live feed's subscription) reports what it sees through ``mark_up``/``mark_down`` too, and
listeners hear every change (the live feed tells its viewers it is degraded).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
KEY_PREFIX = "statusmon:"


class RedisLink:
    def __init__(self, url: str, timeout: float = 0.5, retry_after: float = 1.0) -> None:
        import redis  # only here: a deployment without STATUSMON_REDIS_URL never imports it
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url = url
        self.retry_after = retry_after
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        # Short timeouts: Redis answers in well under a millisecond when it is up; a request must not hang on it.
        # One immediate retry (a pooled connection that a Redis restart broke is replaced and the command sent
        # again), not redis-py's default of ten with backoff, which holds a request for seconds while it is down.
        self.client: Any = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                                retry=Retry(NoBackoff(), 1))
        self.up: bool | None = None  # None: not tried yet
        self.last_error = ""
        self._retry_at = 0.0
        self._probing = False
        self._lock = threading.Lock()
        self._listeners: list[Callable[[bool], None]] = []

    def on_change(self, listener: Callable[[bool], None]) -> None:
        self._listeners.append(listener)

    def run(self, op: Callable[[Any], T], fallback: Callable[[], T], force: bool = False) -> T:
        """``op(client)``, or ``fallback()`` while Redis is down (and when this call finds it down). ``force``
        tries Redis even while it is marked down (a background loop or a probe, where a refused connection
        costs nothing and noticing the return at once matters)."""
        probing = False
        if not force and self.up is False:
            # While down, one call at a time finds out whether Redis is back (once per ``retry_after``); the
            # others take the fallback at once instead of each waiting for a connect timeout.
            with self._lock:
                if self._probing or time.monotonic() < self._retry_at:
                    return fallback()
                self._probing = probing = True
        try:
            result = op(self.client)
        except self.errors as e:
            self.mark_down(e)
            return fallback()
        finally:
            if probing:
                self._probing = False
        self.mark_up()
        return result

    def ping(self) -> bool:
        return self.run(lambda r: bool(r.ping()), lambda: False, force=True)

    def mark_up(self) -> None:
        self._set(True, "")

    def mark_down(self, error: BaseException | str) -> None:
        self._retry_at = time.monotonic() + self.retry_after
        self._set(False, error if isinstance(error, str) else f"{type(error).__name__}: {error}")

    def _set(self, up: bool, error: str) -> None:
        with self._lock:
            changed = self.up is not up
            self.up = up
            if error:
                self.last_error = error
        if not changed:
            return
        if up:
            log.info("redis: up (%s)", _safe(self.url))
        else:
            log.warning("redis: down (%s): %s; going on without shared state until it returns", _safe(self.url),
                        error)
        for listener in list(self._listeners):
            try:
                listener(up)
            except Exception:
                log.exception("redis: a state listener failed")

    def close(self) -> None:
        self.client.close()


def _safe(url: str) -> str:
    """The URL without its password (for logs)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url
