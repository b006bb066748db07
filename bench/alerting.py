"""One alerting evaluation cycle for 1,000 clients with 10 rules each, on SQLite and on a real influxd.

    .venv/bin/python -m bench.alerting                     # both backends
    .venv/bin/python -m bench.alerting --backend influxdb --clients 1000 --cycles 5
    .venv/bin/python -m bench.alerting --scenario outage --backend sqlite   # only the fleet outage below

Each client has 2 mounts and 2 GPUs and 10 per-client rules (6 host-wide metrics, 2 per-mount, 2 per-GPU:
14 evaluations per client), samples every 10 s for the last 5 minutes, and 5 % of them run hot. Measured:
the cold cycle (a fresh worker: no states, reads the whole catch-up window) and steady cycles (one new sample
per client since the last cycle, the normal case). Each cycle = reading settings/rules/states, one query per
metric family, evaluation, and the one write transaction (states, history, outbox). Delivery is not timed.
Prints a table and writes JSON to bench/results/, naming the machine. Target: <= 1 s per cycle on InfluxDB.

The ``outage`` scenario (``--scenario outage``): the same fleet reports every 10 s for a few cycles, then all
of it stops reporting at once; the cycle that sees the 1,000 hosts past the offline timeout queues one grouped
message per channel (PagerDuty: one event per incident). Measured, in the same run: that cycle against the
normal cycles before it (new samples, nothing changes) and the quiet ones between the last report and the
timeout (no new samples either: the same reads as the outage cycle), and the time from the end of the outage
cycle (its one transaction committed) to each channel's loopback receiver (tests/alerting/receiver.py) having
its message, delivered by the worker's own Dispatcher as its loop does right after the cycle. Target: <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from alerting.delivery import Dispatcher
from alerting.engine import CycleReport, Evaluator
from bench.common import machine, table, write_json
from statusmon.meta.alerts import AlertDB
from statusmon.meta.clients import ClientRegistry, Report
from statusmon.meta.db import MetaDB
from statusmon.meta.settings import GlobalSettings
from statusmon.notify import HttpClient
from statusmon.store.base import DiskSample, GpuSample, Sample, TimeSeriesStore

RULES = [("cpu_percent", 95.0), ("ram_percent", 95.0), ("disk_percent", 90.0), ("inode_percent", 90.0),
         ("docker_bytes", 5e11), ("gpu_percent", 99.0), ("mount_used_percent", 90.0),
         ("mount_inodes_percent", 90.0), ("gpu_temp_c", 85.0), ("gpu_mem_percent", 95.0)]
STEP = 10


def sample(ts: int, hot: bool) -> Sample:
    v = 97.0 if hot else 30.0
    return Sample(ts=ts, values={"cpu_percent": v, "ram_percent": 40.0, "disk_percent": 50.0,
                                 "inode_percent": 5.0, "docker_bytes": 10 ** 10, "gpu_percent": 50.0},
                  disks=(DiskSample("/", 500, 1000, 10, 100),
                         DiskSample("/data", 950 if hot else 100, 1000, 1, 100)),
                  gpus=(GpuSample(0, util_percent=50.0, mem_used_bytes=10, mem_total_bytes=80, temp_c=60.0),
                        GpuSample(1, util_percent=50.0, mem_used_bytes=10, mem_total_bytes=80,
                                  temp_c=90.0 if hot else 60.0)))


def setup(meta: MetaDB, store: TimeSeriesStore, clients: int, start: int, end: int) -> list[str]:
    GlobalSettings(meta).update({"thresholds": {}, "online_timeout_seconds": 3600, "alert_repeat_hours": 24})
    ids = [f"bench{i:05d}" for i in range(clients)]
    with meta.tx() as conn:
        conn.executemany("INSERT INTO clients (id, hostname, token_hash, created_at, last_seen)"
                         " VALUES (?, ?, 'x', 0, ?)", [(c, f"host-{c}", end) for c in ids])
        conn.executemany(
            "INSERT INTO alert_rules (client_id, metric_type, threshold, duration_sec, direction, enabled,"
            " created_at, updated_at) VALUES (?, ?, ?, 60, 'above', 1, 0, 0)",
            [(c, m, t) for c in ids for m, t in RULES])
    for i, c in enumerate(ids):
        store.write(c, f"host-{c}", [sample(ts, i % 20 == 0) for ts in range(start, end + 1, STEP)])
    return ids


def write_tick(store: TimeSeriesStore, ids: list[str], ts: int) -> None:
    for i, c in enumerate(ids):
        store.write(c, f"host-{c}", [sample(ts, i % 20 == 0)])


def timed(ev: Evaluator, now: float) -> tuple[CycleReport, float]:
    """The cycle, and the worker's own CPU time in it (on a busy shared box wall time includes waiting)."""
    c0 = time.process_time()
    report = ev.run_cycle(now)
    return report, time.process_time() - c0


