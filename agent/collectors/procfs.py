"""psutil, pointed at the configured /proc, and a cheap reader for the one /proc file psutil has no API for
(``/proc/filesystems``, which says which filesystem types are backed by a device)."""

from __future__ import annotations

import os
from types import ModuleType


def load_psutil(proc_root: str = "/proc") -> ModuleType:
    """The psutil module, reading ``proc_root`` (e.g. ``/host/proc`` in a container) instead of /proc."""
    import psutil

    psutil.PROCFS_PATH = proc_root  # psutil's documented switch; one agent process has one /proc
    return psutil


def read_text(path: str, limit: int = 1 << 20) -> str:
    """The file's content (up to ``limit`` bytes) as text; OSError if it cannot be read."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(65536, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")


def sys_root_for(proc_root: str) -> str:
    """The sysfs mount beside ``proc_root``: /sys for /proc, /host/sys for /host/proc (how the container image
    mounts the host's)."""
    parent = os.path.dirname(os.path.normpath(proc_root))
    return os.path.join(parent, "sys")


def list_dir(path: str) -> frozenset[str]:
    """The names in ``path``, empty if it cannot be listed."""
    try:
        return frozenset(os.listdir(path))
    except OSError:
        return frozenset()
