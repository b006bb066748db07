"""CPU per 1,000 samples of POST /api/report inside one process: the app's WSGI callable called directly
(no HTTP server), bench.ingest's 10-sample batches from many clients, on SQLite or a temporary influxd.

    .venv/bin/python -m bench.report_path                    # SQLite, 1,500 reports a run, 3 rounds
    .venv/bin/python -m bench.report_path --store influxdb --rounds 5

Each round times, in turn, every path the app has: "wsgi" (what a server calls: the WSGI report path of
api/fastreport.py) and "flask" (the Flask route behind it, the path before it). Run from another tree (e.g.
``cd ../main && PYTHONPATH=. <this venv>/bin/python -m bench.report_path``, with this file copied there) it
times whatever that tree's app is as "app". Prints the median CPU s per 1,000 samples of each path and, where
both ran, their ratio per round.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.common import table
from bench.ingest import BATCH, sample

WSGI = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(token: str, body: bytes) -> dict[str, Any]:
    """What gunicorn's gevent worker hands the app for one report (the headers bench.ingest sends)."""
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/report", "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8080", "HTTP_AUTHORIZATION": f"Bearer {token}",
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
            "HTTP_ACCEPT_ENCODING": "identity", "HTTP_CONNECTION": "keep-alive",
            "wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True, "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0), "wsgi.errors": io.StringIO(), "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False}


def run(app: WSGI, agents: list[tuple[str, str]], reports: int, base_ts: int, first: int) -> float:
    """CPU seconds per 1,000 samples for ``reports`` reports (bodies and environs built before the clock)."""
    envs = []
    for n in range(first, first + reports):
        _, token = agents[n % len(agents)]
        ts0 = base_ts + (n // len(agents)) * BATCH
        body = json.dumps({"agent_version": "bench", "samples": [sample(ts0 + k, n) for k in range(BATCH)]})
        envs.append(environ(token, body.encode()))
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    t0 = time.process_time()
    for env in envs:
        for _ in app(env, start_response):
            pass
    cpu = time.process_time() - t0
    bad = [s for s in statuses if not s.startswith("200")]
    assert not bad, bad[:3]
    return cpu / (reports * BATCH) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", choices=["sqlite", "influxdb"], default="sqlite")
    ap.add_argument("--reports", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--agents", type=int, default=200)
    args = ap.parse_args()
    from api.app import create_app
    from statusmon.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        influx = None
        kw: dict[str, Any] = {"report_rate_per_minute": 1_000_000}
        if args.store == "influxdb":
            from tests.support.influxd import start_influxd

            influx = start_influxd(root / "influx")
            kw.update(influx_url=influx.url, influx_db="bench")
        try:
            flask_app = create_app(Settings(data_dir=root / "data", **kw), start_background=False)
            state = flask_app.extensions["statusmon"]
            agents = [state.clients.add(f"agent-{i}") for i in range(args.agents)]
            agents = [(c.id, token) for c, token in agents]
            paths: dict[str, WSGI] = {"app": flask_app.wsgi_app}
            if hasattr(flask_app.wsgi_app, "flask"):
                paths = {"wsgi": flask_app.wsgi_app, "flask": flask_app.wsgi_app.flask}
            base_ts = int(time.time()) - 20 * 3600
            n = 0
            figures: dict[str, list[float]] = {name: [] for name in paths}
            run(flask_app.wsgi_app, agents, 300, base_ts, n)  # warm-up: caches, first writes
            n += 300
            for r in range(args.rounds):
                order = list(paths.items()) if r % 2 == 0 else list(reversed(paths.items()))
                for name, app in order:
                    figures[name].append(run(app, agents, args.reports, base_ts, n))
                    n += args.reports
        finally:
            if influx is not None:
                influx.stop()
    rows = [[name, statistics.median(v), min(v), max(v)] for name, v in figures.items()]
    print(table(["path", "median CPU s/1k samples", "min", "max"], rows))
    if len(figures) == 2:
        ratios = [a / b for a, b in zip(figures["wsgi"], figures["flask"], strict=True)]
        print(f"wsgi / flask per round: {', '.join(f'{x:.2f}' for x in ratios)} "
              f"(median {statistics.median(ratios):.2f})")


if __name__ == "__main__":
    main()
