"""``cpu_percent``: CPU utilisation across all cores since the previous sample, from ``psutil.cpu_times()``.

``psutil.cpu_percent()`` would do the same sum but keeps its previous reading in module state; the collector
keeps its own, so the arithmetic stays a pure function tested on literal ``scputimes`` values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from agent.collectors import Fields
from agent.collectors.procfs import load_psutil

if TYPE_CHECKING:
    from agent.config import Config

# guest and guest_nice are already included in user and nice (Linux), so they are not added again
COUNTED = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


class CpuTimes(NamedTuple):
    busy: float  # seconds spent not idle
    total: float


def busy_and_total(times: Any) -> CpuTimes:
    """From a ``psutil.cpu_times()`` result (seconds); idle and iowait count as not busy. Fields an old kernel
    lacks (steal, iowait) count as 0."""
    values = [float(getattr(times, name, 0.0)) for name in COUNTED]
    total = sum(values)
    idle = values[3] + values[4]
    return CpuTimes(total - idle, total)


def cpu_percent(prev: CpuTimes, cur: CpuTimes) -> float | None:
    """Busy share between two readings in percent; None when no time passed (or counters went back)."""
    dt = cur.total - prev.total
    if dt <= 0:
        return None
    return round(min(100.0, max(0.0, 100.0 * (cur.busy - prev.busy) / dt)), 2)


class CpuCollector:
    name = "cpu"

    def __init__(self, ps: Any = None) -> None:
        self._ps = ps if ps is not None else load_psutil()
        self._prev = busy_and_total(self._ps.cpu_times())

    def collect(self, now: float) -> Fields:
        cur = busy_and_total(self._ps.cpu_times())
        pct = cpu_percent(self._prev, cur)
        self._prev = cur
        return {} if pct is None else {"cpu_percent": pct}

    def close(self) -> None:
        pass


def create(config: Config) -> CpuCollector:
    return CpuCollector(load_psutil(config.proc_root))
