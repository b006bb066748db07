"""The report fast path (api/fastcheck.py) in-process: this tree's against a baseline revision's, same run.

    .venv/bin/python -m bench.fastcheck [--baseline REV] [--calls 1000] [--repeat 5]

The baseline is ``api/fastcheck.py`` as it was at REV (read with ``git show``; by default the last main before
the generated-source port, which checked one closure per field). Each batch is a typical agent batch: ten
samples of one report interval (agent default: a sample a second, a report every ten seconds).
"full host": the last sample of the agent's real payload from tests/agent/test_payload.py (every collector:
system metrics, a disk, a GPU with a process, network interfaces, disk I/O, sensors, containers), ten times with
consecutive timestamps. "bench.ingest": the system-and-one-disk sample bench.ingest sends. Both versions must
give the same result for each batch (checked before timing). Timing: ``timeit`` of CALLS calls, REPEAT times,
the two versions alternating; the median per call is quoted.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path
from types import ModuleType
from typing import Any

from api.fastcheck import FastCheck
from bench.common import machine, table, write_json
from bench.ingest import BATCH
from bench.ingest import sample as ingest_sample
from statusmon.config import Settings

# main with the host-metric lists, before the fast path's generated source was ported onto it
BASELINE = "72f409064fae0c9072bcbf03b4866be34e2b5d65"


def baseline_module(rev: str) -> ModuleType:
    source = subprocess.run(["git", "show", f"{rev}:api/fastcheck.py"], check=True, capture_output=True,
                            text=True).stdout
    module = ModuleType("fastcheck_baseline")
    module.__file__ = f"<api/fastcheck.py at {rev[:10]}>"
    sys.modules[module.__name__] = module  # dataclasses and annotations look the module up
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - this repository's own file
    return module


def full_host_batch(now: int) -> dict[str, Any]:
    from tests.agent.test_payload import real_payload  # run from the repository root

    with tempfile.TemporaryDirectory() as tmp:
        last = real_payload(Path(tmp))["samples"][-1]
    return {"agent_version": "bench", "dropped": 0,
            "samples": [{**last, "ts": now - BATCH + k} for k in range(BATCH)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    now = 1_800_000_000
    settings = Settings()
    old = baseline_module(args.baseline).FastCheck(settings, now=lambda: float(now))
    new = FastCheck(settings, now=lambda: float(now))
    batches = {
        "full host": full_host_batch(now),
        "bench.ingest": {"agent_version": "bench",
                         "samples": [ingest_sample(now - BATCH + k, k) for k in range(BATCH)]},
    }
    rows, results = [], {}
    for name, body in batches.items():
        expected = old.load(body)
        assert expected is not None, f"{name}: the baseline declines the batch"
        assert new.load(body) == expected, f"{name}: the two versions differ"
        times: dict[str, list[float]] = {"baseline": [], "this tree": []}
        for _ in range(args.repeat):
            for label, check in (("baseline", old), ("this tree", new)):
                seconds = timeit.timeit(functools.partial(check.load, body), number=args.calls)
                times[label].append(seconds / args.calls * 1e6)
        before, after = (statistics.median(times[k]) for k in ("baseline", "this tree"))
        rows.append([name, len(body["samples"]), before, after, after / before])
        results[name] = {"samples": len(body["samples"]), "baseline_us": times["baseline"],
                         "this_tree_us": times["this tree"], "median_before_us": before,
                         "median_after_us": after, "ratio": after / before}
    print(table(["batch", "samples", "baseline µs/batch", "this tree µs/batch", "after / before"], rows))
    path = write_json("fastcheck", {"machine": machine(), "baseline": args.baseline, "calls": args.calls,
                                    "repeat": args.repeat, "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
