"""GET /healthz: the process is up, and which shared parts answer: the time-series store and the metadata
database ("metadata": "ok" or "down"; on PostgreSQL the API answers 503 while it is down)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from api.auth import public
from api.state import current_state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> ResponseReturnValue:
    state = current_state()
    error = None
    try:
        state.store.ping()
    except Exception as e:  # noqa: BLE001 - any failure means unhealthy
        error = type(e).__name__
    try:
        state.meta.ping()
        metadata = "ok"
    except Exception as e:  # noqa: BLE001 - any failure means unhealthy
        error, metadata = error or type(e).__name__, "down"
    if error:
        return jsonify({"status": "unavailable", "store": state.store.backend, "metadata": metadata,
                        "error": error}), 503
    return jsonify({"status": "ok", "store": state.store.backend, "metadata": metadata})
