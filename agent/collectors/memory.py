"""``ram_percent``: memory in use, (MemTotal - MemAvailable) / MemTotal, from /proc/meminfo."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from agent.collectors import Fields
from agent.collectors.procfs import read_text

if TYPE_CHECKING:
    from agent.config import Config


def parse_meminfo(text: str) -> dict[str, int]:
    """``{"MemTotal": kB, ...}`` for every ``Key:   123 kB`` line."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        if sep:
            fields = rest.split()
            if fields and fields[0].isdigit():
                out[key] = int(fields[0])
    return out


def ram_percent(info: dict[str, int]) -> float | None:
    total = info.get("MemTotal", 0)
    if total <= 0:
        return None
    available = info.get("MemAvailable")
    if available is None:  # kernels before 3.14 have no MemAvailable: approximate it as free(1) did
        available = info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0)
    return round(min(100.0, max(0.0, 100.0 * (total - available) / total)), 2)


class MemoryCollector:
    name = "memory"

    def __init__(self, proc_root: str = "/proc") -> None:
        self._path = os.path.join(proc_root, "meminfo")

    def collect(self, now: float) -> Fields:
        # MemTotal, MemFree, MemAvailable, Buffers, Cached are the first five lines: 512 bytes is plenty.
        pct = ram_percent(parse_meminfo(read_text(self._path, limit=512)))
        return {} if pct is None else {"ram_percent": pct}

    def close(self) -> None:
        pass


def create(config: Config) -> MemoryCollector:
    return MemoryCollector(config.proc_root)
