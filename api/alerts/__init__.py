"""Alerting's admin API: alert rules (CRUD), alert history, channel status and a test message.

``create_app`` finds this package and calls ``init_app``; the worker itself is ``alerting`` (its own process).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from api.alerts.routes import bp

    app.register_blueprint(bp)
