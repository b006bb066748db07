"""``statusmon migrate --to influxdb`` at the issue's scale: 7 days of one client at 1 Hz (604,800 samples) plus
a day of 50 clients (4,320,000), each sample with the six system metrics, a disk and a GPU, from a SQLite store
into a real influxd; beside the raw baseline (the same points, as line protocol built beforehand, POSTed straight
to ``/write`` in the same 5,000-line chunks), in one run.

    .venv/bin/python -m bench.migrate                         # the full proof (tens of minutes on 2 cores)
    .venv/bin/python -m bench.migrate --days 1 --clients 5 --hours 2   # a quick look

Runs of the real command (a subprocess, as an operator would run it): (1) killed with SIGKILL once its state file
shows half the samples copied; (2) resumed with the same state file; (3) again with the same state file (picks up
only what arrived since: nothing); (4) a second full run with a fresh state file (rewrites every point). After
each finished run the samples are counted per client on both sides with one query each (independently of the
command's own recount): they must be equal, and a rewrite must add nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.common import machine, table, write_json
from statusmon.meta.clients import ClientRegistry
from statusmon.meta.db import MetaDB
from statusmon.store.base import DiskSample, GpuSample, Sample
from statusmon.store.influx import CHUNK_POINTS, InfluxStore
from statusmon.store.sqlite import SQLiteStore
from tests.support.influxd import start_influxd

DAY = 86400


def samples(start: int, end: int, seed: int) -> list[Sample]:
    rng = random.Random(seed)
    out = []
    for ts in range(start, end):
        day = math.sin(2 * math.pi * (ts % DAY) / DAY)
        used = 400 * 10**9 + (ts - start) * 1000
        out.append(Sample(ts, {
            "cpu_percent": round(min(100.0, max(0.0, 35 + 25 * day + rng.gauss(0, 10))), 2),
            "ram_percent": round(55 + 10 * day + rng.random(), 2),
            "disk_percent": round(100 * used / 10**12, 3),
            "inode_percent": 4.5,
            "docker_bytes": 50 * 10**9 + rng.randrange(10**6),
            "gpu_percent": round(min(100.0, max(0.0, 70 + 30 * day + rng.gauss(0, 15))), 1),
        }, (DiskSample("/", used, 10**12, 10**6, 6 * 10**7, 10**12 - used - 5 * 10**10),),
            (GpuSample(0, util_percent=round(70 + 30 * day, 1), mem_used_bytes=40 * 2**30 + rng.randrange(2**20),
                       mem_total_bytes=80 * 2**30, temp_c=float(60 + rng.randrange(10)), power_w=300.5),)))
    return out


def chunks(start: int, end: int, size: int = 3600) -> list[tuple[int, int]]:
    return [(t, min(end, t + size)) for t in range(start, end, size)]


def influx_counts(url: str, db: str) -> dict[str, list[int]]:
    """{client_id: [system points of each of its series]}. InfluxDB keys a point by time and tags: within one
    series a timestamp is unique, so a copy without duplicates is exactly one series per client (a rewrite
    under other tags would add a second) holding as many points as the source has samples."""
    r = requests.get(url + "/query", params={"db": db, "q": "SELECT count(cpu_percent) FROM system GROUP BY *"},
                     timeout=600)
    r.raise_for_status()
    out: dict[str, list[int]] = {}
    for s in r.json()["results"][0].get("series") or []:
        out.setdefault(s["tags"]["client_id"], []).append(int(s["values"][0][1]))
    return out


def sqlite_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT client_id, count(*) FROM system GROUP BY client_id").fetchall())


def run_migrate(env: dict[str, str], state: Path, kill_at: int | None = None) -> dict[str, Any]:
    """One run of the command; with ``kill_at``, SIGKILL once the state file shows that many samples copied."""
    cmd = [sys.executable, "-m", "statusmon.cli", "migrate", "--to", "influxdb", "--state", str(state)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if kill_at is not None:
        while proc.poll() is None:
            try:
                copied = sum(c["copied"] for c in json.loads(state.read_text())["clients"].values())
            except (OSError, ValueError, KeyError):
                copied = 0
            if copied >= kill_at:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.05)
    out, _ = proc.communicate()
    seconds = time.perf_counter() - t0
    rows = [line.split() for line in out.splitlines()[1:] if line and not line.startswith("done:")]
    this_run = sum(int(r[2]) for r in rows) if rows else sum(c["copied"] for c in json.loads(
        state.read_text())["clients"].values())
    return {"exit": proc.returncode, "seconds": seconds, "samples": this_run,
            "per_s": this_run / seconds if seconds else 0.0,
            "command_equal": bool(rows) and all(r[4] == r[5] for r in rows)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=7, help="days of the one long client (7)")
    ap.add_argument("--clients", type=int, default=50, help="clients with --hours each (50)")
    ap.add_argument("--hours", type=int, default=24, help="hours of each of --clients (24)")
    args = ap.parse_args()
    info = machine()
    now = int(time.time())
    results: dict[str, Any] = {"machine": info, "args": vars(args), "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        influx = start_influxd(root / "influx")
        try:
            data = root / "data"
            meta = MetaDB(data / "meta.db")
            reg = ClientRegistry(meta)
            end = now - 60
            plan = [(reg.add("week-1")[0].id, "week-1", end - args.days * DAY)]
            plan += [(reg.add(f"fleet-{i:02}")[0].id, f"fleet-{i:02}", end - args.hours * 3600)
                     for i in range(args.clients)]
            total = sum(end - start for _, _, start in plan)
            # The week must fit InfluxDB's retention while the copy runs: 9 days instead of the default 7.
            env = {k: v for k, v in os.environ.items() if not k.startswith("STATUSMON_")}
            env.update(STATUSMON_DATA_DIR=str(data), STATUSMON_INFLUX_URL=influx.url, STATUSMON_INFLUX_DB="copy",
                       STATUSMON_RETENTION_DAYS="9")

            # Fill SQLite (not timed as part of anything) and, for the baseline, POST the same points as line
            # protocol straight to /write: the lines are built beforehand (untimed), only the requests are timed.
            sqlite = SQLiteStore(data / "metrics.db")
            base = InfluxStore(influx.url, db="baseline", retention_days=9)
            base.ensure_database()
            session = requests.Session()
            t_fill = t_base = 0.0
            for i, (cid, host, start) in enumerate(plan):
                for a, b in chunks(start, end):
                    batch = samples(a, b, seed=i * 1000 + a)
                    t0 = time.perf_counter()
                    sqlite.write(cid, host, batch)
                    t_fill += time.perf_counter() - t0
                    lines = list(InfluxStore.lines(cid, host, batch))
                    t0 = time.perf_counter()
                    for j in range(0, len(lines), CHUNK_POINTS):
                        r = session.post(influx.url + "/write", params={"db": "baseline", "precision": "s"},
                                         data="\n".join(lines[j:j + CHUNK_POINTS]).encode(), timeout=120)
                        r.raise_for_status()
                    t_base += time.perf_counter() - t0
                print(f"filled {host} ({i + 1}/{len(plan)})", file=sys.stderr, flush=True)
            sqlite.close()
            base.close()
            source = sqlite_counts(data / "metrics.db")
            baseline = influx_counts(influx.url, "baseline")
            assert sum(source.values()) == total, (sum(source.values()), total)
            results["samples"] = total
            results["sqlite_fill_s"] = t_fill
            results["baseline"] = {"seconds": t_base, "samples": total, "per_s": total / t_base,
                                   "counts_equal": all(baseline.get(c) == [n] for c, n in source.items())}
            print(f"baseline: {results['baseline']}, SQLite fill {t_fill:.0f} s", file=sys.stderr, flush=True)

            state = root / "state.json"
            runs = [("1 killed at half", state, total // 2), ("2 resumed", state, None),
                    ("3 same state again", state, None), ("4 fresh state (full rewrite)", root / "again.json", None)]
            for name, path, kill_at in runs:
                run = run_migrate(env, path, kill_at)
                if kill_at is not None:
                    run["killed"] = run["exit"] == -signal.SIGKILL
                else:
                    got = influx_counts(influx.url, "copy")
                    run["counts_equal"] = all(got.get(c) == [n] for c, n in source.items())
                    run["influx_points"] = sum(sum(v) for v in got.values())
                results["runs"][name] = run
                print(f"{name}: {run}", file=sys.stderr, flush=True)
                write_json("migrate", results)  # what finished survives an interrupted bench
        finally:
            influx.stop()

    rows = [["raw /write (baseline)", results["baseline"]["samples"], results["baseline"]["seconds"],
             results["baseline"]["per_s"], "yes" if results["baseline"]["counts_equal"] else "NO"]]
    for name, run in results["runs"].items():
        equal = ("killed" if run.get("killed") else "NOT KILLED") if "killed" in run else \
            ("yes" if run["counts_equal"] and run["command_equal"] else "NO")
        rows.append([f"migrate {name}", run["samples"], run["seconds"], run["per_s"], equal])
    print(f"\nmachine: {info['cpu']} x {info['cores']}, {info['influxd']}, load {info['loadavg_at_start']}")
    print(f"{total:,} samples ({args.days} d of 1 client + {args.hours} h of {args.clients} clients, 1 Hz, "
          f"each with a disk and a GPU); SQLite fill {results['sqlite_fill_s']:.0f} s\n")
    print(table(["run", "samples", "seconds", "samples/s", "counts equal"], rows))
    print(f"\nwrote {write_json('migrate', results)}")


if __name__ == "__main__":
    main()
