"""``cpu_percent``: CPU utilisation across all cores since the previous sample, from /proc/stat."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

from agent.collectors import Fields
from agent.collectors.procfs import read_first_line

if TYPE_CHECKING:
    from agent.config import Config


class CpuTimes(NamedTuple):
    busy: int  # jiffies spent not idle
    total: int


def parse_stat_line(line: str) -> CpuTimes:
    """Parse the aggregate ``cpu`` line of /proc/stat.

    Columns: user nice system idle iowait irq softirq steal guest guest_nice. guest and guest_nice are already
    included in user and nice, so they are not added again; idle and iowait count as not busy.
    """
    parts = line.split()
    if not parts or parts[0] != "cpu":
        raise ValueError(f"not the aggregate cpu line of /proc/stat: {line[:40]!r}")
    values = [int(v) for v in parts[1:9]]
    values += [0] * (8 - len(values))
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

    def __init__(self, proc_root: str = "/proc") -> None:
        self._path = os.path.join(proc_root, "stat")
        self._prev = parse_stat_line(read_first_line(self._path))

    def collect(self, now: float) -> Fields:
        cur = parse_stat_line(read_first_line(self._path))
        pct = cpu_percent(self._prev, cur)
        self._prev = cur
        return {} if pct is None else {"cpu_percent": pct}

    def close(self) -> None:
        pass


def create(config: Config) -> CpuCollector:
    return CpuCollector(config.proc_root)
