"""One sample: every enabled collector run, timed and isolated, its fields cleaned of non-finite values."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from agent.collectors import Collector
from agent.oncelog import OnceLog
from agent.payload import encode_sample

log = logging.getLogger(__name__)


@dataclass
class RunStats:
    """Per collector: how the last run went (for ``--once`` and debug logs)."""

    seconds: float = 0.0
    ok: bool = True
    failures: int = 0


def clean(value: Any) -> Any:
    """Drop NaN/inf and None at the source (the wire is serialised with allow_nan=False)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            v = clean(v)
            if v is not None:
                out[k] = v
        return out
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def next_tick(now: float, interval: int) -> float:
    """The next whole multiple of ``interval`` after ``now``: a late tick skips ahead, never drifts."""
    return (math.floor(now / interval) + 1) * interval


class Sampler:
    def __init__(self, collectors: Sequence[Collector]) -> None:
        self.collectors = list(collectors)
        self.stats = {c.name: RunStats() for c in self.collectors}
        self._once = OnceLog(log)

    def sample(self, ts: int) -> dict[str, Any]:
        """Run every collector for sampling time ``ts``; a failing one costs only its own fields."""
        return self._collect(ts, clean)

    def sample_json(self, ts: int) -> str:
        """``encode_sample(self.sample(ts))``, cheaper: the sample is encoded as the collectors returned it, and
        only cleaned (and encoded again) when that failed on NaN/inf or shows a ``null``, which is rare. Walking
        every value of every sample in Python cost more than the C encoder's pass (a sample with 50 containers
        has about 600 values)."""
        sample = self._collect(ts, None)
        try:
            body = encode_sample(sample)
        except ValueError:  # NaN or inf
            body = None
        if body is None or "null" in body:  # a None somewhere (or "null" inside a string: harmless)
            body = encode_sample(clean(sample))
        return body

    def _collect(self, ts: int, cleaner: Callable[[Any], Any] | None) -> dict[str, Any]:
        sample: dict[str, Any] = {"ts": ts}
        for c in self.collectors:
            st = self.stats[c.name]
            t0 = time.perf_counter()
            try:
                fields = c.collect(ts)
            except Exception as exc:  # noqa: BLE001 - isolation is the point: the other collectors go on
                st.ok, st.failures = False, st.failures + 1
                self._once(logging.WARNING, f"{c.name}:{type(exc).__name__}",
                           "collector %s failed (%s: %s); its fields are absent while it fails",
                           c.name, type(exc).__name__, exc)
                fields = {}
            else:
                if not st.ok:
                    log.info("collector %s recovered", c.name)
                st.ok = True
            st.seconds = time.perf_counter() - t0
            sample.update(cleaner(fields) if cleaner is not None else fields)
        return sample

    def close(self) -> None:
        for c in self.collectors:
            try:
                c.close()
            except Exception:  # noqa: BLE001 - closing the others matters more
                log.debug("closing collector %s failed", c.name, exc_info=True)
