"""One evaluation cycle against a real store (SQLite and a real influxd): batching, per-mount/per-GPU rules,
overrides, offline hosts, persistence across a restart of the evaluator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerting.engine import Evaluator
from statusmon.meta.alerts import AlertDB
from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import MetaDB
from statusmon.meta.settings import GlobalSettings
from statusmon.store.base import DiskSample, GpuSample, Sample, TimeSeriesStore
from tests.conftest import make_meta
from tests.store.conftest import make_store

NOW = int(time.time()) // 10 * 10


class CountingStore:
    """The real store, counting ``points`` queries."""

    def __init__(self, inner: TimeSeriesStore):
        self.inner = inner
        self.backend = inner.backend
        self.queries: list[str] = []

    def points(self, family: str, *args: Any, **kwargs: Any) -> Any:
        self.queries.append(family)
        return self.inner.points(family, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(params=[("sqlite", "sqlite"), pytest.param(("influxdb", "sqlite"), marks=pytest.mark.influx),
                        pytest.param(("sqlite", "postgresql"), marks=pytest.mark.postgres)],
                ids=["sqlite", "influxdb", "sqlite-pgmeta"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[MetaDB, CountingStore]]:
    """(store backend, metadata backend): the engine on each store, and on the metadata in PostgreSQL."""
    store = make_store(request.param[0], tmp_path, request)
    meta = make_meta(request.param[1], tmp_path, request)
    # Only what each test sets up: no default thresholds, a long offline timeout, no reminders.
    GlobalSettings(meta).update({"thresholds": {}, "online_timeout_seconds": 3600, "alert_repeat_hours": 0})
    yield meta, CountingStore(store)
    store.close()


def add_rule(meta: MetaDB, metric_type: str, threshold: float, duration: int, client_id: str | None = None,
             **extra: Any) -> int:
    cols = {"client_id": client_id, "metric_type": metric_type, "threshold": threshold,
            "duration_sec": duration, "direction": "above", "mount": None, "gpu": None, "enabled": 1,
            "created_at": 0, "updated_at": 0, **extra}
    with meta.tx() as conn:
        marks = ", ".join("?" * len(cols))
        row = conn.execute(f"INSERT INTO alert_rules ({', '.join(cols)}) VALUES ({marks}) RETURNING id",
                           tuple(cols.values())).fetchone()
    return int(row[0])


def sample(ts: int, cpu: float = 10.0, disks: dict[str, float] | None = None,
           gpus: dict[int, float] | None = None) -> Sample:
    return Sample(ts=ts, values={"cpu_percent": cpu},
                  disks=tuple(DiskSample(m, int(p * 10), 1000, 1, 100) for m, p in (disks or {}).items()),
                  gpus=tuple(GpuSample(i, temp_c=t, util_percent=1.0) for i, t in (gpus or {}).items()))


def seen(meta: MetaDB, client_id: str, ts: int) -> None:
    ClientRegistry(meta).record_report(client_id, "1.0", {"ts": ts}, None)


def outbox(meta: MetaDB) -> list[tuple[str, str, str | None, Any]]:
    rows = meta.query("SELECT event FROM alert_outbox ORDER BY id")
    import json

    events: list[dict[str, Any]] = []
    for r in rows:
        e = json.loads(r["event"])
        if e["kind"] == "group":  # one cycle's several events: one grouped message, naming the first five
            assert e["count"] == len(e["events"]) <= 5
            events += e["events"]
        else:
            events.append(e)
    return [(e["kind"], e["metric_type"], e["mount"] if e["mount"] is not None else e["gpu"], e["hostname"])
            for e in events]


def evaluator(meta: MetaDB, store: CountingStore) -> Evaluator:
    return Evaluator(meta, store, "https://mon.example", channels=lambda gs: ["slack"])  # type: ignore[arg-type]


def test_one_query_per_family_for_all_clients(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    reg = ClientRegistry(meta)
    for i in range(5):
        c, _ = reg.add(f"host-{i}")
        store.write(c.id, c.hostname, [sample(NOW - 60 + 10 * k, 99.0 if i == 3 else 10.0,
                                              {"/": 50.0}, {0: 40.0}) for k in range(7)])
    add_rule(meta, "cpu_percent", 95, 60)
    add_rule(meta, "ram_percent", 95, 60)
    add_rule(meta, "mount_used_percent", 90, 60)
    add_rule(meta, "gpu_temp_c", 85, 60)
    report = evaluator(meta, store).run_cycle(NOW + 1)
    assert sorted(store.queries) == ["disk", "gpu", "system"]
    assert report.queries == 3 and report.series == 15
    assert outbox(meta) == [("firing", "cpu_percent", None, "host-3")]


def test_per_mount_and_per_gpu_rules_fire_for_the_one_that_crossed(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    c, _ = ClientRegistry(meta).add("gpu-1")
    store.write(c.id, c.hostname, [sample(NOW - 60 + 10 * k, 10, {"/": 50.0, "/data": 95.0},
                                          {0: 40.0, 1: 90.0, 2: 30.0}) for k in range(7)])
    add_rule(meta, "mount_used_percent", 90, 60)
    add_rule(meta, "gpu_temp_c", 85, 60)
    add_rule(meta, "gpu_temp_c", 25, 0, client_id=c.id, gpu=2)  # narrowed to GPU 2: overrides for GPU 2 only
    evaluator(meta, store).run_cycle(NOW + 1)
    assert sorted(outbox(meta), key=str) == sorted([
        ("firing", "mount_used_percent", "/data", "gpu-1"),
        ("firing", "gpu_temp_c", 1, "gpu-1"),
        ("firing", "gpu_temp_c", 2, "gpu-1"),
    ], key=str)
    history = meta.query("SELECT metric_type, series_key, value, started_at, fired_at FROM alert_history"
                         " ORDER BY metric_type, series_key")
    assert [tuple(r) for r in history] == [
        ("gpu_temp_c", "1", 90.0, NOW - 60, NOW), ("gpu_temp_c", "2", 30.0, NOW - 60, NOW - 60),
        ("mount_used_percent", "/data", 95.0, NOW - 60, NOW)]


def test_a_client_rule_overrides_the_default(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    GlobalSettings(meta).update({"thresholds": {"cpu_percent": {"threshold": 95, "duration_sec": 30,
                                                                "direction": "above", "enabled": True}}})
    reg = ClientRegistry(meta)
    quiet, _ = reg.add("batch-1")  # runs hot by design: its own rule says 99.5
    loud, _ = reg.add("web-1")
    silenced, _ = reg.add("lab-1")  # a disabled client rule silences the default
    for c in (quiet, loud, silenced):
        store.write(c.id, c.hostname, [sample(NOW - 60 + 10 * k, 97.0) for k in range(7)])
    add_rule(meta, "cpu_percent", 99.5, 30, client_id=quiet.id)
    add_rule(meta, "cpu_percent", 50, 30, client_id=silenced.id, enabled=0)
    evaluator(meta, store).run_cycle(NOW + 1)
    assert outbox(meta) == [("firing", "cpu_percent", None, "web-1")]


def test_restart_neither_repeats_nor_forgets(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    c, _ = ClientRegistry(meta).add("web-1")
    add_rule(meta, "cpu_percent", 95, 60)
    store.write(c.id, c.hostname, [sample(NOW - 100 + 10 * k, 97.0) for k in range(4)])  # -100..-70: pending
    evaluator(meta, store).run_cycle(NOW - 65)
    assert outbox(meta) == [] and AlertDB(meta).load_states()[("rule:1", c.id, "")][1].status == "pending"
    # A new evaluator (a restarted worker) continues the pending timer from -100.
    store.write(c.id, c.hostname, [sample(NOW - 60 + 10 * k, 97.0) for k in range(3)])  # -60..-40
    evaluator(meta, store).run_cycle(NOW - 35)
    assert outbox(meta) == [("firing", "cpu_percent", None, "web-1")]
    evaluator(meta, store).run_cycle(NOW - 30)  # and another restart: nothing repeated
    evaluator(meta, store).run_cycle(NOW - 25)
    assert len(outbox(meta)) == 1
    store.write(c.id, c.hostname, [sample(NOW - 20, 20.0), sample(NOW - 10, 20.0)])
    evaluator(meta, store).run_cycle(NOW - 5)
    evaluator(meta, store).run_cycle(NOW)
    assert [k for k, *_ in outbox(meta)] == ["firing", "resolved"]
    (row,) = meta.query("SELECT resolved_at, resolved_value, resolution FROM alert_history")
    assert tuple(row) == (NOW - 20, 20.0, "resolved")


def test_offline_then_back(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    GlobalSettings(meta).update({"online_timeout_seconds": 60})
    reg = ClientRegistry(meta)
    c, _ = reg.add("web-1")
    reg.add("never-seen")
    seen(meta, c.id, NOW - 100)
    evaluator(meta, store).run_cycle(NOW)
    evaluator(meta, store).run_cycle(NOW + 10)
    assert outbox(meta) == [("firing", "offline", None, "web-1")]
    seen(meta, c.id, NOW + 15)
    evaluator(meta, store).run_cycle(NOW + 20)
    assert outbox(meta) == [("firing", "offline", None, "web-1"), ("resolved", "offline", None, "web-1")]


def test_deleting_a_firing_rule_closes_its_incident_quietly(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    c, _ = ClientRegistry(meta).add("web-1")
    rule_id = add_rule(meta, "cpu_percent", 95, 0)
    store.write(c.id, c.hostname, [sample(NOW - 10, 97.0)])
    evaluator(meta, store).run_cycle(NOW)
    meta.execute("DELETE FROM alert_rules WHERE id = ?", (rule_id,))
    evaluator(meta, store).run_cycle(NOW + 10)
    assert len(outbox(meta)) == 1
    assert AlertDB(meta).load_states() == {}
    (row,) = meta.query("SELECT resolution FROM alert_history")
    assert row["resolution"] == "rule removed"


def test_progress_written_lazily_is_replayed_without_repeats(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    c, _ = ClientRegistry(meta).add("web-1")
    add_rule(meta, "cpu_percent", 95, 20)
    lazy = Evaluator(meta, store, channels=lambda gs: ["slack"], flush_every=3600)  # type: ignore[arg-type]
    store.write(c.id, c.hostname, [sample(NOW - 100 + 10 * k, 97.0) for k in range(3)])  # fires at -80
    lazy.run_cycle(NOW - 75)
    for k in range(5):  # more breaching samples: progress only, kept in memory
        store.write(c.id, c.hostname, [sample(NOW - 70 + 10 * k, 97.0)])
        lazy.run_cycle(NOW - 65 + 10 * k)
    (stored,) = AlertDB(meta).load_states().values()
    assert stored[1].last_ts == NOW - 80  # the last written state: progress was not flushed
    # Killed here. The next worker replays -70..-30 from the written state: same path, nothing repeated.
    evaluator(meta, store).run_cycle(NOW - 20)
    assert outbox(meta) == [("firing", "cpu_percent", None, "web-1")]
    store.write(c.id, c.hostname, [sample(NOW - 10, 5.0)])
    evaluator(meta, store).run_cycle(NOW)
    assert [k for k, *_ in outbox(meta)] == ["firing", "resolved"]


def test_removing_a_client_closes_its_open_incidents(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    c, _ = ClientRegistry(meta).add("web-1")
    add_rule(meta, "cpu_percent", 95, 0)
    store.write(c.id, c.hostname, [sample(NOW - 10, 97.0)])
    evaluator(meta, store).run_cycle(NOW)
    ClientRegistry(meta).remove(c.id)
    evaluator(meta, store).run_cycle(NOW + 10)
    (row,) = meta.query("SELECT resolved_at, resolution FROM alert_history")
    assert tuple(row) == (NOW + 10, "client removed") and AlertDB(meta).load_states() == {}


def test_many_hosts_offline_in_one_cycle_make_one_message_per_channel_but_one_pagerduty_event_each() -> None:
    from statusmon.notify.grouping import outbox_rows

    events = [{"kind": "firing", "alert": "offline", "hostname": f"h{i}", "metric_type": "offline", "mount": None,
               "gpu": None, "since": 0, "at": 100, "duration_sec": 60, "client_id": f"c{i}", "rule": "offline"}
              for i in range(300)]
    rows = outbox_rows(["slack", "pagerduty", "webhook"], events, 100)
    assert [ch for ch, _ in rows].count("slack") == 1 and [ch for ch, _ in rows].count("webhook") == 1
    assert [ch for ch, _ in rows].count("pagerduty") == 300  # one event per incident: PagerDuty's model
    (group,) = [e for ch, e in rows if ch == "slack"]
    assert group["count"] == 300 and len(group["hostnames"]) == 300 and len(group["events"]) == 5
    assert outbox_rows(["slack"], events[:1], 100) == [("slack", events[0])]  # one alone stays itself


def test_alerts_go_only_to_the_channels_named_in_alert_channels(env: tuple[MetaDB, CountingStore]) -> None:
    meta, store = env
    GlobalSettings(meta).update({"online_timeout_seconds": 60, "alert_channels": ["telegram", "email"]})
    c, _ = ClientRegistry(meta).add("web-1")
    seen(meta, c.id, NOW - 100)
    Evaluator(meta, store, channels=lambda gs: ["slack", "telegram", "ntfy"]).run_cycle(NOW)  # type: ignore[arg-type]
    assert [r["channel"] for r in meta.query("SELECT channel FROM alert_outbox")] == ["telegram"]
    GlobalSettings(meta).update({"alert_channels": None})  # null: every active channel
    seen(meta, c.id, NOW + 5)
    Evaluator(meta, store, channels=lambda gs: ["slack", "ntfy"]).run_cycle(NOW + 10)  # type: ignore[arg-type]
    assert [r["channel"] for r in meta.query("SELECT channel FROM alert_outbox ORDER BY id")] == [
        "telegram", "slack", "ntfy"]
