"""``ram_percent``: memory in use, (MemTotal - MemAvailable) / MemTotal; and ``swap_percent``: swap in use,
(SwapTotal - SwapFree) / SwapTotal (absent without swap); both from one read of /proc/meminfo a sample.

``psutil.virtual_memory()`` reads the same two lines but parses every line of the file and computes a dozen
fields nobody here shows (2-4 times the CPU of reading the file, and this runs every second); it is used only
where MemAvailable is missing (kernels before 3.14), since psutil estimates it there. ``psutil.swap_memory()``
would also parse /proc/vmstat (about 180 lines) for page-in counters. Both shares have two decimals, as the
wire carries (psutil's own ``percent`` has one).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from agent.collectors import Fields
from agent.collectors.procfs import ProcFile, load_psutil

if TYPE_CHECKING:
    from agent.config import Config


def ram_percent(vm: Any) -> float | None:
    """From a ``psutil.virtual_memory()`` result; None without a usable total."""
    total = getattr(vm, "total", 0)
    available = getattr(vm, "available", None)
    if not isinstance(total, int) or total <= 0 or not isinstance(available, int):
        return None
    return round(min(100.0, max(0.0, 100.0 * (total - available) / total)), 2)


def meminfo_kb(meminfo: str, key: str) -> int | None:
    """Pure: one /proc/meminfo value (``MemAvailable:    8159206 kB`` -> 8159206), None if absent."""
    at = meminfo.find(key + ":")
    while at > 0 and meminfo[at - 1] != "\n":  # inside another line's name: look further
        at = meminfo.find(key + ":", at + 1)
    if at < 0:
        return None
    end = meminfo.find("\n", at)
    try:
        return int(meminfo[at + len(key) + 1:end if end >= 0 else None].split()[0])
    except (ValueError, IndexError):
        return None


def share(total: int | None, free: int | None) -> float | None:
    """Pure: (total - free) / total in percent, two decimals; None without a total."""
    if not total or total <= 0 or free is None:
        return None
    return round(min(100.0, max(0.0, 100.0 * (total - free) / total)), 2)


def swap_percent(meminfo: str) -> float | None:
    """Pure: swap in use from /proc/meminfo's SwapTotal and SwapFree (kB); None without swap."""
    return share(meminfo_kb(meminfo, "SwapTotal"), meminfo_kb(meminfo, "SwapFree"))


class MemoryCollector:
    name = "memory"

    def __init__(self, ps: Any = None, proc_root: str = "/proc") -> None:
        self._ps = ps
        self._meminfo = ProcFile(os.path.join(proc_root, "meminfo"), 65536)

    def collect(self, now: float) -> Fields:
        fields: Fields = {}
        try:
            text = self._meminfo.read()
        except OSError:
            text = ""
        total = meminfo_kb(text, "MemTotal")
        available = meminfo_kb(text, "MemAvailable")
        if available is not None:
            pct = share(total, available)
        else:  # before Linux 3.14, or no /proc/meminfo: psutil estimates it
            if self._ps is None:
                self._ps = load_psutil()
            pct = ram_percent(self._ps.virtual_memory())
        if pct is not None:
            fields["ram_percent"] = pct
        swap = share(meminfo_kb(text, "SwapTotal"), meminfo_kb(text, "SwapFree"))
        if swap is not None:
            fields["swap_percent"] = swap
        return fields

    def close(self) -> None:
        self._meminfo.close()


def create(config: Config) -> MemoryCollector:
    return MemoryCollector(load_psutil(config.proc_root), config.proc_root)
