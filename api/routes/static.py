"""The dashboard: static files built from dashboards/web into api/static, served at / (public: no data inside).

Client-side routes (/client/<id>, /alerts, /settings, /login) get index.html so a reload or a direct link works.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

from api.auth import public

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
bp = Blueprint("static_ui", __name__)


def _index() -> ResponseReturnValue:
    if not (STATIC_DIR / "index.html").exists():
        return ("The dashboard is not built: run ./infra/run.sh (or npm run build in dashboards/web).", 503,
                {"Content-Type": "text/plain; charset=utf-8"})
    resp = send_from_directory(STATIC_DIR, "index.html", max_age=0)
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
    return resp


@bp.get("/")
@bp.get("/client/<client_id>")
@bp.get("/settings")
@bp.get("/alerts")
@bp.get("/login")
@public
def page(client_id: str | None = None) -> ResponseReturnValue:
    """Every page of the dashboard is index.html; the client-side router picks what to show."""
    return _index()


@bp.get("/assets/<path:name>")
@public
def assets(name: str) -> ResponseReturnValue:
    folder = STATIC_DIR / "assets"
    if not (folder / name).is_file():
        abort(404)
    return send_from_directory(folder, name, max_age=3600)
