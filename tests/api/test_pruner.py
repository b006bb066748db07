"""The scheduled pruner: started with the app on a store that honours ``retention_days`` (SQLite), it prunes at
once and then hourly; STATUSMON_RETENTION_DAYS is the starting value, a change in the settings applies at the
next run. Real SQLite store, the real background thread; points placed by hand around each cut-off."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

from api.app import create_app, prune
from statusmon.config import Settings
from statusmon.store.base import Sample
from statusmon.store.sqlite import SQLiteStore
from tests.agent.agentproc import wait_until
from tests.api.conftest import PASSWORD, Api

DAY = 86_400


def test_the_pruner_starts_with_the_app_cuts_at_the_retention_setting_and_follows_changes(tmp_path: Path) -> None:
    now = int(time.time())
    store = SQLiteStore(tmp_path / "ts.db")
    ages = [5.0, 3.5, 2.5, 1.5, 0.1]  # days
    store.write("c1", "web-1", [Sample(ts=now - int(a * DAY), values={"cpu_percent": 10.0}) for a in ages])

    def count() -> int:
        # Its own connection: the app's background threads use the store's meanwhile (under gevent they would
        # be greenlets on one thread; here they are real threads).
        with closing(sqlite3.connect(tmp_path / "ts.db")) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM system WHERE client_id = 'c1'").fetchone()[0])

    assert count() == 5
    app = create_app(Settings(data_dir=tmp_path, admin_password=PASSWORD, retention_days=3), store=store,
                     start_background=True)
    assert any(t.name == "pruner" and t.is_alive() for t in threading.enumerate())
    wait_until(lambda: count() == 3, 10, "the pruner's first run (the 5 and 3.5 day old points gone)")

    api = Api(app, app.test_client()).login()
    r = api.admin("POST", "/api/settings", json={"retention_days": 2})
    assert r.status_code == 200, r.json
    assert count() == 2  # the change prunes at once: the 2.5-day-old point went
    assert prune(app.extensions["statusmon"]) == 0  # so the hourly job finds nothing more
    store.close()
