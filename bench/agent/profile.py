"""Where the agent's CPU goes: the real agent (every collector on, one sample a second, a POST every 10 s to a
loopback receiver, a fake Docker engine with ``--containers`` running containers in a process of its own) run
in this process for ``--seconds``, every thread under cProfile on its own CPU clock (``time.thread_time``), the
threads' profiles merged. Prints the functions by own time and by cumulative time, and each thread's CPU.

    .venv/bin/python -m bench.agent.profile [--seconds 120] [--containers 50] [--top 30]

cProfile slows what it measures (every call pays the hook), so the totals are above bench.agent.run's; it is
for ranking the costs, not for the footprint figures.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from tests.agent.receiver import Receiver

REPO = Path(__file__).resolve().parents[2]


def profile_threads(profiles: list[tuple[str, cProfile.Profile, list[float]]]) -> None:
    """Every thread started from now on runs under a profile of its own (kept in ``profiles``)."""
    run = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        prof = cProfile.Profile(time.thread_time)
        spent = [0.0]
        profiles.append((self.name, prof, spent))
        t0 = time.thread_time()
        prof.enable()
        try:
            run(self)
        finally:
            prof.disable()
            spent[0] = time.thread_time() - t0

    threading.Thread.run = profiled_run  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--containers", type=int, default=50)
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--collectors", default="", help="comma-separated; default every collector")
    args = ap.parse_args(argv)
    receiver = Receiver().start()
    with tempfile.TemporaryDirectory() as tmp:
        sock = os.path.join(tmp, "docker.sock")
        engine = subprocess.Popen([sys.executable, "-m", "tests.agent.dockerengine", sock, str(args.containers)],
                                  cwd=REPO)
        try:
            deadline = time.monotonic() + 30
            while not os.path.exists(sock) and time.monotonic() < deadline:
                time.sleep(0.05)
            from agent.config import load
            from agent.runtime import Agent

            env: dict[str, Any] = {"STATUSMON_AGENT_CONFIG": "/dev/null", "STATUSMON_AGENT_SERVER": receiver.url,
                                   "STATUSMON_AGENT_TOKEN": receiver.token, "STATUSMON_AGENT_SPOOL_DIR": tmp + "/spool",
                                   "STATUSMON_AGENT_LOG_LEVEL": "WARNING", "STATUSMON_AGENT_DOCKER_SOCKET": sock}
            if args.collectors:
                env["STATUSMON_AGENT_COLLECTORS"] = args.collectors
            profiles: list[tuple[str, cProfile.Profile, list[float]]] = []
            profile_threads(profiles)
            agent = Agent(load(environ=env))
            threading.Timer(args.seconds, agent.stop.set).start()
            main_prof = cProfile.Profile(time.thread_time)
            t0, c0 = time.thread_time(), time.process_time()
            main_prof.enable()
            agent.run()
            main_prof.disable()
            main_cpu, total_cpu = time.thread_time() - t0, time.process_time() - c0
        finally:
            receiver.stop()
            engine.terminate()
            engine.wait(10)
    per_thread: dict[str, float] = {"main (sampling loop)": main_cpu}
    stats = pstats.Stats(main_prof)
    for name, prof, spent in profiles:
        if name.startswith("Thread-") or "Timer" in name:  # the receiver and the stop timer: not the agent's
            continue
        key = name.split(" (")[0]
        per_thread[key] = per_thread.get(key, 0.0) + spent[0]
        stats.add(prof)
    minutes = args.seconds / 60
    print(f"{args.seconds:.0f} s, {args.containers} containers; CPU-s per minute under cProfile "
          f"(the process, receiver included: {total_cpu / minutes:.3f})")
    for name, cpu in per_thread.items():
        print(f"  {name:24} {cpu / minutes:.4f}")
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
