"""Ingest: simulated agents post 10-sample batches to the API for a while, on InfluxDB and on SQLite; in the
same run, the same points in the same batch shape go straight to InfluxDB's /write (the baseline).

    .venv/bin/python -m bench.ingest                 # 30 s per phase, 8 sender processes
    .venv/bin/python -m bench.ingest --seconds 10 --senders 4 --agents 500

Each simulated agent has its own client token and its own timestamps (ten new seconds per batch), so every
sample is a distinct point. Senders are closed-loop (each sends its next batch when the last one is answered)
over keep-alive connections with http.client, the lightest client at hand: they run on the same 2 cores as the
server and influxd, which is why the baseline runs under the same generator. Reported: sustained samples/s,
p50/p99 latency per batch, the server's CPU seconds per 1,000 samples, and how many store writes the group
commit made. Target (issue 6): >= 10,000 samples/s with p99 < 100 ms on InfluxDB, and >= half the raw rate.

    .venv/bin/python -m bench.ingest --workers 2 --no-sqlite   # adds a phase: N workers sharing a redis-server

Before the API phases, the same senders drive bench/floor_server.py: a bare WSGI app under the server's own
gunicorn settings (with --workers N, also N of them), the HTTP layer's cost before any of our code runs. Every
phase also measures its load generator's CPU (the sender processes share the cores), and a second table says
what the measured CPU per sample allows on this machine's cores, and how much API CPU per 1,000 samples
``--target`` samples/s (20,000) would leave once influxd and the generator have taken theirs.

``--workers N`` (N > 1) adds the shared-state setup of issue 13: `statusmon server --workers N` on InfluxDB with
STATUSMON_REDIS_URL pointing at a throwaway redis-server (its CPU counted with the server's), so each report
also pays the shared rate limit (one Redis round trip) and the live feed's publish.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

from bench.common import machine, pct, table, write_json
from tests.support.influxd import start_influxd
from tests.support.redisd import Redisd, start_redis
from tests.support.server import ServerProcess, start_server

BATCH = 10


def sample(ts: int, i: int) -> dict[str, Any]:
    return {"ts": ts, "cpu_percent": float(i % 100), "ram_percent": 41.5, "disk_percent": 70.25,
            "inode_percent": 3.5, "docker_bytes": 123_456_789 + i, "gpu_percent": None,
            "disks": [{"mount": "/", "used_bytes": 70_000 + i, "total_bytes": 100_000, "inodes_used": 3,
                       "inodes_total": 100}]}


def line_batch(client: str, ts0: int, i: int) -> str:
    """The same points as one API batch, as line protocol (system + disk measurement)."""
    out = []
    for k in range(BATCH):
        ts = ts0 + k
        out.append(f"system,client_id={client},host={client} cpu_percent={float(i % 100)},ram_percent=41.5,"
                   f"disk_percent=70.25,inode_percent=3.5,docker_bytes={123_456_789 + i}i {ts}")
        out.append(f"disk,client_id={client},host={client},mount=/ used_bytes={70_000 + i}i,total_bytes=100000i,"
                   f"inodes_used=3i,inodes_total=100i,used_percent=70.0,inodes_percent=3.0 {ts}")
    return "\n".join(out)


def sender(url: str, mode: str, agents: list[tuple[str, str]], t_start: float, t_end: float, base_ts: int,
           out: Any) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    sent = errors = 0
    latencies: list[float] = []
    n = 0
    while time.time() < t_start:
        time.sleep(0.001)
    cpu0 = time.process_time()
    while time.time() < t_end:
        client_id, token = agents[n % len(agents)]
        ts0 = base_ts + (n // len(agents)) * BATCH
        if mode == "api":
            body = json.dumps({"agent_version": "bench", "samples": [sample(ts0 + k, n) for k in range(BATCH)]})
            path, headers = "/api/report", {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        else:
            body = line_batch(client_id, ts0, n)
            path, headers = "/write?db=raw&precision=s", {"Content-Type": "text/plain"}
        t0 = time.perf_counter()
        try:
            conn.request("POST", path, body, headers)
            resp = conn.getresponse()
            resp.read()
            ok = resp.status in (200, 204)
        except (OSError, http.client.HTTPException):
            ok = False
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        latencies.append(time.perf_counter() - t0)
        if ok:
            sent += BATCH
        else:
            errors += 1
        n += 1
    out.put((sent, errors, latencies, time.process_time() - cpu0))


def fleet_sender(url: str, agents: list[tuple[str, str]], offsets: list[float], interval: float, t_start: float,
                 t_end: float, base_ts: int, out: Any) -> None:
    """Open loop: each agent posts its batch every ``interval`` seconds at its own offset, whatever the server
    does; latency counts from the scheduled time, so a server falling behind shows (no coordinated omission)."""
    import heapq

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    heap = [(t_start + off, i, 0) for i, off in enumerate(offsets)]
    heapq.heapify(heap)
    sent = errors = 0
    latencies: list[float] = []
    cpu0 = time.process_time()
    while heap and heap[0][0] < t_end:
        due, i, n = heapq.heappop(heap)
        pause = due - time.time()
        if pause > 0:
            time.sleep(pause)
        _, token = agents[i]
        ts0 = base_ts + n * BATCH
        body = json.dumps({"agent_version": "bench", "samples": [sample(ts0 + k, n) for k in range(BATCH)]})
        try:
            conn.request("POST", "/api/report", body, {"Authorization": f"Bearer {token}",
                                                       "Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            ok = resp.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        latencies.append(time.time() - due)
        sent, errors = (sent + BATCH, errors) if ok else (sent, errors + 1)
        heapq.heappush(heap, (due + interval, i, n + 1))
    out.put((sent, errors, latencies, time.process_time() - cpu0))


def run_fleet(url: str, agents: list[tuple[str, str]], seconds: float, senders: int, interval: float,
              pids: list[int]) -> dict[str, Any]:
    base_ts = int(time.time()) - 24 * 3600
    q: mp.Queue[Any] = mp.Queue()
    t_start = time.time() + 1.0
    offsets = [interval * i / len(agents) for i in range(len(agents))]
    procs = [mp.Process(target=fleet_sender, args=(url, agents[j::senders], offsets[j::senders], interval,
                                                   t_start, t_start + seconds, base_ts, q))
             for j in range(senders)]
    results, server_cpu = run_senders(procs, pids, t_start, q)
    samples = sum(r[0] for r in results)
    lat = [x for r in results for x in r[2]]
    return {"agents": len(agents), "offered_samples_per_s": len(agents) * BATCH / interval,
            "samples_per_s": samples / seconds, "samples": samples, "errors": sum(r[1] for r in results),
            "batches": len(lat), "p50_ms": pct(lat, 50) * 1000, "p99_ms": pct(lat, 99) * 1000,
            "server_cpu_s_per_1000_samples": server_cpu / max(samples, 1) * 1000}


def run_senders(procs: list[mp.Process], pids: list[int], t_start: float, q: Any) -> tuple[list[Any], float]:
    """Start the sender processes, collect one result from each; also the CPU seconds the watched server
    processes (`pids`) spent from `t_start` until the last result came."""
    results, per_pid = run_senders_per_pid(procs, pids, t_start, q)
    return results, sum(per_pid.values())


def run_senders_per_pid(procs: list[mp.Process], pids: list[int], t_start: float,
                        q: Any) -> tuple[list[Any], dict[int, float]]:
    """``run_senders`` with the CPU seconds of each watched process apart (the API's apart from influxd's)."""
    watched = [psutil.Process(p) for p in pids]
    for p in procs:
        p.start()
    time.sleep(max(0.0, t_start - time.time()))
    cpu0 = [sum(p.cpu_times()[:2]) for p in watched]
    results = [q.get() for _ in procs]
    cpu1 = [sum(p.cpu_times()[:2]) for p in watched]
    for p in procs:
        p.join()
    return results, {p.pid: b - a for p, a, b in zip(watched, cpu0, cpu1, strict=True)}


def run_phase(url: str, mode: str, agents: list[tuple[str, str]], seconds: float, senders: int,
              pids: list[int], store_pids: tuple[int, ...] = ()) -> dict[str, Any]:
    """One closed-loop phase; ``pids`` are the server's (their CPU is the figure), ``store_pids`` a separate
    store process's (influxd), counted apart and in the total."""
    # Agents never share a sender, and each agent's timestamps only move forward: 25 h of history fits.
    base_ts = int(time.time()) - 24 * 3600
    q: mp.Queue[Any] = mp.Queue()
    t_start = time.time() + 1.0
    procs = [mp.Process(target=sender, args=(url, mode, agents[i::senders], t_start, t_start + seconds,
                                             base_ts, q)) for i in range(senders)]
    results, per_pid = run_senders_per_pid(procs, [*pids, *store_pids], t_start, q)
    api_cpu = sum(per_pid[p] for p in pids)
    store_cpu = sum(per_pid[p] for p in store_pids)
    samples = sum(r[0] for r in results)
    lat = [x for r in results for x in r[2]]
    generator_cpu = sum(r[3] for r in results)
    per_1k = 1000 / max(samples, 1)
    return {"samples_per_s": samples / seconds, "samples": samples, "errors": sum(r[1] for r in results),
            "batches": len(lat), "p50_ms": pct(lat, 50) * 1000, "p99_ms": pct(lat, 99) * 1000,
            "server_cpu_s_per_1000_samples": (api_cpu + store_cpu) * per_1k,
            "api_cpu_s_per_1000_samples": api_cpu * per_1k, "store_cpu_s_per_1000_samples": store_cpu * per_1k,
            "generator_cpu_s_per_1000_samples": generator_cpu * per_1k}


