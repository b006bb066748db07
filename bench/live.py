"""The live feed under load: N viewers on /ws/live while simulated agents post, against a real server.

    .venv/bin/python -m bench.live                           # 100 and 1,000 viewers, 500 agents
    .venv/bin/python -m bench.live --viewers 100 --agents 50 --seconds 10

For each viewer count, in one run against one `statusmon server` (gunicorn + gevent, SQLite):
- latency: 500 agents each post a 10-sample batch every 10 s (the default interval), at random phases, while
  N viewers watch the overview (every client's frames). Report-to-frame latency = from the moment the agent
  starts sending its POST to the moment a viewer has the frame; measured on a random subset of viewers
  (--probes) so that parsing 50,000 frames a second does not starve the bench itself; the others just drain.
- ingest throughput: --writers closed-loop agents post 10-sample batches back to back for --seconds, with
  no viewers (baseline) and then with N viewers connected, in the same run.
The bench client shares the machine with the server; both are single processes. Prints a table and writes
JSON to bench/results/, naming the machine. Targets: p99 <= 50 ms at 1,000 viewers with 500 agents posting;
throughput with viewers within 10 % of the no-viewer run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import machine, write_json  # noqa: E402
from bench.ingest import server_pids  # noqa: E402
from tests.live.fake import sample  # noqa: E402
from tests.support.influxd import start_influxd  # noqa: E402
from tests.support.redisd import start_redis  # noqa: E402
from tests.support.server import start_server  # noqa: E402

BATCH = 10


class Http:
    """A keep-alive HTTP/1.1 connection for posting reports (asyncio streams; no library overhead)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, token: str) -> int:
        """POST on the kept-alive connection; a connection the server closed meanwhile is reopened once."""
        try:
            return await self._post(path, body, token)
        except (ConnectionError, asyncio.IncompleteReadError, IndexError):
            if self.writer is not None:
                self.writer.close()
            self.writer = None
            return await self._post(path, body, token)

    async def _post(self, path: str, body: bytes, token: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def ws_connect(host: str, port: int, cookie: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws/live HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  f"Cookie: {cookie}\r\n\r\n").encode())
    status = await reader.readline()
    if b" 101 " not in status:
        raise RuntimeError(f"upgrade refused: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def read_frames(reader: asyncio.StreamReader, on_text: Any) -> None:
    """Parse server frames (never masked); hand text payloads to on_text(bytes)."""
    while True:
        b0, b1 = await reader.readexactly(2)
        n = b1 & 0x7F
        if n == 126:
            n = int.from_bytes(await reader.readexactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await reader.readexactly(8), "big")
        payload = await reader.readexactly(n)
        if b0 & 0x0F == 0x1:
            on_text(payload)
        elif b0 & 0x0F == 0x8:
            return


class Drain(asyncio.Protocol):
    """A viewer that only reads (and drops) what the server sends: a bare protocol, no stream buffering, so
    1,000 of them cost the bench as little as possible and the figures are about the server."""

    def __init__(self, request: bytes, received: list[int] | None = None) -> None:
        self.request = request
        self.received = received  # a shared one-item counter of the bytes every viewer got, when given
        self.head = b""
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.received is not None:
            self.received[0] += len(data)
        if not self.upgraded.done():
            self.head += data
            if b"\r\n\r\n" in self.head:
                if b" 101 " in self.head.split(b"\r\n", 1)[0]:
                    self.upgraded.set_result(None)
                else:
                    self.upgraded.set_exception(RuntimeError(f"upgrade refused: {self.head[:80]!r}"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.upgraded.done():
            self.upgraded.set_exception(RuntimeError("connection lost during the upgrade"))


async def drain_viewer(host: str, port: int, cookie: str, received: list[int] | None = None) -> asyncio.Transport:
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /ws/live HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Cookie: {cookie}\r\n\r\n").encode()
    transport, proto = await asyncio.get_running_loop().create_connection(lambda: Drain(request, received), host, port)
    await proto.upgraded
    return transport


class _Shared:
    """One kept-alive connection shared by several simulated agents: one request on it at a time."""

    def __init__(self, http: Http, lock: asyncio.Lock):
        self.http, self.lock = http, lock

    async def post(self, path: str, body: bytes, token: str) -> int:
        async with self.lock:
            return await self.http.post(path, body, token)


class Run:
    def __init__(self, url: str, cookie: str, clients: list[tuple[str, str]]):
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", int(parts.port or 80)
        self.cookie = cookie
        self.clients = clients
        self.sent: dict[tuple[str, int], float] = {}  # (client id, last ts of the batch) -> send time
        self.latencies: list[float] = []
        self.errors = 0

    def batch_body(self, t0: int, seed: int) -> tuple[bytes, int]:
        samples = [sample(t0 - BATCH + 1 + i, seed=seed) for i in range(BATCH)]
        return json.dumps({"agent_version": "bench", "samples": samples}).encode(), samples[-1]["ts"]

    def on_probe_text(self, payload: bytes) -> None:
        now = time.perf_counter()
        obj = json.loads(payload)
        for f in obj["frames"] if obj.get("type") == "batch" else [obj]:
            if f.get("type") == "samples":
                sent = self.sent.get((f["client_id"], f["samples"][-1]["ts"]))
                if sent is not None:
                    self.latencies.append(now - sent)

    async def viewers(self, n: int, probes: int) -> list[Any]:
        """n viewers of the overview: `probes` of them time frames, the others only drain. Returns closers."""
        viewers: list[Any] = []
        probe_ids = set(random.sample(range(n), min(probes, n)))
        for i in range(n):
            if i in probe_ids:
                reader, writer = await ws_connect(self.host, self.port, self.cookie)
                task = asyncio.ensure_future(read_frames(reader, self.on_probe_text))
                viewers.append((writer, task))
            else:
                viewers.append((await drain_viewer(self.host, self.port, self.cookie), None))
        return viewers

    async def paced(self, agents: int, seconds: float, interval: float = 10.0, connections: int = 0) -> int:
        """Each agent posts a batch every `interval` s at a random phase; returns posts made. With
        `connections`, the agents share that many kept-alive connections (one request at a time on each), so a
        fleet larger than the server's connection limit (gunicorn's worker_connections) can be simulated."""
        deadline = time.perf_counter() + seconds
        posts = 0
        pool = [(Http(self.host, self.port), asyncio.Lock()) for _ in range(connections)]

        async def agent(i: int) -> None:
            nonlocal posts
            cid, token = self.clients[i]
            http: Any = _Shared(*pool[i % connections]) if connections else Http(self.host, self.port)
            await asyncio.sleep(random.uniform(0, interval))
            seq = 0
            while time.perf_counter() < deadline:
                t0 = int(time.time()) - 60 + seq  # distinct timestamps per post, inside the accepted window
                seq += BATCH
                body, last_ts = self.batch_body(t0, i)
                self.sent[(cid, last_ts)] = time.perf_counter()
                if await http.post("/api/report", body, token) != 200:
                    self.errors += 1
                posts += 1
                await asyncio.sleep(interval)

        await asyncio.gather(*(agent(i) for i in range(agents)))
        return posts

    async def closed_loop(self, writers: int, seconds: float, offset: int) -> float:
        """Samples stored per second by `writers` agents posting back to back."""
        deadline = time.perf_counter() + seconds
        stored = 0

        async def writer(i: int) -> None:
            nonlocal stored
            cid, token = self.clients[offset + i]
            http = Http(self.host, self.port)
            # The last 40 s, posted again and again: samples this fresh never land in a minute the history
            # tiers have closed (90 s after it ends), so no report is late and no pass rebuilds a late minute in
            # whichever phase it falls (when the rollup still moved back for late samples, a pass rebuilt every
            # client's last hour and took 2/3 of the worker's CPU in a profiled run).
            now = int(time.time())
            bodies = [self.batch_body(now - k * BATCH, i)[0] for k in range(4)]
            k = 0
            while time.perf_counter() < deadline:
                if await http.post("/api/report", bodies[k % len(bodies)], token) == 200:
                    stored += BATCH
                else:
                    self.errors += 1
                k += 1

        start = time.perf_counter()
        await asyncio.gather(*(writer(i) for i in range(writers)))
        return stored / (time.perf_counter() - start)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q / 100 * (len(s) - 1))))]


