"""Where one API worker's CPU goes under ingest: bench/ingest's closed-loop senders drive a real server while
py-spy samples its gevent worker; prints the functions with the most samples, on their own (self) and with
what they call (total).

    .venv/bin/pip install py-spy                  # not in the lock: a developer's tool
    .venv/bin/python -m bench.profile_ingest --store influxdb --seconds 20
    .venv/bin/python -m bench.profile_ingest --store sqlite --top 30

py-spy samples the worker's one OS thread, so under gevent it sees whichever greenlet runs: exactly the CPU
the benchmark's "API CPU s/1k" counts. Idle time (the hub waiting on sockets) is left out (``--idle`` off).
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing as mp
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.common import machine, table
from bench.ingest import run_phase
from tests.support.influxd import start_influxd
from tests.support.server import start_server


def worker_pid(master: int) -> int:
    children = psutil.Process(master).children(recursive=True)
    if len(children) != 1:
        raise SystemExit(f"expected one gunicorn worker, found {len(children)}")
    return children[0].pid


def summarise(collapsed: Path, top: int) -> tuple[list[list[Any]], list[list[Any]], int]:
    """(top by self, top by total, sample count) from py-spy's raw (collapsed stack) output."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    n = 0
    for text in collapsed.read_text().splitlines():
        stack, _, count = text.rpartition(" ")
        if not stack:
            continue
        k = int(count)
        n += k
        frames = [_short(f) for f in stack.split(";")]
        own[frames[-1]] += k
        for f in set(frames):
            total[f] += k
    rows_self = [[f, c, 100.0 * c / n] for f, c in own.most_common(top)]
    rows_total = [[f, c, 100.0 * c / n] for f, c in total.most_common(top)]
    return rows_self, rows_total, n


def _short(frame: str) -> str:
    """``func (path/to/module.py:123)`` -> ``func (module.py)``: one row per function, not per line."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(path).parts
    return f"{name} ({'/'.join(parts[-2:])})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", choices=("influxdb", "sqlite"), default="influxdb")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    ap.add_argument("--top", type=int, default=25)
    args = ap.parse_args()
    spy = shutil.which("py-spy") or str(Path(mp.get_executable()).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    info = machine()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        influx = start_influxd(root / "influx") if args.store == "influxdb" else None
        try:
            kw: dict[str, Any] = {"influx_url": influx.url, "influx_db": "api"} if influx else {}
            with start_server(root / "server", report_rate_per_minute="1000000", **kw) as srv:
                agents = [srv.add_client(f"agent-{i}") for i in range(args.agents)]
                assert srv.proc is not None
                pid = worker_pid(srv.proc.pid)
                out = root / "profile.txt"
                spy_proc = subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", str(args.rate),
                                             "--format", "raw", "--output", str(out),
                                             "--duration", str(int(args.seconds) + 2)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                time.sleep(1.0)
                phase = run_phase(srv.url, "api", agents, args.seconds, args.senders, [pid])
                _, err = spy_proc.communicate(timeout=args.seconds + 60)
                if not out.exists():
                    raise SystemExit(f"py-spy wrote nothing: {err.decode(errors='replace')}")
                rows_self, rows_total, n = summarise(out, args.top)
        finally:
            if influx is not None:
                influx.stop()
    print(f"machine: {info['cpu']} x{info['cores']}, load at start {info['loadavg_at_start']}")
    print(f"API on {args.store}: {phase['samples_per_s']:,.0f} samples/s, worker CPU "
          f"{phase['api_cpu_s_per_1000_samples']:.3f} s per 1k samples, {n} py-spy samples")
    print(table(["function (self)", "samples", "%"], rows_self))
    print(table(["function (total)", "samples", "%"], rows_total))


if __name__ == "__main__":
    main()
