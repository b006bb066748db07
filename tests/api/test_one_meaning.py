"""One meaning per number: a mount's used space in percent is df(1)'s ``used / (used + avail)`` on every surface
(the latest sample in /api/clients, /api/metrics' disk family, /api/stats' root ``disk_percent``, the Grafana
API's series and fleet table, the alert engine's firing value), on both stores; a report without ``avail_bytes``
(an agent before it) keeps used / total."""

from __future__ import annotations

import json
import os
import time
from datetime import datetime, timezone
from typing import Any

from alerting.engine import Evaluator
from statusmon.meta.settings import GlobalSettings
from statusmon.store.base import DiskSample
from statusmon.store.sqlite import SQLiteStore
from tests.alerting.test_engine import add_rule
from tests.api.conftest import Api, good_sample

# ext4-like: 1000 blocks, 700 used, 250 available to users, 50 reserved for root.
USED, TOTAL, AVAIL = 700_000, 1_000_000, 250_000
DF = round(100.0 * USED / (USED + AVAIL), 4)  # 73.6842, what df prints as 74%
NAIVE = round(100.0 * USED / TOTAL, 4)  # 70.0, the number the mount table used to show


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat().replace("+00:00", "Z")


def test_a_mount_shows_dfs_percentage_on_every_surface(api: Api) -> None:
    api.login()
    cid, token = api.add_client("disk-1")
    now = int(time.time())
    disk = {"mount": "/", "used_bytes": USED, "total_bytes": TOTAL, "avail_bytes": AVAIL,
            "inodes_used": 3, "inodes_total": 100}
    # The agent computes the root's disk_percent from the same statvfs, the same way (agent/collectors/disks.py).
    samples = [good_sample(now - 20 + 10 * i, disk_percent=DF, disks=[disk]) for i in range(3)]
    r = api.report(token, {"samples": samples})
    assert r.status_code == 200, r.get_json()

    latest = next(c for c in api.admin("GET", "/api/clients").get_json()["clients"] if c["id"] == cid)["latest"]
    assert latest["disks"][0]["used_percent"] == DF != NAIVE
    assert latest["disks"][0]["avail_bytes"] == AVAIL  # the raw counts stay: other views remain possible
    assert latest["disk_percent"] == DF

    q = {"from": now - 60, "to": now + 1}
    metrics = api.admin("GET", f"/api/metrics/{cid}", query_string={**q, "family": "disk",
                                                                       "metrics": "used_percent,avail_bytes"})
    series = metrics.get_json()["series"]["/"]
    assert [v for v in series["values"]["used_percent"] if v is not None] == [DF] * 3
    assert [v for v in series["values"]["avail_bytes"] if v is not None] == [AVAIL] * 3

    stats = api.admin("GET", f"/api/stats/{cid}", query_string={**q, "metrics": "disk_percent"}).get_json()
    assert stats["metrics"]["disk_percent"]["max"] == DF

    grafana = {"range": {"from": _iso(now - 60), "to": _iso(now)}, "intervalMs": 1000, "maxDataPoints": 100}
    got = api.admin("POST", "/api/grafana/query", json={
        **grafana, "targets": [{"target": "disk.used_percent", "payload": {"client": "disk-1", "mount": "/"}}]})
    assert got.status_code == 200, got.get_json()
    assert {p[0] for p in got.get_json()[0]["datapoints"]} == {DF}
    fleet = api.admin("POST", "/api/grafana/query", json={**grafana, "targets": [{"target": "fleet"}]}).get_json()
    row = dict(zip([c["text"] for c in fleet[0]["columns"]], fleet[0]["rows"][0], strict=True))
    assert row["max_mount_used_percent"] == DF

    # A mount rule fires on the same number: above 72 (between the naive 70 and df's 73.7) it fires, with df's value.
    meta = api.state.meta
    GlobalSettings(meta).update({"thresholds": {}, "online_timeout_seconds": 3600, "alert_repeat_hours": 0})
    add_rule(meta, "mount_used_percent", 72.0, 0)
    Evaluator(meta, api.state.store, "", channels=lambda gs: ["slack"]).run_cycle(now + 1)
    events = [json.loads(r["event"]) for r in meta.query("SELECT event FROM alert_outbox ORDER BY id")]
    assert [(e["kind"], e["mount"], e["value"]) for e in events] == [("firing", "/", DF)]


def test_a_report_without_avail_bytes_keeps_used_over_total(api: Api) -> None:
    """Agents from before ``avail_bytes`` still report; their percentage is used / total, as it was."""
    api.login()
    cid, token = api.add_client("old-agent")
    disk = {"mount": "/", "used_bytes": USED, "total_bytes": TOTAL}
    assert api.report(token, {"samples": [good_sample(disks=[disk])]}).status_code == 200
    latest = next(c for c in api.admin("GET", "/api/clients").get_json()["clients"] if c["id"] == cid)["latest"]
    assert latest["disks"][0]["used_percent"] == NAIVE
    assert latest["disks"][0].get("avail_bytes") is None


def test_agent_disk_entry_and_root_summary_agree() -> None:
    """The agent's two numbers for the root (disk_percent, and the mount it reports) are the same number."""
    from agent.collectors.disks import disk_entry, root_summary

    st = os.statvfs("/")
    entry: dict[str, Any] = disk_entry("/", st)  # type: ignore[assignment]
    ours = DiskSample(**entry).used_percent()
    assert ours == root_summary(st)["disk_percent"]
    assert entry["avail_bytes"] == st.f_bavail * st.f_frsize


def test_an_sqlite_file_from_before_avail_bytes_gets_the_column(tmp_path: Any) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE disk (client_id TEXT NOT NULL, mount TEXT NOT NULL, ts INTEGER NOT NULL, "
                 "used_bytes INTEGER, total_bytes INTEGER, inodes_used INTEGER, inodes_total INTEGER, "
                 "used_percent REAL, inodes_percent REAL, PRIMARY KEY (client_id, mount, ts)) WITHOUT ROWID")
    conn.execute("INSERT INTO disk VALUES ('c', '/', 100, 7, 10, NULL, NULL, 70.0, NULL)")
    conn.commit()
    conn.close()
    store = SQLiteStore(path)
    try:
        s = store.series("c", 0, 200, None, family="disk")["/"]
        assert s.values["used_percent"] == [70.0] and s.values["avail_bytes"] == [None]
    finally:
        store.close()