class Cpu:
    """CPU seconds (user + system) of some processes between two reads: the server's, the store's, this
    bench's and the viewers' process, so a throughput run says who spent the machine's two cores."""

    def __init__(self, pids: dict[str, list[int]]):
        self.procs = {role: [psutil.Process(p) for p in ps] for role, ps in pids.items()}
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        out = {}
        for role, procs in self.procs.items():
            total = 0.0
            for p in procs:
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += sum(p.cpu_times()[:2])
            out[role] = total
        return out

    def spent(self) -> dict[str, float]:
        now = self._read()
        return {role: round(now[role] - self.start[role], 3) for role in now}


async def throughput(run: Run, args: argparse.Namespace, roles: dict[str, list[int]]) -> dict[str, Any]:
    """One closed-loop run: samples stored per second, and the CPU seconds each role spent during it (per
    1,000 samples for the server)."""
    cpu = Cpu({**roles, "bench writers": [os.getpid()]})
    t0 = time.perf_counter()
    rate = await run.closed_loop(args.writers, args.seconds, args.agents)
    wall = time.perf_counter() - t0
    spent = cpu.spent()
    samples = rate * wall
    return {"samples_per_s": rate, "wall_s": round(wall, 2), "cpu_s": spent,
            "server_cpu_s_per_1000_samples": round(spent["server"] * 1000 / max(samples, 1), 4)}


