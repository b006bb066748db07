"""Reading /proc files cheaply (raw os.read, no text-file machinery) so parsing stays pure and testable."""

from __future__ import annotations

import os


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


def read_first_line(path: str) -> str:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        head = os.read(fd, 4096)
    finally:
        os.close(fd)
    return head.split(b"\n", 1)[0].decode("ascii", "replace")