@contextmanager
def floor_server(data_dir: Path, workers: int) -> Iterator[tuple[str, list[int]]]:
    """bench/floor_server.py (a bare WSGI app under the server's own gunicorn settings), started and stopped as
    the real server is (it answers /healthz like any path): its URL and the pids whose CPU counts."""
    srv = ServerProcess(data_dir, {}, args=[str(workers)])
    srv.argv = [sys.executable, "-m", "bench.floor_server"]
    srv.start()
    try:
        assert srv.proc is not None
        deadline = time.monotonic() + 20
        # gunicorn forks the workers one after another: wait until each is there.
        while len(server_pids(srv.proc.pid)) < workers + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        yield srv.url, server_pids(srv.proc.pid)
    finally:
        srv.stop()


def capacity(phases: dict[str, dict[str, Any]], cores: int, target: float) -> tuple[list[list[Any]], dict[str, Any]]:
    """What each phase's measured CPU per sample allows on this machine's cores, the load generator included
    (it shares them), and the API CPU per 1,000 samples that ``target`` samples/s would leave."""
    rows = []
    for name, r in phases.items():
        total = r["server_cpu_s_per_1000_samples"] + r["generator_cpu_s_per_1000_samples"]
        r["all_cpu_s_per_1000_samples"] = total
        r["ceiling_samples_per_s"] = cores * 1000 / total if total else None
        rows.append([name, r["samples_per_s"], r["api_cpu_s_per_1000_samples"], r["store_cpu_s_per_1000_samples"],
                     r["generator_cpu_s_per_1000_samples"], total, r["ceiling_samples_per_s"]])
    api = phases.get("API on influxdb")
    budget: dict[str, Any] = {}
    if api is not None:
        left = cores * 1000 / target - api["store_cpu_s_per_1000_samples"] - api["generator_cpu_s_per_1000_samples"]
        budget = {"target_samples_per_s": target, "api_cpu_s_per_1000_samples_left": left,
                  "api_cpu_s_per_1000_samples_now": api["api_cpu_s_per_1000_samples"]}
        floor = phases.get("bare WSGI app (gunicorn floor)")
        if floor is not None:
            budget["floor_cpu_s_per_1000_samples"] = floor["api_cpu_s_per_1000_samples"]
    return rows, budget


