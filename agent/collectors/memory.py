"""``ram_percent``: memory in use, (total - available) / total, from ``psutil.virtual_memory()``; and
``swap_percent``: swap in use, (SwapTotal - SwapFree) / SwapTotal, from /proc/meminfo (absent without swap).

psutil reads MemAvailable from /proc/meminfo (and estimates it on kernels before 3.14). Its own ``percent`` is
rounded to one decimal; the wire carries two, so the share is computed here from ``total`` and ``available``.
Swap is read from /proc/meminfo directly: ``psutil.swap_memory()`` also parses /proc/vmstat (about 180 lines)
for page-in counters nobody here shows. It moves slowly: read every ``SWAP_SECONDS``, the last value riding on
the samples between.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agent.collectors import Fields
from agent.collectors.procfs import load_psutil, read_text

if TYPE_CHECKING:
    from agent.config import Config


def ram_percent(vm: Any) -> float | None:
    """From a ``psutil.virtual_memory()`` result; None without a usable total."""
    total = getattr(vm, "total", 0)
    available = getattr(vm, "available", None)
    if not isinstance(total, int) or total <= 0 or not isinstance(available, int):
        return None
    return round(min(100.0, max(0.0, 100.0 * (total - available) / total)), 2)


SWAP_SECONDS = 5.0


def swap_percent(meminfo: str) -> float | None:
    """Pure: swap in use from /proc/meminfo's SwapTotal and SwapFree (kB); None without swap."""
    total = free = None
    for line in meminfo.splitlines():
        if line.startswith("SwapTotal:"):
            total = int(line.split()[1])
        elif line.startswith("SwapFree:"):
            free = int(line.split()[1])
    if not total or free is None:
        return None
    return round(min(100.0, max(0.0, 100.0 * (total - free) / total)), 2)


class MemoryCollector:
    name = "memory"

    def __init__(self, ps: Any = None, proc_root: str = "/proc",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._ps = ps if ps is not None else load_psutil()
        self._meminfo = os.path.join(proc_root, "meminfo")
        self._clock = clock
        self._swap: float | None = None
        self._swap_at = -1e9

    def collect(self, now: float) -> Fields:
        fields: Fields = {}
        pct = ram_percent(self._ps.virtual_memory())
        if pct is not None:
            fields["ram_percent"] = pct
        mono = self._clock()
        if mono - self._swap_at >= SWAP_SECONDS:
            self._swap_at = mono
            try:
                self._swap = swap_percent(read_text(self._meminfo, 65536))
            except (OSError, ValueError, IndexError):
                self._swap = None
        if self._swap is not None:
            fields["swap_percent"] = self._swap
        return fields

    def close(self) -> None:
        pass


def create(config: Config) -> MemoryCollector:
    return MemoryCollector(load_psutil(config.proc_root), config.proc_root)