async def viewers_apart(url: str, cookie: str, n: int) -> tuple[asyncio.subprocess.Process, int]:
    """N drain viewers in their own process (bench/live_viewers.py), once all are upgraded."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.live_viewers", url, cookie, str(n), cwd=str(ROOT),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    line = await proc.stdout.readline()
    if line.strip() != b"ready":
        raise RuntimeError(f"the viewers' process said {line!r}")
    return proc, proc.pid


async def bench(url: str, cookie: str, clients: list[tuple[str, str]], args: argparse.Namespace,
                admin: Any, roles: dict[str, list[int]]) -> dict[str, Any]:
    run = Run(url, cookie, clients)
    results: dict[str, Any] = {"baseline_samples_per_s": None, "by_viewers": []}

    def live_stats() -> dict[str, Any]:
        return worker_stats(admin, url, args.workers)

    def mark() -> None:  # --profile: the worker profiles between two marks (bench/profiled_server.py)
        if getattr(args, "profile_pid", None):
            os.kill(args.profile_pid, signal.SIGUSR2)

    mark()
    base = await throughput(run, args, roles)
    mark()
    results["baseline"] = base
    results["baseline_samples_per_s"] = base["samples_per_s"]
    for n in args.viewers:
        before = live_stats()
        viewers = await run.viewers(n, args.probes)
        await asyncio.sleep(1)
        run.latencies = []
        spread = live_stats()["viewers_by_worker"]
        fanout_before = live_stats().get("fanout")
        posts = await run.paced(args.agents, args.latency_seconds)
        await asyncio.sleep(1)
        lat = run.latencies[:]
        fanout = live_stats().get("fanout")
        if args.viewers_apart:
            # The throughput run's viewers read in a process of their own (the latency run's close first).
            for closer, task in viewers:
                closer.close()
                if task is not None:
                    task.cancel()
            viewers = []
            child, child_pid = await viewers_apart(url, cookie, n)
            await asyncio.sleep(1)
            mark()
            with_v = await throughput(run, args, {**roles, "viewers": [child_pid]})
            mark()
            assert child.stdin is not None and child.stdout is not None
            child.stdin.close()
            with_v["viewer_bytes"] = int((await child.stdout.read()).split()[-1])
            await child.wait()
        else:
            mark()
            with_v = await throughput(run, args, roles)
            mark()
        live = live_stats()
        for closer, task in viewers:
            closer.close()
            if task is not None:
                task.cancel()
        await asyncio.sleep(1)
        with_viewers = with_v["samples_per_s"]
        results["by_viewers"].append({
            "viewers": n, "agents": args.agents, "posts": posts, "frames_timed": len(lat),
            "latency_ms": {"p50": _ms(pct(lat, 50)), "p99": _ms(pct(lat, 99)),
                           "max": _ms(max(lat) if lat else None),
                           "mean": _ms(statistics.fmean(lat) if lat else None)},
            "samples_per_s_with_viewers": with_viewers,
            "throughput_vs_baseline": with_viewers / results["baseline_samples_per_s"],
            "with_viewers": with_v,
            "server_cpu_per_sample_vs_baseline": with_v["server_cpu_s_per_1000_samples"]
            / max(base["server_cpu_s_per_1000_samples"], 1e-9),
            "viewers_dropped": live["dropped_total"] - before["dropped_total"],
            "fanout_during_latency_run": _fanout_delta(fanout_before, fanout),
            "viewers_by_worker": spread,
        })
    results["errors"] = run.errors
    return results


def worker_stats(admin: Any, url: str, workers: int) -> dict[str, Any]:
    """GET /api/live from every worker (fresh connections until each pid answered; one for one worker), summed:
    viewers per worker, viewers dropped, fan-out passes, events and seconds."""
    import requests

    seen: dict[int, dict[str, Any]] = {}
    for _ in range(50 * workers):
        with requests.Session() as s:
            s.cookies.update(admin.cookies)
            stats = s.get(url + "/api/live", timeout=10).json()
        seen[stats.get("pid", 0)] = stats
        if len(seen) >= workers:
            break
    fan = [st["fanout"] for st in seen.values() if st.get("fanout")]
    return {"viewers_by_worker": {str(pid): st["viewers"] for pid, st in seen.items()},
            "dropped_total": sum(st["dropped_total"] or 0 for st in seen.values()),
            "fanout": {"passes": sum(f["passes"] for f in fan), "events": sum(f["events"] for f in fan),
                       "seconds": sum(f["seconds"] for f in fan),
                       "max_ms": max((f["max_ms"] for f in fan), default=0.0)} if fan else None}


def _fanout_delta(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any] | None:
    """The server's fan-out passes over the paced run: how many, frames per pass, mean and max pass time."""
    if not before or not after:
        return None
    passes = after["passes"] - before["passes"]
    return {"passes": passes, "events_per_pass": round((after["events"] - before["events"]) / max(1, passes), 2),
            "mean_ms": round((after["seconds"] - before["seconds"]) * 1000 / max(1, passes), 2),
            "max_ms_since_start": after["max_ms"]}


