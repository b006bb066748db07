"""Agent update: the time for one host from `statusmon agent update --once` starting to the new agent's first
accepted report (the command returns only then), on loopback, and the updater's peak memory; with, as baselines
measured in the same run, a bare interpreter's peak memory and the TUF refresh alone (no new version).

    .venv/bin/python -m bench.update [--runs 3]

Real parts throughout (tests/agent/updates.py): releases built by `statusmon release` code from copies of this
checkout, a TUF repository served by an HTTP server on loopback, venvs in a temporary install root, the agent run
by a supervisor process that the updater restarts with a signal. Prints a table and writes bench/results/update.json.
Target: check to healthy <= 60 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.config import load
from agent.update.layout import Layout
from agent.update.updater import Updater
from bench.common import machine, table, write_json
from statusmon.release import keys
from statusmon.release.repository import Repository
from tests.agent.updates import Supervisor, UpdateServer, build_release, wait_until, write_config

# Runs the updater in the release's own interpreter and reports its peak RSS (VmHWM: ru_maxrss would carry the
# parent's high-water mark across fork+exec on Linux) and its largest child's (pip, venv) ru_maxrss, which is an
# upper bound for the same reason.
HWM = "int([l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1])"
MEASURE = f"""
import json, resource, sys, time
from agent.main import run
t = time.monotonic()
rc = run(["update", "--once", "--config", sys.argv[1]])
print(json.dumps({{"rc": rc, "seconds": time.monotonic() - t, "self_kib": {HWM},
                  "children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
"""


def measure(root: Path, config: Path) -> dict[str, Any]:
    started = time.monotonic()
    proc = subprocess.run([str(root / "current" / "bin" / "python"), "-c", MEASURE, str(config)], cwd="/",
                          capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stdout + proc.stderr)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {**out, "wall_seconds": wall}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3, help="updates in a row (A -> B -> C ...)")
    args = ap.parse_args()
    versions = [f"1.{i}.0" for i in range(args.runs + 1)]
    work = Path(tempfile.mkdtemp(prefix="statusmon-bench-update-"))
    server = sup = None
    try:
        print(f"==> building {len(versions)} releases")
        built = {v: build_release(work, v, work / "deps") for v in versions}
        keys.keygen(work / "keys")
        repo = Repository(work / "repo", work / "keys")
        repo.publish(list(built.values()))
        server = UpdateServer(repo.dir).start()
        root = work / "host"
        config = write_config(work / "agent.conf", root, server.url, health_window="120")
        layout = Layout(root)
        layout.pinned_root.parent.mkdir(parents=True)
        shutil.copy(repo.meta_dir / "root.json", layout.pinned_root)
        Updater(load(str(config)))._install(versions[0], built[versions[0]].path)
        layout.switch(versions[0])
        sup = Supervisor(root, config).start()
        config = write_config(work / "agent.conf", root, server.url, health_window="120",
                              restart_command=sup.restart_command)
        wait_until(lambda: versions[0] in server.reports, 60, "the first agent's report")

        bare = subprocess.run([str(root / "current" / "bin" / "python"), "-c",
                               f"print({HWM})"],
                              capture_output=True, text=True, check=True)
        server.target = versions[0]  # nothing to do: the policy call only
        idle = measure(root, config)
        server.target = None
        runs = []
        for v in versions[1:]:
            server.target = v
            r = measure(root, config)
            if r["rc"] != 0 or layout.current_version() != v:
                raise RuntimeError(f"update to {v} failed: {server.results[-1:]}")
            runs.append(r)
        secs = [r["wall_seconds"] for r in runs]
        rows = [[f"update {versions[i]} -> {versions[i + 1]}", r["wall_seconds"], r["self_kib"] / 1024,
                 r["children_kib"] / 1024] for i, r in enumerate(runs)]
        rows.append(["no new version (policy call only)", idle["wall_seconds"], idle["self_kib"] / 1024,
                     idle["children_kib"] / 1024])
        rows.append(["baseline: bare interpreter", float("nan"), int(bare.stdout) / 1024, float("nan")])
        print(table(["run", "check->healthy s", "updater peak MiB", "pip/venv peak MiB (at most)"], rows))
        verdict = "met" if max(secs) <= 60 else "MISSED"
        print(f"check to healthy: median {statistics.median(secs):.1f} s, max {max(secs):.1f} s "
              f"(target <= 60 s: {verdict})")
        path = write_json("update", {"machine": machine(), "runs": runs, "idle": idle,
                                     "bare_interpreter_kib": int(bare.stdout),
                                     "median_seconds": statistics.median(secs), "max_seconds": max(secs),
                                     "target_seconds": 60, "target_met": max(secs) <= 60})
        print(f"wrote {path}")
        return 0 if max(secs) <= 60 else 1
    finally:
        if sup is not None:
            sup.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
