"""``load1``, ``load5``, ``load15``: the run-queue averages from /proc/loadavg, and ``load1_per_core`` (load1
divided by the CPUs online, what "the host is overloaded" alert rules compare with).

The kernel recomputes the averages every 5 seconds (LOAD_FREQ), so the file is read every ``READ_SECONDS`` and
the last values ride on the samples between; ``os.getloadavg()`` would read the agent's own /proc, not
``proc_root``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from agent.collectors import Fields
from agent.collectors.procfs import read_text

if TYPE_CHECKING:
    from agent.config import Config

READ_SECONDS = 5.0


def parse_loadavg(text: str) -> tuple[float, float, float]:
    """Pure: the three averages from /proc/loadavg (``0.52 0.58 0.59 2/1234 56789``)."""
    parts = text.split()
    return float(parts[0]), float(parts[1]), float(parts[2])


def parse_online(text: str) -> int:
    """Pure: the CPU count of a kernel CPU list (/sys/devices/system/cpu/online: ``0-3,6,8-9`` -> 7)."""
    count = 0
    for part in text.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        count += int(hi or lo) - int(lo) + 1
    return count


def load_fields(avgs: tuple[float, float, float], cpus: int | None) -> Fields:
    fields: Fields = {"load1": round(avgs[0], 2), "load5": round(avgs[1], 2), "load15": round(avgs[2], 2)}
    if cpus:
        fields["load1_per_core"] = round(avgs[0] / cpus, 3)
    return fields


class LoadCollector:
    name = "load"

    def __init__(self, proc_root: str = "/proc", cpus: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._path = os.path.join(proc_root, "loadavg")
        self._cpus = cpus if cpus is not None else _online_cpus()
        self._clock = clock
        self._last: Fields = {}
        self._read_at = -1e9

    def collect(self, now: float) -> Fields:
        mono = self._clock()
        if mono - self._read_at >= READ_SECONDS:
            self._read_at = mono
            self._last = load_fields(parse_loadavg(read_text(self._path, 256)), self._cpus)
        return self._last

    def close(self) -> None:
        pass


def _online_cpus() -> int | None:
    try:
        return parse_online(read_text("/sys/devices/system/cpu/online", 4096)) or None
    except (OSError, ValueError):
        return os.cpu_count()


def create(config: Config) -> LoadCollector:
    return LoadCollector(config.proc_root)
