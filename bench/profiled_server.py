"""`statusmon server` with its gevent worker under cProfile (CPU-time clock): bench/profile_ingest starts it.

    BENCH_PROFILE_OUT=/tmp/worker.prof python -m bench.profiled_server

The worker writes the profile to ``BENCH_PROFILE_OUT`` when it stops; with ``BENCH_PROFILE_PHASES=1`` it profiles
only between SIGUSR2 signals instead (on, off, on, off...), each phase to ``BENCH_PROFILE_OUT.<n>``. Everything
else is `statusmon server`.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # first, as in api/server.py: before gunicorn or the app import socket and threading

import cProfile  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from gunicorn.workers.ggevent import GeventWorker  # noqa: E402

from api.server import run  # noqa: E402


def serve() -> None:
    out = os.environ["BENCH_PROFILE_OUT"]
    phases = os.environ.get("BENCH_PROFILE_PHASES") == "1"
    plain_run = GeventWorker.run

    def profiled_run(self: Any) -> None:
        prof = cProfile.Profile(time.process_time)
        if phases:
            # Phases: the profile starts off; each SIGUSR2 turns it on, then off, writing ``out.1``, ``out.2``...
            # (bench.live --profile signals around its closed-loop phases).
            state = {"on": False, "n": 0}

            def toggle(*_: Any) -> None:
                if state["on"]:
                    prof.disable()
                    state["n"] += 1
                    prof.dump_stats(f"{out}.{state['n']}")
                    prof.clear()
                else:
                    prof.enable()
                state["on"] = not state["on"]

            signal.signal(signal.SIGUSR2, toggle)
            plain_run(self)
            return
        prof.enable()
        try:
            plain_run(self)
        finally:
            prof.disable()
            prof.dump_stats(out)

    GeventWorker.run = profiled_run
    raise SystemExit(run())


if __name__ == "__main__":
    serve()
