"""Agent footprint: CPU seconds per minute and resident memory, after warm-up, median of several runs, of the
agent sampling every second with every collector on (once with its builtin HTTP client, once with
``http_client = requests``), against a minimal psutil loop (bench/agent/baseline.py) running at the same time,
all posting to a loopback receiver.

    .venv/bin/python -m bench.agent.run [--runs 3] [--warmup 15] [--seconds 60]

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


def one_run(receiver: Receiver, warmup: float, seconds: float) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "STATUSMON_AGENT_CONFIG": "/dev/null",
            "STATUSMON_AGENT_SERVER": receiver.url,
            "STATUSMON_AGENT_TOKEN": receiver.token,
            "STATUSMON_AGENT_SPOOL_DIR": tmp,
            "STATUSMON_AGENT_LOG_LEVEL": "WARNING",
        }
        procs = {
            "agent": subprocess.Popen([sys.executable, "-m", "agent"], cwd=REPO, env=env),
            "agent, requests": subprocess.Popen(
                [sys.executable, "-m", "agent"], cwd=REPO,
                env={**env, "STATUSMON_AGENT_SPOOL_DIR": tmp + "/requests", "STATUSMON_AGENT_HTTP_CLIENT": "requests"},
            ),
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
    " agent.collectors.docker, agent.collectors.gpu, psutil, schedule"  # psutil is imported at collector creation
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=15)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "agent.json"))
    args = ap.parse_args(argv)
    receiver = Receiver().start()
    runs = []
    try:
        for i in range(args.runs):
            runs.append(one_run(receiver, args.warmup, args.seconds))
            print(
                f"run {i + 1}/{args.runs}: "
                + ", ".join(
                    f"{n} {r['cpu_s_per_min']:.4f} CPU-s/min {r['rss_mib']:.1f} MiB" for n, r in runs[-1].items()
                ),
                file=sys.stderr,
            )
    finally:
        receiver.stop()
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
        "targets": {"cpu_s_per_min": 0.06, "rss_mib": 25.0, "rss_mib_stretch": 20.5},
    }
    print(f"\nmachine: {result['machine']}")
    print(
        f"{args.runs} runs, {args.warmup:.0f} s warm-up, {args.seconds:.0f} s measured, median; "
        "sampling every second, posting every 10 s to a loopback receiver"
    )
    print(f"{'':24} {'CPU-s/min':>10} {'RSS MiB':>8}")
    for name, r in summary.items():
        print(f"{name:24} {r['cpu_s_per_min']:>10.4f} {r['rss_mib']:>8.1f}")
    print(f"{'target':24} {0.06:>10.4f} {25.0:>8.1f}  (stretch {20.5} MiB)")
    print("\nresident memory after imports (MiB, median of 3):")
    for label, mib in imports.items():
        print(f"  {label:44} {mib:6.1f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    print(f"\nwritten {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
