"""``cpu_percent``: CPU utilisation across all cores since the previous sample, from ``psutil.cpu_times()``.

``psutil.cpu_percent()`` would do the same sum but keeps its previous reading in module state; the collector
keeps its own, so the arithmetic stays a pure function tested on literal ``scputimes`` values.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NamedTuple

from agent.collectors import Fields
from agent.collectors.procfs import ProcFile

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


def stat_times(text: str) -> CpuTimes:
    """Pure: busy and total clock ticks from /proc/stat's first line (``cpu  user nice system idle iowait irq
    softirq steal guest guest_nice``), as ``busy_and_total`` counts them; ValueError without it."""
    if not text.startswith("cpu "):
        raise ValueError("/proc/stat does not start with the cpu line")
    values = [int(v) for v in text[4:text.find("\n")].split()[:len(COUNTED)]]
    total = sum(values)
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return CpuTimes(total - idle, total)


def cpu_percent(prev: CpuTimes, cur: CpuTimes) -> float | None:
    """Busy share between two readings in percent; None when no time passed (or counters went back)."""
    dt = cur.total - prev.total
    if dt <= 0:
        return None
    return round(min(100.0, max(0.0, 100.0 * (cur.busy - prev.busy) / dt)), 2)


class CpuCollector:
    name = "cpu"

    def __init__(self, ps: Any = None, proc_root: str = "/proc") -> None:
        self._ps = ps
        self._stat = ProcFile(os.path.join(proc_root, "stat"), 4096)  # the cpu line is first
        self._prev = self._times()

    def _times(self) -> CpuTimes:
        if self._ps is not None:
            return busy_and_total(self._ps.cpu_times())
        return stat_times(self._stat.read())

    def collect(self, now: float) -> Fields:
        cur = self._times()
        pct = cpu_percent(self._prev, cur)
        self._prev = cur
        return {} if pct is None else {"cpu_percent": pct}

    def close(self) -> None:
        self._stat.close()


def create(config: Config) -> CpuCollector:
    return CpuCollector(proc_root=config.proc_root)
