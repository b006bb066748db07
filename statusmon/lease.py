"""Leases for singletons: work that exactly one process should do at a time (the alerting worker, a rollup job).

Two or more copies may run; each calls ``lease.acquire()`` before every unit of work (and at least every third
of the lease period) and works only while it answers True. The holder renews; when it dies, its lease expires
after ``seconds`` and the next ``acquire()`` of a standby takes it over. So a standby takes over within one
lease period.

    lease = open_lease(settings, "alerting")
    while running:
        if lease.acquire():
            work()
    lease.release()

``LocalLease`` (no Redis configured) is always held: one process, nothing to share. ``RedisLease`` keeps the
lease in one key, ``statusmon:lease:<name>``, set with NX and a TTL and renewed or deleted only by its owner
(compare-and-set in a Lua script). When Redis cannot be reached, the holder keeps working only until its last
renewal runs out (minus a safety margin), since after that a standby may have taken over.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from typing import Protocol

from statusmon.config import Settings
from statusmon.shared import KEY_PREFIX, RedisLink


class Lease(Protocol):
    name: str

    def acquire(self) -> bool:
        """Take the lease or renew it; True while this process holds it."""

    def release(self) -> None:
        """Give it up now (a clean shutdown: a standby takes over at its next try, not after the TTL)."""


class LocalLease:
    """The single-process default: always held."""

    def __init__(self, name: str) -> None:
        self.name = name

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


_RENEW = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease:
    def __init__(self, link: RedisLink, name: str, seconds: float) -> None:
        self.link = link
        self.name = name
        self.seconds = seconds
        self.key = f"{KEY_PREFIX}lease:{name}"
        # Unique per process start: a restarted process never mistakes the old holder's lease for its own.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._renew = link.client.register_script(_RENEW)
        self._release = link.client.register_script(_RELEASE)
        self._valid_until = 0.0  # monotonic time until which the last renewal holds (minus a margin)

    def acquire(self) -> bool:
        asked = time.monotonic()
        ms = int(self.seconds * 1000)
        got = self.link.run(lambda r: int(self._renew(keys=[self.key], args=[self.owner, ms])), lambda: -1)
        if got == 1:
            # Counted from before the request: the key may have been set at any moment of the round trip.
            self._valid_until = asked + self.seconds * 0.8
            return True
        if got == 0:
            self._valid_until = 0.0
            return False
        return time.monotonic() < self._valid_until  # Redis unreachable: only while the last renewal lasts

    def holder(self) -> str | None:
        value = self.link.run(lambda r: r.get(self.key), lambda: None)
        return value.decode() if isinstance(value, bytes) else value

    def release(self) -> None:
        self._valid_until = 0.0
        self.link.run(lambda r: self._release(keys=[self.key], args=[self.owner]), lambda: 0)


def open_lease(settings: Settings, name: str, link: RedisLink | None = None) -> Lease:
    """A Redis lease when ``STATUSMON_REDIS_URL`` is set, else one that is always held."""
    if not settings.redis_url:
        return LocalLease(name)
    return RedisLease(link or RedisLink(settings.redis_url), name, settings.lease_seconds)
