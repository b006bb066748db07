"""Every blueprint, registered in one place (api.app.create_app walks this list)."""

from __future__ import annotations

from flask import Blueprint


def blueprints() -> list[Blueprint]:
    from api.routes import clients, data, health, report, session, settings, static, updates

    return [health.bp, session.bp, report.bp, clients.bp, data.bp, settings.bp, updates.bp, static.bp]
