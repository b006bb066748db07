"""Fixtures for many workers and replicas: a real redis-server per test (they kill and restart it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redisd import Redisd, start_redis


@pytest.fixture
def redisd(tmp_path: Path) -> Iterator[Redisd]:
    server = start_redis(tmp_path / "redis")
    try:
        yield server
    finally:
        server.stop()
