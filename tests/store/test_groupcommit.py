"""Group commit: every concurrent batch is stored exactly once before its writer returns; failures reach all."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from statusmon.store.base import Sample, StoreUnavailable, TimeSeriesStore
from statusmon.store.groupcommit import GroupCommit

BASE = int(time.time()) - 3600


class SlowStore:
    """Wraps a real store and makes each write take a while, so that concurrent batches queue up."""

    def __init__(self, inner: TimeSeriesStore, fail: bool = False):
        self.inner, self.fail, self.calls = inner, fail, 0

    def write_many(self, batches: Sequence[tuple[str, str, Sequence[Sample]]]) -> int:
        self.calls += 1
        time.sleep(0.02)
        if self.fail:
            raise StoreUnavailable("down")
        return self.inner.write_many(batches)


def test_concurrent_batches_are_all_stored_in_fewer_writes(store: TimeSeriesStore) -> None:
    slow = SlowStore(store)
    seen: list[object] = []
    gc = GroupCommit(slow, after_write=seen.extend)  # type: ignore[arg-type]
    stored_before_return: list[bool] = []

    def agent(i: int) -> None:
        samples = [Sample(BASE + i * 10 + k, {"cpu_percent": float(i)}) for k in range(10)]
        gc.write(f"c{i}", "h", samples, extra=i)
        got = store.series(f"c{i}", BASE, BASE + 10_000, None).get("")
        stored_before_return.append(got is not None and len(got.time) == 10)

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(stored_before_return) and len(stored_before_return) == 40
    assert sorted(seen) == list(range(40))  # type: ignore[type-var]
    assert gc.batches == 40 and slow.calls == gc.writes < 40
    everything = store.points("system", BASE, BASE + 10_000, ["cpu_percent"])
    assert sum(len(s.time) for s in everything.values()) == 400


def test_a_failed_write_fails_every_batch_in_it(store: TimeSeriesStore) -> None:
    gc = GroupCommit(SlowStore(store, fail=True))  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def agent(i: int) -> None:
        try:
            gc.write(f"c{i}", "h", [Sample(BASE, {"cpu_percent": 1.0})])
        except StoreUnavailable as e:
            errors.append(e)

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 10
    assert store.points("system", BASE - 1, BASE + 1) == {}


def test_one_writer_alone_writes_its_own_batch(store: TimeSeriesStore) -> None:
    gc = GroupCommit(store)
    assert gc.write("c", "h", [Sample(BASE, {"cpu_percent": 1.0})]) == 1
    assert gc.writes == 1 and store.series("c", BASE, BASE + 1, None)[""].values["cpu_percent"] == [1.0]


def test_sqlite_store_in_threads_is_safe(tmp_path: pytest.TempPathFactory) -> None:
    from statusmon.store.sqlite import SQLiteStore

    s = SQLiteStore(str(tmp_path) + "/x.db")  # type: ignore[operator]
    gc = GroupCommit(s)
    threads = [threading.Thread(target=gc.write, args=(f"c{i}", "h", [Sample(BASE + i, {"cpu_percent": 1.0})]))
               for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(s.points("system", BASE, BASE + 100)) == 20


class RefusingStore:
    """Refuses any write that holds client "bad" (as InfluxDB refuses a batch it cannot parse)."""

    def __init__(self, inner: TimeSeriesStore):
        self.inner = inner

    def write_many(self, batches: Sequence[tuple[str, str, Sequence[Sample]]]) -> int:
        time.sleep(0.01)
        if any(b[0] == "bad" for b in batches):
            raise ValueError("refused")
        return self.inner.write_many(batches)


def test_a_refused_batch_fails_alone(store: TimeSeriesStore) -> None:
    gc = GroupCommit(RefusingStore(store))  # type: ignore[arg-type]
    outcome: dict[str, str] = {}

    def agent(name: str) -> None:
        try:
            gc.write(name, "h", [Sample(BASE, {"cpu_percent": 1.0})])
            outcome[name] = "ok"
        except ValueError:
            outcome[name] = "refused"

    threads = [threading.Thread(target=agent, args=(n,)) for n in ["bad", *(f"good{i}" for i in range(15))]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcome.pop("bad") == "refused"
    assert set(outcome.values()) == {"ok"} and len(outcome) == 15
    assert len(store.points("system", BASE, BASE + 1)) == 15


def test_a_busy_leader_gathers_and_an_idle_one_does_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pause for reports queued behind (``gather``) is taken only when writes come back to back."""
    from statusmon.store import groupcommit
    from statusmon.store.sqlite import SQLiteStore

    pauses: list[float] = []
    monkeypatch.setattr(groupcommit, "time", SimpleNamespace(sleep=pauses.append, monotonic=time.monotonic))
    s = SQLiteStore(tmp_path / "x.db")
    gc = GroupCommit(s, gather=0.001)
    gc.write("a", "h", [Sample(BASE, {"cpu_percent": 1.0})])
    assert pauses == []  # the first write: nothing before it
    gc.write("b", "h", [Sample(BASE, {"cpu_percent": 1.0})])
    assert pauses == [0.001]  # right after another: busy
    time.sleep(groupcommit.BUSY_GAP * 2)
    gc.write("c", "h", [Sample(BASE, {"cpu_percent": 1.0})])
    assert pauses == [0.001]  # a quiet moment since the last: no pause
    assert len(s.points("system", BASE, BASE + 1)) == 3


GEVENT_SCRIPT = """
from gevent import monkey
monkey.patch_all()
import json, sys, time
import gevent
from statusmon.store.base import DiskSample, Sample
from statusmon.store.groupcommit import GroupCommit
from statusmon.store.sqlite import SQLiteStore

store = SQLiteStore(sys.argv[1])
gc = GroupCommit(store, gather=float(sys.argv[2]))
base = int(time.time()) - 60

def agent(i, r):
    gevent.sleep(0)  # all of a round are ready at once, as requests waiting for a busy worker are
    gc.write(f"c{i}", "h", [Sample(base + r * 10 + k, {"cpu_percent": float(i)},
                                   disks=(DiskSample("/", 1, 2, 3, 4),)) for k in range(10)])

for r in range(5):
    gevent.joinall([gevent.spawn(agent, i, r) for i in range(40)], raise_error=True)
rows = sum(len(v.time) for v in store.points("system", base, base + 100).values())
print(json.dumps({"writes": gc.writes, "batches": gc.batches, "rows": rows}))
"""


@pytest.mark.parametrize("gather", [0.001, 0.0])
def test_sqlite_writes_group_under_gevent_only_with_gather(tmp_path: Path, gather: float) -> None:
    """Under gevent (its own process: monkey-patching), SQLite's write never yields, so without ``gather`` every
    report is a transaction of its own however many wait; with it, the waiting ones share a few."""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", GEVENT_SCRIPT, str(tmp_path / "g.db"), str(gather)], cwd=root,
                         capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout)
    assert got["batches"] == 200 and got["rows"] == 2000  # every batch stored, each exactly once
    if gather:
        assert got["writes"] <= 20, got
    else:
        assert got["writes"] == 200, got
