"""Alerting's admin API: alert rules (CRUD), alert history, channel status, a test message and silences.

The worker itself is ``alerting`` (its own process); both sit on the kernel (``statusmon.meta``,
``statusmon.notify``) and never import each other.
"""

from __future__ import annotations

from flask import Flask

from api.alerts import channels, history, rules, silences


def init_app(app: Flask) -> None:
    for module in (rules, history, channels, silences):
        app.register_blueprint(module.bp)
