"""`statusmon rollup --once`: one catch-up pass from the command line, and a skip while another holds the lease."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from statusmon.meta.db import MetaDB
from statusmon.meta.leases import MetaLease
from statusmon.meta.rollup_progress import RollupProgress
from statusmon.store.base import Sample
from statusmon.store.downsampler import LEASE_NAME
from statusmon.store.sqlite import SQLiteStore


def rollup(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STATUSMON_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "statusmon.cli", "rollup", "--once"], capture_output=True,
                          text=True, env=env, timeout=120)


def test_rollup_once_builds_the_tiers_and_returns(tmp_path: Path) -> None:
    hour = (int(time.time()) - 3 * 3600) // 3600 * 3600
    store = SQLiteStore(tmp_path / "metrics.db")
    store.write("c1", "web-1", [Sample(ts=hour + i, values={"cpu_percent": float(i % 100)}) for i in range(3600)])
    before = int(time.time())
    done = rollup(tmp_path)
    after = int(time.time())
    assert done.returncode == 0, done.stderr
    # The hour's day is whole (one day bucket) only when the test runs in the three hours after midnight.
    assert re.search(r"minute, 1 hour and [01] day buckets", done.stdout), done.stdout
    hours = store.tiers.rows("hour", "system", hour, hour + 3600)
    assert [(r.metric, r.count, r.min, r.max) for r in hours] == [("cpu_percent", 3600, 0.0, 99.0)]
    # Hours are built up to the last one whose minutes are all closed (90 s after each minute ends).
    assert RollupProgress(MetaDB(tmp_path / "meta.db")).get("hour") in {(t - 90) // 3600 * 3600
                                                                        for t in (before, after)}


def test_rollup_once_skips_while_another_process_holds_the_lease(tmp_path: Path) -> None:
    meta = MetaDB(tmp_path / "meta.db")
    assert MetaLease(meta, LEASE_NAME, "someone-else").acquire(600)
    skipped = rollup(tmp_path)
    assert skipped.returncode == 1
    assert "lease" in skipped.stderr
    assert RollupProgress(meta).all() == {}
