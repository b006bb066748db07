"""Token buckets: login attempts per address, reports per client; in-process, or in Redis for many processes."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

from statusmon.shared import KEY_PREFIX, RedisLink


class Limiter(Protocol):
    def check(self, key: str) -> tuple[bool, int]:
        """(allowed, seconds to wait before the next request would pass)."""


class RateLimiter:
    """``rate_per_minute`` sustained with bursts up to ``burst``; ``check`` says whether a request may pass."""

    def __init__(self, rate_per_minute: float, burst: float | None = None,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        self.rate = rate_per_minute / 60.0
        self.burst = burst if burst is not None else max(1.0, rate_per_minute / 6.0)
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> tuple[bool, int]:
        """(allowed, seconds to wait before the next request would pass)."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                allowed, wait = True, 0
            else:
                self._buckets[key] = (tokens, now)
                allowed, wait = False, max(1, math.ceil((1.0 - tokens) / self.rate))
            if len(self._buckets) > self.max_keys:
                # Forget full buckets first: they hold no information.
                for k in [k for k, (t, _) in self._buckets.items() if t >= self.burst][: self.max_keys // 10]:
                    del self._buckets[k]
        return allowed, wait


# One token bucket per key in a Redis hash (tokens, last refill time), refilled and taken in one atomic script
# on Redis' own clock, so every process and replica counts against the same bucket whatever their clocks say.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(v[1]) or burst
local last = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - last) * rate)
local allowed, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, wait}
"""


class SharedRateLimiter:
    """``RateLimiter``'s contract with the buckets in Redis (``statusmon:rate:<name>:<key>``): a limit counts
    across every worker and replica. While Redis is down, each process counts on its own (``fallback``), so a
    client gets at most the limit per process: looser, never unlimited."""

    def __init__(self, link: RedisLink, name: str, rate_per_minute: float, burst: float | None = None) -> None:
        self.link = link
        self.fallback = RateLimiter(rate_per_minute, burst)
        self.rate = self.fallback.rate
        self.burst = self.fallback.burst
        self.prefix = f"{KEY_PREFIX}rate:{name}:"
        self._take = link.client.register_script(_TAKE)

    def check(self, key: str) -> tuple[bool, int]:
        def op(r: object) -> tuple[bool, int]:
            allowed, wait = self._take(keys=[self.prefix + key], args=[repr(self.rate), repr(self.burst)])
            return bool(allowed), int(wait)

        return self.link.run(op, lambda: self.fallback.check(key))