def server_pids(proc_pid: int) -> list[int]:
    p = psutil.Process(proc_pid)
    return [p.pid] + [c.pid for c in p.children(recursive=True)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--senders", type=int, default=8)
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--workers", type=int, default=1,
                    help="N > 1: also run the API with N gevent workers sharing a redis-server (on InfluxDB)")
    ap.add_argument("--no-sqlite", action="store_true", help="skip the SQLite phase")
    ap.add_argument("--target", type=float, default=20_000,
                    help="samples/s for the capacity line: the API CPU per sample the cores would leave")
    ap.add_argument("--fleet", type=int, default=1000,
                    help="agents of the open-loop fleet phase: each posts 10 samples every 10 s (0: skip)")
    args = ap.parse_args()
    info = machine()
    results: dict[str, Any] = {"machine": info, "params": vars(args), "phases": {}, "fleet": {}}
    redis: Redisd | None = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        influx = start_influxd(root / "influx")
        try:
            import requests

            requests.post(influx.url + "/query", params={"q": "CREATE DATABASE raw WITH DURATION 7d NAME week"})
            raw_agents = [(f"raw{i}", "") for i in range(args.agents)]
            assert influx.proc is not None
            results["phases"]["raw InfluxDB /write"] = run_phase(influx.url, "raw", raw_agents, args.seconds,
                                                                  args.senders, [], (influx.proc.pid,))
            for n in sorted({1, args.workers}):
                name = "bare WSGI app (gunicorn floor)" + (f", {n} workers" if n > 1 else "")
                with floor_server(root / f"floor{n}", n) as (url, pids):
                    bare = [(f"bare{i}", "bench") for i in range(args.agents)]
                    results["phases"][name] = run_phase(url, "api", bare, args.seconds, args.senders, pids)
            setups = [("influxdb", "API on influxdb", 1), ("sqlite", "API on sqlite", 1)]
            if args.no_sqlite:
                setups.pop()
            if args.workers > 1:
                redis = start_redis(root / "redis")
                setups.append(("influxdb", "API on influxdb, 1 worker + Redis", -1))  # what Redis costs alone
                setups.append(("influxdb", f"API on influxdb, {args.workers} workers + Redis", args.workers))
            for backend, name, n in setups:
                workers, with_redis = abs(n), n != 1
                env = {"report_rate_per_minute": "1000000"}
                kw: dict[str, Any] = {"influx_url": influx.url,
                                      "influx_db": f"api{n}".replace("-", "r")} if backend == "influxdb" else {}
                extra_pids: list[int] = [influx.proc.pid] if backend == "influxdb" else []
                if with_redis and redis is not None and redis.proc is not None:
                    env["redis_url"] = redis.url
                    extra_pids.append(redis.proc.pid)
                with start_server(root / f"{backend}{n}", **kw, args=["--workers", str(workers)],
                                  **env) as srv:
                    agents = [srv.add_client(f"agent-{i}") for i in range(args.agents)]
                    assert srv.proc is not None
                    store_pids = tuple(extra_pids)
                    pids = server_pids(srv.proc.pid)
                    results["phases"][name] = run_phase(srv.url, "api", agents, args.seconds, args.senders, pids,
                                                        store_pids)
                    pids += list(store_pids)
                    if args.fleet:
                        fleet = agents + [srv.add_client(f"fleet-{i}") for i in range(len(agents), args.fleet)]
                        results["fleet"][name] = run_fleet(srv.url, fleet[:args.fleet], args.seconds,
                                                           args.senders, 10.0, pids)
        finally:
            influx.stop()
            if redis is not None:
                redis.stop()
    raw = results["phases"]["raw InfluxDB /write"]["samples_per_s"]
    rows = []
    for name, r in results["phases"].items():
        r["ratio_to_raw"] = r["samples_per_s"] / raw if raw else None
        rows.append([name, r["samples_per_s"], r["p50_ms"], r["p99_ms"], r["errors"],
                     r["server_cpu_s_per_1000_samples"], r["api_cpu_s_per_1000_samples"], r["ratio_to_raw"]])
    print(f"machine: {info['cpu']} x{info['cores']} ({info['host']}), influxd {info['influxd']}, "
          f"load at start {info['loadavg_at_start']}")
    print(f"{args.senders} closed-loop senders, {args.agents} agents, {BATCH}-sample batches, "
          f"{args.seconds:.0f} s each")
    # "CPU s/1k": the server's and influxd's together; "API CPU s/1k": the API process alone (none in the raw
    # phase).
    print(table(["phase", "samples/s", "p50 ms", "p99 ms", "errors", "CPU s/1k samples", "API CPU s/1k",
                 "x raw"], rows))
    cap_rows, budget = capacity(results["phases"], int(info["cores"] or 1), args.target)
    results["capacity"] = budget
    print(f"what the {info['cores']} cores allow, the load generator included (CPU s per 1,000 samples):")
    print(table(["phase", "samples/s", "API", "influxd/Redis", "generator", "all", "ceiling samples/s"],
                cap_rows))
    if budget:
        print(f"at {args.target:,.0f} samples/s the cores leave the API "
              f"{budget['api_cpu_s_per_1000_samples_left']:.4f} CPU s per 1,000 samples (it used "
              f"{budget['api_cpu_s_per_1000_samples_now']:.4f}; the bare app under gunicorn "
              f"{budget.get('floor_cpu_s_per_1000_samples', float('nan')):.4f})")
    if results["fleet"]:
        print(f"open loop: {args.fleet} agents sampling at 1 Hz, each posting its 10 samples every 10 s")
        print(table(["setup", "offered samples/s", "stored samples/s", "p50 ms", "p99 ms", "errors"],
                    [[k, r["offered_samples_per_s"], r["samples_per_s"], r["p50_ms"], r["p99_ms"], r["errors"]]
                     for k, r in results["fleet"].items()]))
    print("written:", write_json("ingest", results))


if __name__ == "__main__":
    main()
