"""The spool: durable as sampled, deleted only when acknowledged, capped by age and bytes with a counted drop,
recovered from a damaged file, and holding samples in memory while the disk refuses them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from agent.spool import DB_NAME, MEMORY_MAX_SAMPLES, Spool


def body(ts: int, pad: int = 0) -> str:
    return json.dumps({"ts": ts, "cpu_percent": 1.0, "pad": "x" * pad})


def make(tmp_path: Path, max_bytes: int = 10**9, max_age: int = 86400) -> Spool:
    return Spool(str(tmp_path / "spool"), max_bytes, max_age)


def test_samples_survive_a_reopen_and_leave_only_when_deleted(tmp_path: Path) -> None:
    s = make(tmp_path)
    for ts in (3, 1, 2):
        assert s.append(ts, body(ts))
    rows = s.oldest(2)
    assert [ts for ts, _ in rows] == [1, 2]
    s.delete(rows)
    s.close()
    s = make(tmp_path)
    assert len(s) == 1 and s.oldest(10) == [(3, body(3))]
    assert s.bytes == len(body(3))


def test_an_unclosed_spool_keeps_what_was_appended(tmp_path: Path) -> None:
    s = make(tmp_path)
    s.append(1, body(1))
    # no close(): what a SIGKILL leaves behind. A second connection sees the committed row.
    other = sqlite3.connect(str(tmp_path / "spool" / DB_NAME))
    assert other.execute("SELECT ts FROM samples").fetchall() == [(1,)]
    other.close()


def test_the_age_cap_drops_the_oldest_and_counts_them_for_good(tmp_path: Path) -> None:
    s = make(tmp_path, max_age=100)
    for ts in range(1000, 1010):
        s.append(ts, body(ts))
    assert s.enforce_caps(now=1105) == 5
    assert [ts for ts, _ in s.oldest(100)] == list(range(1005, 1010))
    s.close()
    assert make(tmp_path, max_age=100).dropped == 5  # the counter is cumulative and stored in the spool


def test_the_byte_cap_drops_the_oldest_first(tmp_path: Path) -> None:
    one = len(body(0, pad=100))
    s = make(tmp_path, max_bytes=one * 4)
    for ts in range(10):
        s.append(ts, body(ts, pad=100))
    assert s.enforce_caps(now=5) == 6
    assert [ts for ts, _ in s.oldest(100)] == [6, 7, 8, 9] and s.dropped == 6 and s.bytes <= one * 4


def test_a_repeated_second_overwrites_instead_of_duplicating(tmp_path: Path) -> None:
    s = make(tmp_path)
    s.append(5, body(5))
    s.append(5, body(5, pad=3))
    assert len(s) == 1 and s.oldest(5) == [(5, body(5, pad=3))] and s.bytes == len(body(5, pad=3))


def test_refused_samples_go_to_the_quarantine_file(tmp_path: Path) -> None:
    s = make(tmp_path)
    s.append(1, body(1))
    s.append(2, body(2))
    s.quarantine(s.oldest(1), 422, "timestamp too far ahead")
    line = json.loads(s.quarantine_path.read_text().splitlines()[0])
    assert line["status"] == 422 and line["samples"] == [json.loads(body(1))]
    assert [ts for ts, _ in s.oldest(10)] == [2]


@pytest.mark.parametrize("damage", ["garbage-header", "truncated-file"])
def test_a_damaged_spool_is_moved_aside_and_never_a_crash_loop(tmp_path: Path, damage: str) -> None:
    s = make(tmp_path)
    for ts in range(2000):
        s.append(ts, body(ts, pad=200))
    s.close()
    path = tmp_path / "spool" / DB_NAME
    data = path.read_bytes()
    if damage == "garbage-header":
        path.write_bytes(b"\x00garbage" * 64 + data[512:])
    else:
        path.write_bytes(data[: len(data) * 2 // 3] + b"\xff" * 5000)
    s = make(tmp_path)  # must not raise; what SQLite can still read is copied over (here: nothing)
    assert list((tmp_path / "spool").glob(f"{DB_NAME}.corrupt-*"))
    s.append(99999, body(99999))
    assert s.oldest(100000)[-1][0] == 99999


def test_a_torn_wal_tail_after_a_kill_loses_no_committed_sample(tmp_path: Path) -> None:
    s = make(tmp_path)
    for ts in range(300):
        s.append(ts, body(ts, pad=100))
    # What kill -9 in the middle of the next write leaves: database and WAL as they are, plus half a frame.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for suffix in ("", "-wal"):
        (crashed / (DB_NAME + suffix)).write_bytes((tmp_path / "spool" / (DB_NAME + suffix)).read_bytes())
    with open(crashed / (DB_NAME + "-wal"), "ab") as f:
        f.write(b"\x37" * 3000)
    s.close()
    again = Spool(str(crashed), 10**9, 86400)
    assert [ts for ts, _ in again.oldest(1000)] == list(range(300))
    assert not list(crashed.glob(f"{DB_NAME}.corrupt-*"))


class FullDisk(Spool):
    """The disk-full seam for fast tests; the real thing (a full tmpfs) is in test_faults.py."""

    full = False

    def _insert(self, ts: int, body: str) -> None:
        if self.full:
            raise sqlite3.OperationalError("database or disk is full")
        super()._insert(ts, body)


def test_a_full_disk_holds_samples_in_memory_delivers_them_and_writes_them_later(tmp_path: Path) -> None:
    s = FullDisk(str(tmp_path / "spool"), 10**9, 86400)
    s.append(1, body(1))
    s.full = True
    assert not s.append(2, body(2))
    assert not s.append(3, body(3))
    assert [ts for ts, _ in s.oldest(10)] == [1, 2, 3]  # the sender sees them
    s.delete(s.oldest(2))  # 1 (disk) and 2 (memory) acknowledged
    s.full = False
    assert s.append(4, body(4))
    s.close()
    assert [ts for ts, _ in FullDisk(str(tmp_path / "spool"), 10**9, 86400).oldest(10)] == [3, 4]


def test_memory_is_bounded_and_what_it_drops_is_counted(tmp_path: Path) -> None:
    s = FullDisk(str(tmp_path / "spool"), 10**9, 86400)
    s.full = True
    for ts in range(MEMORY_MAX_SAMPLES + 10):
        s.append(ts, body(ts))
    assert s.dropped == 10 and len(s) == MEMORY_MAX_SAMPLES
    s.full = False
    s.enforce_caps(now=0)
    assert s.dropped == 10


def test_a_spool_that_cannot_be_opened_runs_in_memory_and_moves_to_disk_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_connect = Spool._connect
    refuse = {"on": True}

    def connect(self: Spool, path: Path | str) -> sqlite3.Connection:
        if refuse["on"] and str(path) != ":memory:":
            raise sqlite3.OperationalError("database or disk is full")
        return real_connect(self, path)

    monkeypatch.setattr(Spool, "_connect", connect)
    monkeypatch.setattr("agent.spool.REOPEN_SECONDS", 0.0)
    s = make(tmp_path)  # never raises: the agent keeps sampling
    assert not s.append(1, body(1))
    assert [ts for ts, _ in s.oldest(10)] == [1]
    refuse["on"] = False
    assert s.append(2, body(2))
    s.close()
    assert [ts for ts, _ in make(tmp_path).oldest(10)] == [1, 2]
