"""``ram_percent``: memory in use, (total - available) / total, from ``psutil.virtual_memory()``.

psutil reads MemAvailable from /proc/meminfo (and estimates it on kernels before 3.14). Its own ``percent`` is
rounded to one decimal; the wire carries two, so the share is computed here from ``total`` and ``available``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.collectors import Fields
from agent.collectors.procfs import load_psutil

if TYPE_CHECKING:
    from agent.config import Config


def ram_percent(vm: Any) -> float | None:
    """From a ``psutil.virtual_memory()`` result; None without a usable total."""
    total = getattr(vm, "total", 0)
    available = getattr(vm, "available", None)
    if not isinstance(total, int) or total <= 0 or not isinstance(available, int):
        return None
    return round(min(100.0, max(0.0, 100.0 * (total - available) / total)), 2)


class MemoryCollector:
    name = "memory"

    def __init__(self, ps: Any = None) -> None:
        self._ps = ps if ps is not None else load_psutil()

    def collect(self, now: float) -> Fields:
        pct = ram_percent(self._ps.virtual_memory())
        return {} if pct is None else {"ram_percent": pct}

    def close(self) -> None:
        pass


def create(config: Config) -> MemoryCollector:
    return MemoryCollector(load_psutil(config.proc_root))
