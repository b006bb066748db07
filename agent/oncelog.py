"""Log a condition once per key, so a missing GPU or a dead socket does not flood the journal each second."""

from __future__ import annotations

import logging
from typing import Any


class OnceLog:
    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._seen: set[str] = set()

    def __call__(self, level: int, key: str, msg: str, *args: Any) -> bool:
        if key in self._seen:
            return False
        self._seen.add(key)
        self._logger.log(level, msg, *args)
        return True

    def forget(self, key: str) -> None:
        """Log ``key`` again next time (the condition cleared)."""
        self._seen.discard(key)
