"""`statusmon server` whose Flask app notes every request it dispatches (method and path, one a line, in the
file ``STATUSMON_TEST_FLASK_LOG``): tests see which requests Flask served and which never reached it
(POST /api/report, answered in front of Flask by api/fastreport.py). Everything else is `statusmon server`.

    STATUSMON_TEST_FLASK_LOG=/tmp/flask.log python -m tests.support.spied_server
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()  # first, as in api/server.py: before gunicorn or the app import socket and threading

import os  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, request  # noqa: E402

from api.server import run  # noqa: E402


def serve() -> None:
    path = os.environ["STATUSMON_TEST_FLASK_LOG"]
    plain = Flask.full_dispatch_request

    def noted(self: Flask) -> Any:
        with open(path, "a") as f:
            f.write(f"{request.method} {request.path}\n")
        return plain(self)

    Flask.full_dispatch_request = noted  # type: ignore[method-assign]
    raise SystemExit(run())


if __name__ == "__main__":
    serve()