def row(backend: str, phase: str, timing: tuple[CycleReport, float]) -> dict[str, Any]:
    r, cpu = timing
    return {"backend": backend, "phase": phase, "total_ms": round(r.total_s * 1000, 1),
            "cpu_ms": round(cpu * 1000, 1),
            **{f"{k}_ms": round(v * 1000, 1) for k, v in r.timings.items()},
            "queries": r.queries, "series": r.series, "points": r.points, "evaluations": r.evaluations,
            "transitions": r.transitions, "states": r.states}


def raw_queries(url: str, start: int, end: int) -> float:
    """The baseline: the same three reads (every field and tag of each family for the cycle's window) sent
    straight to InfluxDB side by side, as the worker sends its own; wall ms until all three are parsed."""
    import requests

    def one(measurement: str) -> int:
        r = requests.get(url + "/query", timeout=60, params={
            "db": "bench", "epoch": "s",
            "q": f'SELECT * FROM "{measurement}" WHERE time >= {start}s AND time < {end}s'})
        r.raise_for_status()
        return sum(len(s.get("values") or []) for res in r.json()["results"] for s in res.get("series") or [])

    t = time.perf_counter()
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(one, ("system", "disk", "gpu")))
    return round((time.perf_counter() - t) * 1000, 1)


def open_backend(backend: str, tmp: Path) -> tuple[TimeSeriesStore, Any]:
    """The store, and the influxd behind it (None on SQLite)."""
    if backend == "influxdb":
        from statusmon.store.influx import InfluxStore
        from tests.support.influxd import start_influxd

        influxd = start_influxd(tmp / "influxd")
        store: TimeSeriesStore = InfluxStore(influxd.url, db="bench")
        store.ensure_database()  # type: ignore[attr-defined]
        return store, influxd
    from statusmon.store.sqlite import SQLiteStore

    return SQLiteStore(tmp / "metrics.db"), None


def run_backend(backend: str, clients: int, cycles: int, tmp: Path) -> list[dict[str, Any]]:
    store, influxd = open_backend(backend, tmp)
    try:
        meta = MetaDB(tmp / "meta.db")
        t0 = int(time.time()) - 3600
        t0 -= t0 % STEP
        t_setup = time.perf_counter()
        ids = setup(meta, store, clients, t0 - 300, t0)
        print(f"{backend}: {clients} clients, {len(ids) * len(RULES)} rules, data written in "
              f"{time.perf_counter() - t_setup:.1f} s")
        ev = Evaluator(meta, store, "https://mon.example", channels=lambda gs: ["slack"])
        rows = [row(backend, "cold", timed(ev, t0 + 1))]
        if influxd is not None:
            rows[-1]["raw_query_ms"] = raw_queries(influxd.url, t0 - 300, t0 + 1)
        for k in range(1, cycles + 1):
            write_tick(store, ids, t0 + k * STEP)
            rows.append(row(backend, f"steady {k}", timed(ev, t0 + k * STEP + 1)))
            if influxd is not None:
                rows[-1]["raw_query_ms"] = raw_queries(influxd.url, t0 + (k - 1) * STEP + 1, t0 + k * STEP + 1)
        return rows
    finally:
        store.close()
        if influxd is not None:
            influxd.stop()


# -- the outage scenario -------------------------------------------------------------------------------------

OUTAGE_TIMEOUT = 60  # online_timeout_seconds in the outage scenario (the default): five quiet cycles before
WORKER_INTERVAL = 10.0  # STATUSMON_ALERT_INTERVAL's default: the worker's delivery budget per pass
OUTAGE_CHANNELS = ("slack", "discord", "ntfy", "pagerduty", "webhook")


