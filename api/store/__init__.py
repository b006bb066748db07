"""Time-series stores: SQLite (default) and InfluxDB, behind api.store.base.TimeSeriesStore."""

from __future__ import annotations

from api.config import Settings
from api.store.base import TimeSeriesStore


def open_store(settings: Settings) -> TimeSeriesStore:
    """The store the settings ask for: InfluxDB when STATUSMON_INFLUX_URL is set, else a SQLite file."""
    if settings.influx_url:
        from api.store.influx import InfluxStore

        store = InfluxStore.from_settings(settings)
        store.ensure_database()
        return store
    from api.store.sqlite import SQLiteStore

    return SQLiteStore(settings.sqlite_ts_path)
