"""The HTTP layer's floor for bench.ingest: a bare WSGI app (it reads the body and answers a fixed report
answer) under exactly `statusmon server`'s gunicorn settings (api/server.py's ``gunicorn_options``: the gevent
worker, the same keep-alive and connection limits).

    STATUSMON_BIND=127.0.0.1:8099 python -m bench.floor_server 1      # workers (bench.ingest starts it as
                                                                      # tests/support/server.py starts the server)

What it costs per request is what any app served this way pays before its own first line runs: gunicorn's
Python HTTP parser, the environ, the response headers, gevent's socket calls.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # first, as in api/server.py

import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from typing import Any  # noqa: E402

from gunicorn.app.base import BaseApplication  # noqa: E402

from api.server import gunicorn_options  # noqa: E402

ANSWER = b'{"report_interval":10,"stored":10}\n'


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(ANSWER)))])
    return [ANSWER]


class FloorServer(BaseApplication):
    def __init__(self, bind: str, workers: int) -> None:
        self.options = gunicorn_options(bind, workers, "warning")
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return app


if __name__ == "__main__":
    FloorServer(os.environ["STATUSMON_BIND"], int(sys.argv[1]) if len(sys.argv) > 1 else 1).run()