def _ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 2)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--viewers", default="100,1000", type=lambda s: [int(x) for x in s.split(",")])
    p.add_argument("--agents", type=int, default=500)
    p.add_argument("--writers", type=int, default=16, help="closed-loop agents for the throughput runs")
    p.add_argument("--seconds", type=float, default=10, help="length of each throughput run")
    p.add_argument("--latency-seconds", type=float, default=25, help="length of each paced latency run")
    p.add_argument("--probes", type=int, default=25, help="viewers that time frames (the rest drain)")
    p.add_argument("--workers", type=int, default=1,
                   help="N > 1: `statusmon server --workers N` on InfluxDB with a redis-server (viewers spread "
                        "over the workers by the kernel; the table shows how)")
    p.add_argument("--viewers-in-process", dest="viewers_apart", action="store_false",
                   help="the throughput run's viewers in the bench's own event loop, beside the writers (as "
                        "before: then their reading slows the writers too); default: a process of their own")
    p.add_argument("--shared", action="store_true",
                   help="InfluxDB + Redis even with one worker (the baseline for --workers N)")
    p.add_argument("--profile", type=Path, default=None, metavar="PATH",
                   help="run the (one) worker under cProfile on a CPU-time clock (bench/profiled_server.py), "
                        "write its stats to PATH and print where its CPU went")
    p.add_argument("--top", type=int, default=30, help="with --profile: functions to list")
    args = p.parse_args()
    args.shared = args.shared or args.workers > 1
    if args.profile is not None:
        if args.workers != 1:
            p.error("--profile profiles one worker")
        os.environ["BENCH_PROFILE_OUT"] = str(args.profile.resolve())
        os.environ["BENCH_PROFILE_PHASES"] = "1"
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        extra: dict[str, Any] = {}
        stores: list[int] = []
        if args.shared:
            influx = stack.enter_context(start_influxd(Path(tmp) / "influx"))
            redis = stack.enter_context(start_redis(Path(tmp) / "redis"))
            extra = {"influx_url": influx.url, "redis_url": redis.url}
            stores = [p.pid for p in (getattr(x, "proc", None) for x in (influx, redis)) if p is not None]
        profiled = [sys.executable, "-m", "bench.profiled_server"] if args.profile is not None else None
        srv = stack.enter_context(start_server(Path(tmp) / "data", args=["--workers", str(args.workers)],
                                               argv=profiled,
                                               report_rate_per_minute="1000000", login_rate_per_minute="1000",
                                               **extra))
        if args.profile is not None:
            import psutil

            assert srv.proc is not None
            args.profile_pid = psutil.Process(srv.proc.pid).children()[0].pid
        admin = srv.admin()
        clients = []
        for i in range(args.agents + args.writers):
            r = admin.post(srv.url + "/api/clients", json={"hostname": f"bench-{i:04d}"}, timeout=10)
            r.raise_for_status()
            clients.append((r.json()["client"]["id"], r.json()["token"]))
        cookie = "; ".join(f"{c.name}={c.value}" for c in admin.cookies)
        started = time.time()
        assert srv.proc is not None
        roles = {"server": server_pids(srv.proc.pid), "influxd+redis": stores}
        results = asyncio.run(bench(srv.url, cookie, clients, args, admin, roles))
        import signal

        srv.stop(signal.SIGINT)
    out = {"bench": "live", "machine": machine(), "started": int(started), "args": vars(args), **results,
           "targets": {"p99_ms_at_1000_viewers": 50, "throughput_vs_baseline_min": 0.9}}
    print(f"machine: {out['machine']['host']} ({out['machine']['cpu']}, {out['machine']['cores']} cores); "
          f"server: {args.workers} worker(s), " + ("InfluxDB + Redis" if args.shared else "SQLite"))
    print(f"ingest without viewers: {results['baseline_samples_per_s']:.0f} samples/s "
          f"({args.writers} agents posting {BATCH}-sample batches back to back)")
    print(f"{'viewers':>8} {'agents':>7} {'frames':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          f"{'ingest/s':>9} {'vs base':>8} {'dropped':>8}")
    for r in results["by_viewers"]:
        lm = r["latency_ms"]
        print(f"{r['viewers']:>8} {r['agents']:>7} {r['frames_timed']:>8} {lm['p50']!s:>8} {lm['p99']!s:>8} "
              f"{lm['max']!s:>8} {r['samples_per_s_with_viewers']:>9.0f} {r['throughput_vs_baseline']:>8.2f} "
              f"{r['viewers_dropped']:>8}")
        if len(r["viewers_by_worker"]) > 1:
            print(f"{'':>8} viewers per worker (pid: viewers): {r['viewers_by_worker']}")
        if r["fanout_during_latency_run"]:
            fo = r["fanout_during_latency_run"]
            print(f"{'':>8} server fan-out: {fo['passes']} passes, {fo['events_per_pass']} frames/pass, "
                  f"{fo['mean_ms']} ms mean per pass")
        wv = r["with_viewers"]
        print(f"{'':>8} CPU s during the throughput runs, without -> with viewers: "
              + ", ".join(f"{role} {results['baseline']['cpu_s'].get(role, 0.0)} -> {v}"
                          for role, v in wv["cpu_s"].items())
              + f"; server CPU s per 1,000 samples {results['baseline']['server_cpu_s_per_1000_samples']} -> "
                f"{wv['server_cpu_s_per_1000_samples']} ({r['server_cpu_per_sample_vs_baseline']:.2f}x)")
    print(f"errors: {results['errors']}")
    if args.profile is not None:
        time.sleep(1)  # the worker writes the last phase's file
        phases = [("no viewers", results["baseline_samples_per_s"])] + [
            (f"{r['viewers']} viewers", r["samples_per_s_with_viewers"]) for r in results["by_viewers"]]
        print_profile(args.profile, phases, args.seconds, args.top)
        return 0  # a profiled run's figures are not the bench's
    path = write_json(f"live-{out['machine']['host']}-{time.strftime('%Y%m%d-%H%M%S')}", out)
    print(f"wrote {path.relative_to(ROOT)}")
    return 0


# Where the worker's CPU goes in a closed-loop phase: cumulative CPU of calls that never wait for another greenlet
# (under gevent a waiting call's cumulative time holds whatever ran meanwhile; these do not wait).
LIVE_PARTS = {
    "reports (the WSGI report path, whole)": ("api/fastreport.py", "__call__"),
    "  validation (fast path)": ("api/fastcheck.py", "load"),
    "  live frame building (on_ingest)": ("api/live/feed.py", "on_ingest"),
    "fan-out passes (a message per viewer)": ("api/live/broker.py", "flush"),
    "  direct non-blocking socket writes": ("api/live/ws.py", "send"),
}


def print_profile(path: Path, phases: list[tuple[str, float]], seconds: float, top: int) -> None:
    """The worker's CPU per 1,000 samples in each closed-loop phase (profile files ``path.1``, ``path.2``...),
    by part, and the functions whose own CPU per 1,000 samples grew most with viewers."""
    import pstats

    from bench.common import table

    per_1k: list[dict[tuple[str, int, str], float]] = []
    cum_1k: list[dict[tuple[str, int, str], float]] = []
    totals = []
    for n, (_, rate) in enumerate(phases, 1):
        stats = pstats.Stats(f"{path}.{n}").stats  # type: ignore[attr-defined]
        k = 1000.0 / max(1.0, rate * seconds)
        per_1k.append({key: v[2] * k for key, v in stats.items()})
        cum_1k.append({key: v[3] * k for key, v in stats.items()})
        totals.append(sum(v[2] for v in stats.values()) * k)
    names = [name for name, _ in phases]
    print("worker CPU s per 1,000 samples ingested, profiled (cProfile inflates Python calls: read the shares)")
    rows = [["whole worker", *totals]]
    for label, (suffix, func) in LIVE_PARTS.items():
        rows.append([label, *(sum(v for (fn, _, name), v in c.items() if name == func and fn.endswith(suffix))
                              for c in cum_1k)])
    print(table(["part", *names], rows))
    base, last = per_1k[0], per_1k[-1]
    grown = sorted(((last.get(key, 0.0) - base.get(key, 0.0), key) for key in last), reverse=True)[:top]
    print(table(["function (own CPU per 1k samples)", names[0], names[-1], "added"],
                [[f"{name} ({'/'.join(Path(fn).parts[-2:])}:{line})", base.get((fn, line, name), 0.0),
                  last[(fn, line, name)], d] for d, (fn, line, name) in grown]))


if __name__ == "__main__":
    raise SystemExit(main())
