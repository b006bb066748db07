"""The spool: durable as sampled, deleted only when acknowledged, capped by age and bytes with a counted drop,
recovered from a damaged file, and holding samples in memory while the disk refuses them."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
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


def test_a_second_repeated_after_newer_ones_or_a_restart_is_counted_once(tmp_path: Path) -> None:
    s = make(tmp_path)
    for ts in (5, 6, 7):
        s.append(ts, body(ts))
    s.delete(s.oldest(1))  # 5 delivered
    s.append(6, body(6, pad=3))  # the clock stepped back: 6 again, older than the newest
    assert len(s) == 2 and s.bytes == len(body(6, pad=3)) + len(body(7))
    s.close()
    s = make(tmp_path)  # a restart: the newest on file is 7
    s.append(7, body(7, pad=5))
    s.append(8, body(8))
    assert len(s) == 3 and s.bytes == len(body(6, pad=3)) + len(body(7, pad=5)) + len(body(8))
    assert [ts for ts, _ in s.oldest(10)] == [6, 7, 8]


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


# -- counters, caps and recovery, case by case (each pins a line a mutation test showed unchecked) --------------

def test_count_and_bytes_follow_appends_and_deletes_without_a_reopen(tmp_path: Path) -> None:
    s = make(tmp_path)
    for ts in (1, 2, 3):
        s.append(ts, body(ts, pad=ts))
    assert len(s) == 3 and s.bytes == sum(len(body(ts, pad=ts)) for ts in (1, 2, 3))
    s.delete(s.oldest(2))
    assert len(s) == 1 and s.bytes == len(body(3, pad=3))
    s.delete([(1, body(1, pad=1))])  # already gone: nothing more to count
    assert len(s) == 1 and s.bytes == len(body(3, pad=3))
    s.delete(s.oldest(10))
    assert len(s) == 0 and s.bytes == 0


def test_the_spool_directory_is_made_with_its_parents_and_private(tmp_path: Path) -> None:
    s = Spool(str(tmp_path / "a" / "b" / "spool"), 10**9, 86400)
    assert s.append(1, body(1))
    assert (tmp_path / "a" / "b" / "spool").stat().st_mode & 0o777 == 0o700


def test_the_sampler_and_the_sender_thread_share_the_spool(tmp_path: Path) -> None:
    s = make(tmp_path)
    errors: list[BaseException] = []

    def send() -> None:
        try:
            s.append(2, body(2))
            s.delete(s.oldest(1))
        except BaseException as e:  # noqa: BLE001 - reported to the test thread
            errors.append(e)

    s.append(1, body(1))
    t = threading.Thread(target=send)
    t.start()
    t.join()
    assert errors == [] and [ts for ts, _ in s.oldest(10)] == [2]


def test_the_byte_cap_keeps_a_spool_exactly_at_the_cap_and_cuts_one_byte_over(tmp_path: Path) -> None:
    sizes = [len(body(ts, pad=10)) for ts in range(3)]
    s = make(tmp_path, max_bytes=sum(sizes))
    for ts in range(3):
        s.append(ts, body(ts, pad=10))
    assert s.enforce_caps(now=0) == 0 and len(s) == 3  # at the cap: nothing to drop
    s.close()
    s = make(tmp_path, max_bytes=sum(sizes) - 1)
    assert s.enforce_caps(now=0) == 1  # one byte over: only the oldest goes
    assert [ts for ts, _ in s.oldest(10)] == [1, 2]
    s.close()
    s = make(tmp_path, max_bytes=sizes[2])
    assert s.enforce_caps(now=0) == 1  # exactly the oldest's bytes over: it alone goes
    assert [ts for ts, _ in s.oldest(10)] == [2]


def test_age_and_byte_caps_and_memory_drops_add_up_and_accumulate(tmp_path: Path) -> None:
    one = len(body(1000, pad=50))
    s = FullDisk(str(tmp_path / "spool"), one * 3, 100)
    for ts in range(1000, 1005):
        s.append(ts, body(ts, pad=50))
    assert s.enforce_caps(now=1100) == 2 and s.dropped == 2  # 2 over the byte cap
    for ts in range(1005, 1010):
        s.append(ts, body(ts, pad=50))
    assert s.enforce_caps(now=1100) == 5 and s.dropped == 7  # 5 more: the count accumulates
    assert [ts for ts, _ in s.oldest(100)] == [1007, 1008, 1009]
    s.full = True
    for ts in range(2000, 2000 + MEMORY_MAX_SAMPLES + 2):
        s.append(ts, body(ts))
    s.full = False
    # the 2 memory dropped and, once written, the samples beyond both caps
    assert s.enforce_caps(now=1100) == 2 and s.dropped == 9  # the 2 memory dropped join the count on disk
    s.close()
    assert FullDisk(str(tmp_path / "spool"), one * 3, 100).dropped == 9


def test_memory_keeps_the_newest_samples(tmp_path: Path) -> None:
    s = FullDisk(str(tmp_path / "spool"), 10**9, 86400)
    s.full = True
    for ts in range(MEMORY_MAX_SAMPLES + 3):
        s.append(ts, body(ts))
    rows = s.oldest(MEMORY_MAX_SAMPLES + 10)
    assert rows[0][0] == 3 and rows[-1][0] == MEMORY_MAX_SAMPLES + 2


def test_appending_never_counts_the_dropped_twice(tmp_path: Path) -> None:
    s = make(tmp_path, max_age=100)
    for ts in range(1000, 1004):
        s.append(ts, body(ts))
    assert s.enforce_caps(now=1102) == 2
    for ts in range(1004, 1008):
        assert s.append(ts, body(ts))
    assert s.dropped == 2 and len(s) == 6
    s.close()
    assert make(tmp_path, max_age=100).dropped == 2


def test_samples_dropped_in_memory_join_the_file_s_count_when_it_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = make(tmp_path, max_age=100)
    for ts in range(1000, 1003):
        s.append(ts, body(ts))
    assert s.enforce_caps(now=1101) == 1
    s.close()
    real_connect = Spool._connect
    refuse = {"on": True}

    def connect(self: Spool, path: Path | str) -> sqlite3.Connection:
        if refuse["on"] and str(path) != ":memory:":
            raise sqlite3.OperationalError("database or disk is full")
        return real_connect(self, path)

    monkeypatch.setattr(Spool, "_connect", connect)
    monkeypatch.setattr("agent.spool.REOPEN_SECONDS", 0.0)
    s = make(tmp_path, max_age=100)
    for ts in range(1003, 1006):
        assert not s.append(ts, body(ts))
    assert s.enforce_caps(now=1104) == 1  # 1003, held in memory, is too old
    refuse["on"] = False
    assert s.append(1006, body(1006))
    assert s.dropped == 2 and [ts for ts, _ in s.oldest(10)] == [1001, 1002, 1004, 1005, 1006]
    s.close()
    again = make(tmp_path, max_age=100)
    assert again.dropped == 2
    assert [ts for ts, _ in again.oldest(10)] == [1001, 1002, 1004, 1005, 1006]


def test_a_spool_in_memory_waits_before_trying_the_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_connect = Spool._connect
    tries: list[str] = []

    def connect(self: Spool, path: Path | str) -> sqlite3.Connection:
        if str(path) != ":memory:":
            tries.append(str(path))
            raise sqlite3.OperationalError("database or disk is full")
        return real_connect(self, path)

    monkeypatch.setattr(Spool, "_connect", connect)
    s = make(tmp_path)
    assert len(tries) == 1
    for ts in range(5):
        assert not s.append(ts, body(ts))
    assert len(tries) == 1  # REOPEN_SECONDS not yet passed: no new attempt per sample


def test_the_in_memory_stand_in_is_capped_at_the_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_connect = Spool._connect

    def connect(self: Spool, path: Path | str) -> sqlite3.Connection:
        if str(path) != ":memory:":
            raise sqlite3.OperationalError("database or disk is full")
        return real_connect(self, path)

    monkeypatch.setattr(Spool, "_connect", connect)
    monkeypatch.setattr("agent.spool.MEMORY_MAX_BYTES", 1000)
    s = make(tmp_path, max_bytes=10**9)
    for ts in range(20):
        s.append(ts, body(ts, pad=100))
    assert s.enforce_caps(now=0) > 0 and s.bytes <= 1000


def test_the_byte_cap_on_disk_is_not_the_memory_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("agent.spool.MEMORY_MAX_BYTES", 1000)
    s = make(tmp_path, max_bytes=10**9)
    for ts in range(20):
        s.append(ts, body(ts, pad=100))
    assert s.enforce_caps(now=0) == 0 and len(s) == 20


def test_quarantine_lines_say_when_why_and_what_and_the_file_rotates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = make(tmp_path)
    for ts in (1, 2, 3):
        s.append(ts, body(ts))
    before = int(time.time())
    s.quarantine(s.oldest(1), 422, "r" * 2000)
    first = s.quarantine_path.read_text()
    line = json.loads(first)
    assert set(line) == {"at", "status", "reason", "samples"}
    assert before <= line["at"] <= time.time() and line["reason"] == "r" * 1000
    monkeypatch.setattr("agent.spool.QUARANTINE_MAX_BYTES", len(first.encode()))
    s.quarantine(s.oldest(1), 422, "r" * 2000)  # the file is at the limit, not over it: appended
    assert len(s.quarantine_path.read_text().splitlines()) == 2
    s.quarantine(s.oldest(1), 400, "bad")  # now over: moved aside, a fresh file started
    rotated = tmp_path / "spool" / "quarantine.jsonl.1"
    assert len(rotated.read_text().splitlines()) == 2
    assert [json.loads(x)["reason"] for x in s.quarantine_path.read_text().splitlines()] == ["bad"]


def test_a_spool_failing_its_check_is_salvaged_row_by_row(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A spool whose pages read fine but which fails quick_check (a NULL where the schema says NOT NULL).
    s = make(tmp_path)
    for ts in (5, 3, 4):
        s.append(ts, body(ts))
    s.close()
    db = sqlite3.connect(str(tmp_path / "spool" / DB_NAME))
    db.execute("CREATE TABLE extra (v INTEGER)")
    db.execute("INSERT INTO extra VALUES (NULL)")
    db.execute("PRAGMA writable_schema=ON")
    db.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE extra (v INTEGER NOT NULL)' WHERE name = 'extra'")
    db.commit()
    db.close()
    with caplog.at_level(logging.WARNING, logger="agent.spool"):
        s = make(tmp_path)
    assert [(ts, b) for ts, b in s.oldest(10)] == [(3, body(3)), (4, body(4)), (5, body(5))]
    assert len(s) == 3 and s.bytes == sum(len(body(ts)) for ts in (3, 4, 5))
    assert "quick_check: NULL value in extra.v" in caplog.text
    assert "spool recovered: 3 samples salvaged" in caplog.text
    aside = list((tmp_path / "spool").glob(f"{DB_NAME}.corrupt-*"))
    assert [p.name for p in aside if p.name.endswith(tuple("0123456789"))]


def test_both_caps_at_once_drop_only_what_each_requires(tmp_path: Path) -> None:
    """The age cap's deletions count before the byte cap is measured: with 10 samples, 2 too old and room for
    3, exactly 7 go (the 2 old ones and the 5 oldest of the rest), not 9."""
    one = len(body(1000, pad=100))  # every sample here is this size (four-digit timestamps)
    s = make(tmp_path, max_age=100, max_bytes=one * 3)
    for ts in range(1000, 1010):
        s.append(ts, body(ts, pad=100))
    assert s.enforce_caps(now=1102) == 7
    assert [ts for ts, _ in s.oldest(100)] == [1007, 1008, 1009] and s.dropped == 7


# -- what the operator reads, and the failure paths behind it (each message in full: the path, the reason and the
# -- counts are how someone at a broken host learns what happened) ------------------------------------------------

def messages(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "agent.spool"]


def refuse_file(monkeypatch: pytest.MonkeyPatch, tries: list[str]) -> dict[str, bool]:
    real_connect = Spool._connect
    refuse = {"on": True}

    def connect(self: Spool, path: Path | str) -> sqlite3.Connection:
        if str(path) != ":memory:":
            tries.append(str(path))
            if refuse["on"]:
                raise sqlite3.OperationalError("database or disk is full")
        return real_connect(self, path)

    monkeypatch.setattr(Spool, "_connect", connect)
    return refuse


def test_an_unopenable_spool_says_so_retries_quietly_and_says_when_it_is_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tries: list[str] = []
    refuse = refuse_file(monkeypatch, tries)
    monkeypatch.setattr("agent.spool.REOPEN_SECONDS", 0.0)
    path = tmp_path / "spool" / DB_NAME
    with caplog.at_level(logging.DEBUG, logger="agent.spool"):
        s = make(tmp_path)
        s.append(1, body(1))  # a retry that fails again: debug only
        refuse["on"] = False
        s.append(2, body(2))
    assert messages(caplog) == [
        ("ERROR", f"cannot open the spool {path} (database or disk is full): holding samples in memory until it "
                  "can be opened"),
        ("DEBUG", "the spool file still cannot be used: database or disk is full"),
        ("INFO", f"spool file {path} opened: samples held in memory are on disk now"),
    ]
    assert tries == [str(path)] * 3
    assert s.dropped == 0  # a fresh file holds no drop count yet: nothing is added to it


def test_a_failed_reopen_waits_its_full_interval_before_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tries: list[str] = []
    refuse_file(monkeypatch, tries)
    s = make(tmp_path)
    monkeypatch.setattr("agent.spool.REOPEN_SECONDS", 1000.0)
    s._retry_at = 0.0  # the interval has passed: the next append tries the file once
    before = time.monotonic()
    for ts in range(3):
        s.append(ts, body(ts))
    assert len(tries) == 2  # the open, then one retry: not one per sample
    assert s._retry_at >= before + 1000.0


def test_a_damaged_spool_says_where_it_went_and_how_much_was_saved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = make(tmp_path)
    for ts in range(50):
        s.append(ts, body(ts, pad=200))
    s.close()
    # A WAL and its index beside the damaged file belong to it and go with it (their bytes kept for a human).
    spool_dir = tmp_path / "spool"
    wal, shm = b"W" * 100, b"S" * 100
    path = spool_dir / DB_NAME
    path.write_bytes(b"\x00garbage" * 64 + path.read_bytes()[512:])
    (spool_dir / (DB_NAME + "-wal")).write_bytes(wal)
    (spool_dir / (DB_NAME + "-shm")).write_bytes(shm)
    with caplog.at_level(logging.DEBUG, logger="agent.spool"):
        s = make(tmp_path)
    [aside] = [p for p in spool_dir.glob(f"{DB_NAME}.corrupt-*") if p.name.endswith(tuple("0123456789"))]
    assert (spool_dir / (aside.name + "-wal")).read_bytes() == wal
    assert (spool_dir / (aside.name + "-shm")).exists()  # its content is SQLite's to rewrite (an index)
    fresh_wal = spool_dir / (DB_NAME + "-wal")
    assert not fresh_wal.exists() or fresh_wal.read_bytes() != wal  # never replayed into the fresh spool
    got = messages(caplog)
    assert got[0] == ("ERROR", f"spool {path} is damaged (file is not a database): moved to {aside}, salvaging "
                               "what is readable")
    assert got[1] == ("WARNING", "salvage stopped after 0 samples: file is not a database")
    assert got[2] == ("WARNING", f"spool recovered: 0 samples salvaged from {aside}")
    # The fresh spool is the file at the spool's own path: what goes in now survives a restart.
    s.append(7, body(7))
    s.close()
    assert [ts for ts, _ in make(tmp_path).oldest(10)] == [7]


def test_a_full_disk_says_so_once_and_says_when_it_is_writable_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = FullDisk(str(tmp_path / "spool"), 10**9, 86400)
    s.full = True
    with caplog.at_level(logging.INFO, logger="agent.spool"):
        s.append(1, body(1))
        s.append(2, body(2))  # memory is already in use: no new error per sample
        assert s.oldest(10) == [(1, body(1)), (2, body(2))]  # the bodies themselves wait in memory
        s.full = False
        s.append(3, body(3))
    assert messages(caplog) == [
        ("ERROR", "cannot write to the spool (database or disk is full): keeping samples in memory until it can"),
        ("INFO", "spool writable again: samples held in memory are on disk"),
    ]
    s.close()
    assert make(tmp_path).oldest(10) == [(1, body(1)), (2, body(2)), (3, body(3))]


def test_samples_that_cannot_reach_the_disk_at_exit_are_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = FullDisk(str(tmp_path / "spool"), 10**9, 86400)
    s.full = True
    for ts in (1, 2):
        s.append(ts, body(ts))
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="agent.spool"):
        s.close()
    assert messages(caplog) == [("ERROR", "2 samples could not reach the spool before exit")]


def test_an_unwritable_quarantine_file_says_the_samples_are_lost_and_forgets_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = make(tmp_path)
    s.append(1, body(1))
    s.quarantine_path.mkdir()  # a directory where the file should be: open() fails
    with caplog.at_level(logging.ERROR, logger="agent.spool"):
        s.quarantine(s.oldest(1), 422, "bad")
    [(level, text)] = messages(caplog)
    assert level == "ERROR" and text.startswith(f"cannot write the quarantine file {s.quarantine_path} (")
    assert "Is a directory" in text and text.endswith("): the refused samples are lost")
    assert len(s) == 0


def refuse_deletes(s: Spool) -> None:
    s._db.execute("CREATE TRIGGER refuse BEFORE DELETE ON samples BEGIN SELECT RAISE(ABORT, 'refused'); END")


def test_caps_that_fail_to_apply_roll_back_drop_nothing_and_say_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = make(tmp_path, max_age=10)
    for ts in range(5):
        s.append(ts, body(ts))
    refuse_deletes(s)
    with caplog.at_level(logging.WARNING, logger="agent.spool"):
        assert s.enforce_caps(now=100) == 0
    assert messages(caplog) == [("WARNING", "enforcing the spool caps failed: refused")]
    assert not s._db.in_transaction  # rolled back: the spool goes on
    assert len(s) == 5 and s.dropped == 0 and [ts for ts, _ in s.oldest(10)] == [0, 1, 2, 3, 4]
    s._db.execute("DROP TRIGGER refuse")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="agent.spool"):
        assert s.enforce_caps(now=100) == 5
    assert messages(caplog) == [("WARNING", "spool cap reached: dropped the 5 oldest samples (5 since the spool "
                                            "began)")]


def test_a_delete_that_fails_rolls_back_and_keeps_the_counts(tmp_path: Path) -> None:
    s = make(tmp_path)
    for ts in range(3):
        s.append(ts, body(ts))
    refuse_deletes(s)
    with pytest.raises(sqlite3.Error):
        s.delete(s.oldest(2))
    assert not s._db.in_transaction
    assert len(s) == 3 and s.bytes == sum(len(body(ts)) for ts in range(3))
    s._db.execute("DROP TRIGGER refuse")
    s.delete(s.oldest(2))
    assert [ts for ts, _ in s.oldest(10)] == [2]


def test_the_byte_cap_cuts_until_the_excess_is_freed_not_one_byte_short(tmp_path: Path) -> None:
    one = len(body(1000, pad=100))
    s = make(tmp_path, max_bytes=2 * one - 1)  # three samples: the excess is one sample and one byte
    for ts in (1000, 1001, 1002):
        s.append(ts, body(ts, pad=100))
    assert s.enforce_caps(now=1002) == 2
    assert [ts for ts, _ in s.oldest(10)] == [1002] and s.bytes == one
