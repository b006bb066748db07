"""In-process token buckets: login attempts per address, reports per client."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


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
