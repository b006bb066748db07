"""`statusmon server` with its gevent worker under cProfile (CPU-time clock): bench/profile_ingest starts it.

    BENCH_PROFILE_OUT=/tmp/worker.prof python -m bench.profiled_server

The worker writes the profile to ``BENCH_PROFILE_OUT`` when it stops. Everything else is `statusmon server`.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # first, as in api/server.py: before gunicorn or the app import socket and threading

import cProfile  # noqa: E402
import os  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from gunicorn.workers.ggevent import GeventWorker  # noqa: E402

from api.server import run  # noqa: E402


def serve() -> None:
    out = os.environ["BENCH_PROFILE_OUT"]
    plain_run = GeventWorker.run

    def profiled_run(self: Any) -> None:
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        try:
            plain_run(self)
        finally:
            prof.disable()
            prof.dump_stats(out)

    GeventWorker.run = profiled_run  # type: ignore[method-assign]
    raise SystemExit(run())


if __name__ == "__main__":
    serve()
