"""The health mark: a small JSON file the agent writes once per process, after its first accepted report.

It is how the updater (agent/update) knows a freshly installed release works end to end (it started, sampled,
and the API took its report); no mark within the health window means roll back. Written atomically (temp file +
rename), so the reader never sees half a mark.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from statusmon import __version__


@dataclass(frozen=True)
class Mark:
    version: str
    pid: int
    time: float


def write(path: str, version: str = __version__) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"version": version, "pid": os.getpid(), "time": time.time()}, f)
    os.replace(tmp, path)


def read(path: str) -> Mark | None:
    """The mark at ``path``, or None when there is none (or it is unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        return Mark(str(d["version"]), int(d["pid"]), float(d["time"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
