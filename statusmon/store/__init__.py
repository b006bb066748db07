"""Time-series stores: SQLite (default) and InfluxDB, behind statusmon.store.base.TimeSeriesStore."""

from __future__ import annotations

from statusmon.config import Settings
from statusmon.store.base import TimeSeriesStore


def open_store(settings: Settings) -> TimeSeriesStore:
    """The store the settings ask for: InfluxDB when STATUSMON_INFLUX_URL is set, else a SQLite file."""
    if settings.influx_url:
        from statusmon.store.influx import InfluxStore

        store = InfluxStore.from_settings(settings)
        store.ensure_database()
        return store
    from statusmon.store.sqlite import SQLiteStore

    return SQLiteStore(settings.sqlite_ts_path)
