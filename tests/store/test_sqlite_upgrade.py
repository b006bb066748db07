"""A SQLite file written before the issue-15 metrics opens, gains their columns and tables, and keeps its rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from statusmon.store.base import NetSample, Sample
from statusmon.store.sqlite import SQLiteStore


def test_a_file_from_before_gains_the_new_columns_and_tables_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript("""
        CREATE TABLE system (client_id TEXT NOT NULL, ts INTEGER NOT NULL, cpu_percent REAL, ram_percent REAL,
            disk_percent REAL, inode_percent REAL, docker_bytes INTEGER, gpu_percent REAL,
            PRIMARY KEY (client_id, ts)) WITHOUT ROWID;
        INSERT INTO system (client_id, ts, cpu_percent) VALUES ('c1', 1000, 12.5);
    """)
    conn.close()
    store = SQLiteStore(path)
    store.write("c1", "h", [Sample(ts=1001, values={"cpu_percent": 1.0, "load1": 2.5, "docker_images_bytes": 7},
                                   net=(NetSample("eno1", 10.0),))])
    series = store.series("c1", 1000, 1002, None, fields=["cpu_percent", "load1", "docker_images_bytes"])[""]
    assert series.values == {"cpu_percent": [12.5, 1.0], "load1": [None, 2.5], "docker_images_bytes": [None, 7]}
    assert store.series("c1", 1000, 1002, None, family="net")["eno1"].values["rx_bytes_per_s"] == [10.0]
    store.close()
