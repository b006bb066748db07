"""`statusmon server`: the API under gunicorn with the gevent worker (flask-sock's WebSockets need it).

gevent's monkey-patching happens here and only here, before anything else is imported.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from statusmon.config import Settings


def workers_problem(settings: Settings, workers: int) -> str | None:
    """Why this server cannot run ``workers`` worker processes, or None.

    More than one needs Redis (the live feed's fan-out, the rate limits and the watched hosts are otherwise
    per process) and a time-series store made for several writers: SQLite's single-writer file with a group
    commit per process is not proven safe here, so it is refused rather than risked.
    """
    if workers < 1:
        return "--workers must be at least 1"
    if workers == 1:
        return None
    if not settings.redis_url:
        return (f"--workers {workers} needs STATUSMON_REDIS_URL: the live feed, the rate limits and the watched "
                "hosts are shared between workers through Redis (run one worker, or set the URL)")
    if settings.backend == "sqlite":
        return (f"--workers {workers} needs InfluxDB for the time series (STATUSMON_INFLUX_URL): the SQLite "
                "store is for one worker; run one worker, or point the server at InfluxDB")
    return None


def gunicorn_options(bind: str, workers: int, log_level: str) -> dict[str, Any]:
    """gunicorn's settings for the server (bench/floor_server.py serves a bare app under the same ones)."""
    return {"bind": bind, "worker_class": "gevent", "workers": workers, "proc_name": "statusmon-server",
            "worker_connections": 2000, "timeout": 60, "graceful_timeout": 10, "keepalive": 75,
            "accesslog": None, "loglevel": log_level.lower(), "control_socket_disable": True}


def run(bind: str | None = None, workers: int = 1) -> int:
    from gevent import monkey

    monkey.patch_all()

    from gunicorn.app.base import BaseApplication

    from api.app import create_app
    from statusmon.config import ConfigError, Settings

    settings = Settings.from_env()
    if bind:
        settings = Settings.from_env(bind=bind)
    problem = workers_problem(settings, workers)
    if problem:
        raise ConfigError(problem)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Fail fast on a bad setting or an unreachable store in the master, then build the real app in the worker
    # after the fork (SQLite connections and threads must not cross a fork).
    probe = create_app(settings, start_background=False).extensions["statusmon"]
    probe.store.close()
    probe.meta.close()  # a PostgreSQL connection must not cross the fork either

    class Server(BaseApplication):
        def load_config(self) -> None:
            # Several workers share the live feed, rate limits and watched hosts through Redis
            # (workers_problem refused the rest).
            for key, value in gunicorn_options(settings.bind, workers, settings.log_level).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(settings)

    logging.getLogger(__name__).info("listening on http://%s", settings.bind)
    Server().run()
    return 0
