"""Where one API worker's CPU goes under ingest: bench/ingest's closed-loop senders drive a real server
(gunicorn, one gevent worker) whose worker runs under cProfile with a CPU-time clock; prints the functions
with the most CPU of their own, and a few totals of the ingest path.

    .venv/bin/python -m bench.profile_ingest                  # InfluxDB (a temporary influxd), 15 s
    .venv/bin/python -m bench.profile_ingest --store sqlite --seconds 20 --top 40

The clock is ``time.process_time``, so a greenlet waiting on a socket costs nothing and the self times add up
to the worker's CPU. cProfile slows the worker several-fold and weighs Python calls more than C, so read the
shares, not the absolute times; the unprofiled figure is bench/ingest's "API CPU s/1k". Under gevent a
function's cumulative time also holds whatever other greenlets ran while it waited, so the totals printed
are for calls that never wait (validation, line protocol). A sampling profiler (py-spy) was tried first:
in this VM it counted time blocked in send() and an idle thread-pool thread as busy. The profile covers the
worker's whole life, so the bench's own setup (a login, 200 clients added: scrypt, deepcopy) is a few percent.
"""

from __future__ import annotations

import argparse
import pstats
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil

from bench.common import machine, table
from bench.ingest import run_phase
from tests.support.influxd import start_influxd
from tests.support.server import ServerProcess

# Calls that never yield to another greenlet: their cumulative time is their own work.
TOTALS = {
    "validation (fast path)": ("api/fastcheck.py", "load"),
    "JSON decode": ("api/body.py", "parse_json"),
    "line protocol": ("statusmon/store/influx.py", "lines"),
    "SQLite rows": ("statusmon/store/sqlite.py", "_rows"),
    "agent token check": ("statusmon/meta/clients.py", "authenticate"),
    "last seen / latest sample": ("statusmon/meta/clients.py", "record_reports"),
    "live feed frame": ("api/live/feed.py", "on_ingest"),
}


def _where(filename: str) -> str:
    parts = Path(filename).parts
    return "/".join(parts[-2:]) if len(parts) > 1 else filename


def summarise(path: Path, top: int) -> tuple[list[list[Any]], list[list[Any]], float]:
    """(top functions by own CPU, totals of TOTALS, the profile's CPU seconds)."""
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values()) or 1.0
    rows = sorted(((v[2], f"{name} ({_where(fn)}:{line})", v[1]) for (fn, line, name), v in stats.items()),
                  reverse=True)[:top]
    own = [[label, calls, 100.0 * t / total] for t, label, calls in rows]
    totals = []
    for label, (suffix, func) in TOTALS.items():
        cum = sum(v[3] for (fn, _, name), v in stats.items() if name == func and fn.endswith(suffix))
        totals.append([label, 100.0 * cum / total])
    return own, totals, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", choices=("influxdb", "sqlite"), default="influxdb")
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    info = machine()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        out = root / "worker.prof"
        influx = start_influxd(root / "influx") if args.store == "influxdb" else None
        env = {"STATUSMON_REPORT_RATE_PER_MINUTE": "1000000", "BENCH_PROFILE_OUT": str(out)}
        if influx is not None:
            env.update(STATUSMON_INFLUX_URL=influx.url, STATUSMON_INFLUX_DB="api")
        srv = ServerProcess(root / "server", env)
        srv.argv = [sys.executable, "-m", "bench.profiled_server"]
        try:
            srv.start()
            try:
                agents = [srv.add_client(f"agent-{i}") for i in range(args.agents)]
                assert srv.proc is not None
                workers = psutil.Process(srv.proc.pid).children()
                phase = run_phase(srv.url, "api", agents, args.seconds, args.senders, [w.pid for w in workers])
            finally:
                srv.stop()  # the worker writes its profile as it exits
            if not out.exists():
                raise SystemExit("the worker wrote no profile")
            own, totals, cpu = summarise(out, args.top)
        finally:
            if influx is not None:
                influx.stop()
    print(f"machine: {info['cpu']} x{info['cores']}, load at start {info['loadavg_at_start']}")
    print(f"API on {args.store}, profiled: {phase['samples_per_s']:,.0f} samples/s, "
          f"{phase['api_cpu_s_per_1000_samples']:.3f} CPU s per 1k samples; {cpu:.1f} CPU s in the profile")
    print(table(["function (own CPU)", "calls", "% of worker CPU"], own))
    print(table(["part of the ingest path (never waits)", "% of worker CPU"], totals))


if __name__ == "__main__":
    main()