class Stamped(list[Any]):
    """A receiver's list of what arrived, stamping each arrival (time.perf_counter) as the handler appends it."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, item: Any) -> None:
        self.times.append(time.perf_counter())
        super().append(item)


def channel_settings(rx: dict[str, Any]) -> dict[str, Any]:
    """Every outage channel pointed at its loopback receiver (the URLs the transports' tests use)."""
    return {"slack_webhook_url": rx["slack"].url(), "webhook_url": rx["webhook"].url("/hook"),
            "discord_webhook_url": rx["discord"].url("/api/webhooks/1234/BENCH"),
            "ntfy_topic": "statusmon-bench", "ntfy_server": rx["ntfy"].base,
            "pagerduty_routing_key": "R0123456789ABCDEF0123456789ABCDEF",
            "pagerduty_events_url": rx["pagerduty"].url("/v2/enqueue")}


def reported(meta: MetaDB, ids: list[str], ts: int) -> None:
    """Every client reported a sample at ``ts`` (what /api/report records: the last-seen time)."""
    ClientRegistry(meta).record_reports([Report(c, "bench", {"ts": ts}, None) for c in ids])


def run_outage(backend: str, clients: int, cycles: int, tmp: Path) -> dict[str, Any]:
    """The fleet reports for ``cycles`` cycles, then all of it stops: see the module docstring."""
    from tests.alerting.receiver import receiver

    store, influxd = open_backend(backend, tmp)
    http = HttpClient(["127.0.0.1"])
    try:
        with ExitStack() as stack:
            rx = {name: stack.enter_context(receiver()) for name in OUTAGE_CHANNELS}
            meta = MetaDB(tmp / "meta.db")
            t0 = int(time.time()) - 3600
            t0 -= t0 % STEP
            ids = setup(meta, store, clients, t0 - 300, t0)
            reported(meta, ids, t0)
            gs = GlobalSettings(meta)
            gs.update({"online_timeout_seconds": OUTAGE_TIMEOUT, **channel_settings(rx)})
            dispatcher = Dispatcher(AlertDB(meta), http)
            ev = Evaluator(meta, store, "https://mon.example", channels=dispatcher.active_channels)
            ev.run_cycle(t0 + 1)  # cold: the hot hosts' alerts fire; delivered, then forgotten
            dispatcher.deliver(gs.all(), budget_s=600)
            rows = []
            for k in range(1, cycles + 1):  # normal cycles: a new sample from every host, nothing changes
                write_tick(store, ids, t0 + k * STEP)
                reported(meta, ids, t0 + k * STEP)
                rows.append(row(backend, f"normal {k}", timed(ev, t0 + k * STEP + 1)))
            last = t0 + cycles * STEP
            for k in range(1, OUTAGE_TIMEOUT // STEP):  # quiet: no new samples, the hosts not yet offline
                rows.append(row(backend, f"quiet {k}", timed(ev, last + k * STEP + 1)))
            stamped = {name: Stamped() for name in rx}
            for name, r in rx.items():
                r.received = stamped[name]
            # The outage cycle: every host's last report is now past the timeout.
            outage = timed(ev, last + OUTAGE_TIMEOUT + 1)
            ended = time.perf_counter()
            rows.append(row(backend, "outage", outage))
            counts = dispatcher.deliver(gs.all(), budget_s=WORKER_INTERVAL)  # as Worker.cycle does next
            first_pass = {name: len(r.received) for name, r in rx.items()}
            # The worker's next cycle (one interval later in the real loop): nothing changes; its delivery pass
            # sends whatever the first one left.
            after = row(backend, "next", timed(ev, last + OUTAGE_TIMEOUT + STEP + 1))
            counts_next = dispatcher.deliver(gs.all(), budget_s=WORKER_INTERVAL)
            rows.append(after)
            if outage[0].transitions != clients or after["transitions"]:
                raise AssertionError(f"expected {clients} hosts offline in one cycle, then nothing: "
                                     f"{outage[0].transitions}, then {after['transitions']}")
            arrivals = []
            for name, r in rx.items():
                times = [t - ended for t in stamped[name].times]
                arrivals.append({"backend": backend, "channel": name, "messages": len(times),
                                 "in_first_pass": first_pass[name],
                                 "hosts_counted": r.received[0].json().get("count") if name == "webhook"
                                 and times else None,
                                 "first_s": round(times[0], 3) if times else None,
                                 "last_s": round(times[-1], 3) if times else None})
            meta.close()
            return {"cycles": rows, "arrivals": arrivals, "delivery": [counts, counts_next]}
    finally:
        http.close()
        store.close()
        if influxd is not None:
            influxd.stop()


def outage_summary(backend: str, result: dict[str, Any]) -> dict[str, Any]:
    cyc = result["cycles"]

    def med(prefix: str, key: str) -> float:
        return float(statistics.median(r[key] for r in cyc if r["phase"].startswith(prefix)))

    grouped = [a for a in result["arrivals"] if a["channel"] != "pagerduty"]
    out = {"normal_median_ms": med("normal", "total_ms"), "normal_cpu_median_ms": med("normal", "cpu_ms"),
           "quiet_median_ms": med("quiet", "total_ms"), "quiet_cpu_median_ms": med("quiet", "cpu_ms"),
           "outage_ms": med("outage", "total_ms"), "outage_cpu_ms": med("outage", "cpu_ms"),
           "outage_persist_ms": med("outage", "persist_ms"),
           "grouped_channels_last_message_s": max((a["last_s"] or float("inf")) for a in grouped),
           "pagerduty_last_event_s": next(a["last_s"] for a in result["arrivals"] if a["channel"] == "pagerduty")}
    print(f"{backend} outage: the cycle that saw every host offline took {out['outage_ms']:.0f} ms "
          f"(CPU {out['outage_cpu_ms']:.0f} ms; normal cycle median {out['normal_median_ms']:.0f} ms, quiet "
          f"{out['quiet_median_ms']:.0f} ms); every grouping channel had its one message "
          f"{out['grouped_channels_last_message_s']:.2f} s after it (target <= 10 s)")
    return out


def outage_scenario(args: argparse.Namespace, backends: list[str]) -> None:
    results = {}
    for b in backends:
        with tempfile.TemporaryDirectory(prefix=f"bench-alerting-outage-{b}-") as d:
            results[b] = run_outage(b, args.clients, args.cycles, Path(d))
    cols = ["backend", "phase", "total_ms", "cpu_ms", "load_ms", "query_ms", "evaluate_ms", "persist_ms",
            "points", "transitions"]
    print()
    print(table(cols, [[r.get(c, "") for c in cols] for b in backends for r in results[b]["cycles"]]))
    print()
    acols = ["backend", "channel", "messages", "in_first_pass", "hosts_counted", "first_s", "last_s"]
    print("seconds from the end of the outage cycle to each receiver's message(s):")
    print(table(acols, [[a[c] if a[c] is not None else "" for c in acols] for b in backends
                        for a in results[b]["arrivals"]]))
    summary = {b: outage_summary(b, results[b]) for b in backends}
    info = machine()
    out = write_json(f"alerting-outage-{info['host']}-{time.strftime('%Y%m%d-%H%M%S')}", {
        "machine": info, "clients": args.clients, "offline_timeout_s": OUTAGE_TIMEOUT,
        "delivery_budget_s": WORKER_INTERVAL, "summary": summary, "results": results})
    print(f"machine: {info['host']}, {info['cpu']}, {info['cores']} cores, "
          f"load average at start {info['loadavg_at_start']}")
    print(f"wrote {out}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["sqlite", "influxdb", "both"], default="both")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--cycles", type=int, default=5)
    p.add_argument("--scenario", choices=["cycles", "outage", "all"], default="all",
                   help="cycles: cold and steady cycles; outage: the whole fleet goes offline at once")
    args = p.parse_args()
    backends = ["sqlite", "influxdb"] if args.backend == "both" else [args.backend]
    if args.scenario in ("cycles", "all"):
        cycles_scenario(args, backends)
    if args.scenario in ("outage", "all"):
        outage_scenario(args, backends)


def cycles_scenario(args: argparse.Namespace, backends: list[str]) -> None:
    rows: list[dict[str, Any]] = []
    for b in backends:
        with tempfile.TemporaryDirectory(prefix=f"bench-alerting-{b}-") as d:
            rows += run_backend(b, args.clients, args.cycles, Path(d))
    cols = ["backend", "phase", "total_ms", "cpu_ms", "load_ms", "query_ms", "evaluate_ms", "persist_ms", "points",
            "evaluations", "transitions", "raw_query_ms"]
    print()
    print("  ".join(f"{c:>11}" for c in cols))
    for r in rows:
        print("  ".join(f"{r.get(c, ''):>11}" for c in cols))
    summary = {}
    for b in backends:
        steady = [r["total_ms"] for r in rows if r["backend"] == b and r["phase"].startswith("steady")]
        cold = next(r["total_ms"] for r in rows if r["backend"] == b and r["phase"] == "cold")
        cpu = [r["cpu_ms"] for r in rows if r["backend"] == b and r["phase"].startswith("steady")]
        summary[b] = {"cold_ms": cold, "steady_median_ms": statistics.median(steady),
                      "steady_max_ms": max(steady), "steady_cpu_median_ms": statistics.median(cpu)}
        raw = [r["raw_query_ms"] for r in rows if r["backend"] == b and r["phase"].startswith("steady")
               and "raw_query_ms" in r]
        if raw:
            summary[b]["steady_raw_query_median_ms"] = statistics.median(raw)
        print(f"{b}: cold {cold:.0f} ms, steady median {statistics.median(steady):.0f} ms, "
              f"max {max(steady):.0f} ms, worker CPU median {statistics.median(cpu):.0f} ms"
              + (f", raw InfluxQL reads alone (baseline) median {statistics.median(raw):.0f} ms" if raw else "")
              + " (target <= 1000 ms per cycle on InfluxDB)")
    out_dir = Path(__file__).resolve().parent / "results"
    out_dir.mkdir(exist_ok=True)
    info = machine()
    out = out_dir / f"alerting-{info['host']}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"machine": info, "clients": args.clients, "rules_per_client": len(RULES),
                               "summary": summary, "cycles": rows}, indent=2))
    print(f"machine: {info['host']}, {info['cpu']}, {info['cores']} cores, "
          f"load average at start {info['loadavg_at_start']}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
