"""`statusmon server`: the API under gunicorn with the gevent worker (flask-sock's WebSockets need it).

gevent's monkey-patching happens here and only here, before anything else is imported.
"""

from __future__ import annotations

import logging
from typing import Any


def run(bind: str | None = None, workers: int = 1) -> int:
    from gevent import monkey

    monkey.patch_all()

    from gunicorn.app.base import BaseApplication

    from api.app import create_app
    from statusmon.config import Settings

    settings = Settings.from_env()
    if bind:
        settings = Settings.from_env(bind=bind)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Fail fast on a bad setting or an unreachable store in the master, then build the real app in the worker
    # after the fork (SQLite connections and threads must not cross a fork).
    probe = create_app(settings, start_background=False).extensions["statusmon"]
    probe.store.close()
    probe.meta.close()  # a PostgreSQL connection must not cross the fork either

    class Server(BaseApplication):
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": settings.bind, "worker_class": "gevent", "workers": workers, "proc_name": "statusmon-server",
                "worker_connections": 2000, "timeout": 60, "graceful_timeout": 10, "keepalive": 75,
                "accesslog": None, "loglevel": settings.log_level.lower(), "control_socket_disable": True,
                # One worker: the live feed's in-process broadcast and the stats cache live in it.
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(settings)

    logging.getLogger(__name__).info("listening on http://%s", settings.bind)
    Server().run()
    return 0
