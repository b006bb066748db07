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


class ProcFile:
    """A /proc file read every second: kept open and read again from offset 0 each time (the kernel generates
    the text afresh on each read from the start), which saves the path lookup, open and close that were about
    half of a small /proc read. A failed read closes it; the next read opens it again."""

    def __init__(self, path: str, limit: int = 1 << 20) -> None:
        self.path = path
        self._limit = limit
        self._fd: int | None = None

    def read(self) -> str:
        """The file's content (up to ``limit`` bytes) as text; OSError if it cannot be read."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            first = min(65536, self._limit)
            data = os.pread(self._fd, first, 0)
            if len(data) == first < self._limit:  # a big one (hundreds of disks): the rest, in pieces
                chunks = [data]
                size = len(data)
                while size < self._limit:
                    chunk = os.pread(self._fd, min(65536, self._limit - size), size)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                data = b"".join(chunks)
        except OSError:
            self.close()
            raise
        return data.decode("utf-8", "replace")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
