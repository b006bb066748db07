"""The ``store`` fixture: every contract test runs unchanged against SQLite and against a real influxd."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from statusmon.store.base import TimeSeriesStore


def make_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> TimeSeriesStore:
    if backend == "sqlite":
        from statusmon.store.sqlite import SQLiteStore

        return SQLiteStore(tmp_path / "metrics.db")
    from statusmon.store.influx import InfluxStore

    server = request.getfixturevalue("influxd")
    store = InfluxStore(server.url, db=request.getfixturevalue("influx_db_name"))
    store.ensure_database()
    return store


@pytest.fixture(params=["sqlite", pytest.param("influxdb", marks=pytest.mark.influx)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TimeSeriesStore]:
    s = make_store(request.param, tmp_path, request)
    try:
        yield s
    finally:
        s.close()
