"""Agent footprint: CPU seconds per minute and resident memory, after warm-up, median of several runs, of the
agent sampling every second with every collector on (once with its builtin HTTP client, once with
``http_client = requests``, once with only the five collectors it had before issue 15), against a minimal psutil
loop (bench/agent/baseline.py) running at the same time, all posting to a loopback receiver. The Docker socket is
a fake engine (tests/agent/dockerengine.py, in a process of its own) holding ``--containers`` running
containers (50), so the containers collector polls 50 containers' stats every 10 s and the disk-usage collector
reads its /system/df. One more agent runs every collector but ``containers``, to tell that one's cost apart.

Then each collector alone, in this process: CPU time of one minute's worth of its work (60 collects, plus 6
container polls or a fifth of a /system/df measurement for the two that work in the background).

    .venv/bin/python -m bench.agent.run [--runs 3] [--warmup 15] [--seconds 60] [--compare main]

``--compare REF`` runs one more agent, every collector on, from that git ref's agent/ and statusmon/, side by
side in the same runs, and times one containers poll of this tree and of REF, alternating.

Prints a table and writes bench/results/agent.json. Also measures where the memory goes: the resident size of
a bare interpreter and what each import adds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.agent.receiver import Receiver

REPO = Path(__file__).resolve().parents[2]
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime (threads included)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}"


def one_run(receiver: Receiver, warmup: float, seconds: float, docker_socket: str,
            compare: tuple[str, str] | None = None) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "STATUSMON_AGENT_CONFIG": "/dev/null",
            "STATUSMON_AGENT_SERVER": receiver.url,
            "STATUSMON_AGENT_TOKEN": receiver.token,
            "STATUSMON_AGENT_SPOOL_DIR": tmp,
            "STATUSMON_AGENT_LOG_LEVEL": "WARNING",
            "STATUSMON_AGENT_DOCKER_SOCKET": docker_socket,
        }
        procs = {
            "agent": subprocess.Popen([sys.executable, "-m", "agent"], cwd=REPO, env=env),
            "agent, requests": subprocess.Popen(
                [sys.executable, "-m", "agent"], cwd=REPO,
                env={**env, "STATUSMON_AGENT_SPOOL_DIR": tmp + "/requests", "STATUSMON_AGENT_HTTP_CLIENT": "requests"},
            ),
            "agent, containers every 60 s": subprocess.Popen(
                [sys.executable, "-m", "agent"], cwd=REPO,
                env={**env, "STATUSMON_AGENT_SPOOL_DIR": tmp + "/containers60",
                     "STATUSMON_AGENT_CONTAINERS_INTERVAL": "60"},
            ),
            "agent, no containers": subprocess.Popen(
                [sys.executable, "-m", "agent"], cwd=REPO,
                env={**env, "STATUSMON_AGENT_SPOOL_DIR": tmp + "/nocontainers",
                     "STATUSMON_AGENT_COLLECTORS": "cpu,memory,disks,gpu,docker,load,net,diskio,temps"},
            ),
            "agent, 5 old collectors": subprocess.Popen(
                [sys.executable, "-m", "agent"], cwd=REPO,
                env={**env, "STATUSMON_AGENT_SPOOL_DIR": tmp + "/old",
                     "STATUSMON_AGENT_COLLECTORS": "cpu,memory,disks,gpu,docker"},
            ),
            **({f"agent at {compare[0]}, every collector on": subprocess.Popen(
                [sys.executable, "-m", "agent"], cwd=compare[1],
                env={**env, "STATUSMON_AGENT_SPOOL_DIR": tmp + "/compare"},
            )} if compare else {}),
            "psutil loop": subprocess.Popen(
                [sys.executable, str(REPO / "bench" / "agent" / "baseline.py"), receiver.url, receiver.token]
            ),
        }
        try:
            time.sleep(warmup)
            start = {name: cpu_seconds(p.pid) for name, p in procs.items()}
            t0 = time.monotonic()
            time.sleep(seconds)
            elapsed = time.monotonic() - t0
            out = {}
            for name, p in procs.items():
                assert p.poll() is None, f"{name} exited"
                out[name] = {
                    "cpu_s_per_min": (cpu_seconds(p.pid) - start[name]) * 60 / elapsed,
                    "rss_mib": rss_mib(p.pid),
                }
            return out
        finally:
            for p in procs.values():
                p.terminate()
                p.wait(20)


AGENT = (
    "import agent.runtime, agent.collectors.cpu, agent.collectors.memory, agent.collectors.disks,"
    " agent.collectors.docker, agent.collectors.gpu, agent.collectors.load, agent.collectors.net,"
    " agent.collectors.diskio, agent.collectors.temps, agent.collectors.containers, psutil, schedule"
    # psutil is imported at collector creation
)
IMPORTS = {
    "bare interpreter": "",
    "agent (runtime, collectors, psutil, schedule)": AGENT,
    "agent without psutil and schedule": "import sys; sys.modules['psutil'] = sys.modules['schedule'] = None\n"
    "import statusmon.http11, agent.delivery, agent.spool, agent.payload, agent.sampler, agent.config, logging, "
    "threading",
    "+ pynvml (gpu collector's first collect)": AGENT + ", pynvml",
    "+ requests (http_client = requests)": AGENT + ", requests",
    "schedule alone": "import schedule",
    "sqlite3 alone (the spool)": "import sqlite3",
    "logging alone": "import logging",
    "ssl alone (only for https servers)": "import ssl",
    "http.client alone": "import http.client",
    "urllib.request alone": "import urllib.request",
    "requests alone": "import requests",
    "psutil alone": "import psutil",
}


def import_costs() -> dict[str, float]:
    out = {}
    for label, stmt in IMPORTS.items():
        code = f"{stmt}\nfor l in open('/proc/self/status'):\n    l.startswith('VmRSS') and print(int(l.split()[1]))"
        rss = [
            int(
                subprocess.run(
                    [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
                ).stdout
            )
            for _ in range(3)
        ]
        out[label] = statistics.median(rss) / 1024
    return out


def collector_costs(docker_socket: str, minutes: int = 3) -> dict[str, float]:
    """CPU milliseconds per minute of each collector alone (median of ``minutes`` minutes' worth)."""
    from agent import collectors
    from agent.config import load

    config = load(environ={"STATUSMON_AGENT_CONFIG": "/dev/null", "STATUSMON_AGENT_DOCKER_SOCKET": docker_socket})
    out: dict[str, float] = {}
    for c in collectors.build(config):
        settle = getattr(c, "settle", None)
        if settle is not None:
            settle(30)
        costs = []
        for _ in range(minutes):
            t0 = time.process_time()
            for i in range(60):
                c.collect(time.time())
                time.sleep(0.001)  # counters move: the rate paths run, not only the first-sample one
            if c.name == "containers":
                for _ in range(6):
                    c.poll()  # type: ignore[attr-defined]
            elif c.name == "docker":
                t1 = time.process_time()
                c.measure()  # type: ignore[attr-defined]
                t0 += (time.process_time() - t1) * 4 / 5  # every 300 s: a fifth of it per minute
            costs.append((time.process_time() - t0) * 1000)
        out[c.name] = statistics.median(costs)
        c.close()
    return out


POLL = """
import json, sys, time
from agent.collectors.containers import ContainersCollector
c = ContainersCollector(sys.argv[1], 10, start=False)
c.poll()
c.poll()
costs = []
for _ in range(int(sys.argv[2])):
    t0 = time.thread_time()
    c.poll()
    costs.append(time.thread_time() - t0)
print(json.dumps(sorted(costs)[len(costs) // 2] * 1000))
"""


def archive(ref: str, into: str) -> str:
    """``ref``'s agent/ and statusmon/ unpacked into ``into`` (run with ``cwd=into``, they shadow this tree's)."""
    os.makedirs(into, exist_ok=True)
    tar = subprocess.run(["git", "archive", ref, "agent", "statusmon"], cwd=REPO, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", into], input=tar.stdout, check=True)
    return into


def poll_costs(docker_socket: str, trees: dict[str, Path], rounds: int = 5, polls: int = 20) -> dict[str, float]:
    """CPU milliseconds (thread time) of one containers poll, median of ``polls``, in a process per tree
    (rounds alternate the trees); the median over rounds."""
    seen: dict[str, list[float]] = {label: [] for label in trees}
    for _ in range(rounds):
        for label, tree in trees.items():
            out = subprocess.run([sys.executable, "-c", POLL, docker_socket, str(polls)], cwd=tree,
                                 capture_output=True, text=True, check=True).stdout
            seen[label].append(float(out))
    return {label: statistics.median(v) for label, v in seen.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=15)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--containers", type=int, default=50)
    ap.add_argument("--compare", metavar="REF", help="also run the agent of this git ref (e.g. main), side by side")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "agent.json"))
    args = ap.parse_args(argv)
    receiver = Receiver().start()
    runs = []
    engine_dir = tempfile.TemporaryDirectory()
    socket_path = os.path.join(engine_dir.name, "docker.sock")
    engine = subprocess.Popen([sys.executable, "-m", "tests.agent.dockerengine", socket_path, str(args.containers)],
                              cwd=REPO)
    deadline = time.monotonic() + 30
    while not os.path.exists(socket_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    compare = (args.compare, archive(args.compare, os.path.join(engine_dir.name, "ref"))) if args.compare else None
    polls: dict[str, float] = {}
    try:
        trees = {"this tree": REPO, **({f"at {compare[0]}": Path(compare[1])} if compare else {})}
        polls = poll_costs(socket_path, trees)
        for i in range(args.runs):
            runs.append(one_run(receiver, args.warmup, args.seconds, socket_path, compare))
            print(
                f"run {i + 1}/{args.runs}: "
                + ", ".join(
                    f"{n} {r['cpu_s_per_min']:.4f} CPU-s/min {r['rss_mib']:.1f} MiB" for n, r in runs[-1].items()
                ),
                file=sys.stderr,
            )
        per_collector = collector_costs(socket_path)
    finally:
        receiver.stop()
        engine.terminate()
        engine.wait(10)
        engine_dir.cleanup()
    summary = {
        name: {k: statistics.median(r[name][k] for r in runs) for k in ("cpu_s_per_min", "rss_mib")} for name in runs[0]
    }
    imports = import_costs()
    result = {
        "machine": machine(),
        "runs": args.runs,
        "warmup_s": args.warmup,
        "seconds": args.seconds,
        "median": summary,
        "all_runs": runs,
        "import_rss_mib": imports,
        "containers": args.containers,
        "collector_cpu_ms_per_min": per_collector,
        "containers_poll_cpu_ms": polls,
        "compare": args.compare,
        "targets": {"cpu_s_per_min": 0.06, "rss_mib": 25.0, "rss_mib_stretch": 20.5},
    }
    print(f"\nmachine: {result['machine']}")
    print(
        f"{args.runs} runs, {args.warmup:.0f} s warm-up, {args.seconds:.0f} s measured, median; "
        f"sampling every second, posting every 10 s to a loopback receiver; a fake Docker engine with "
        f"{args.containers} running containers"
    )
    print(f"{'':42} {'CPU-s/min':>10} {'RSS MiB':>8}")
    for name, r in summary.items():
        print(f"{name:42} {r['cpu_s_per_min']:>10.4f} {r['rss_mib']:>8.1f}")
    print(f"{'target':42} {0.06:>10.4f} {25.0:>8.1f}  (stretch {20.5} MiB)")
    print("\nCPU ms per minute of each collector alone (median of 3 minutes' worth):")
    for name, ms in per_collector.items():
        print(f"  {name:12} {ms:8.2f}")
    print(f"\nCPU ms of one containers poll ({args.containers} containers; thread time, median of 20 polls, "
          f"median of 5 alternating rounds):")
    for label, ms in polls.items():
        print(f"  {label:12} {ms:8.2f}")
    print("\nresident memory after imports (MiB, median of 3):")
    for label, mib in imports.items():
        print(f"  {label:44} {mib:6.1f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
